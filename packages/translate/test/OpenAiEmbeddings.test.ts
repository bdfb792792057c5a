import { assert, describe, it } from "@effect/vitest"
import { Usage } from "@switchyard/core"
import { OpenAiEmbeddings } from "@switchyard/translate"

const response = { model: "text-embedding-3-small", embeddings: [[0.5, -1], [2, 0.25]], usage: Usage.make({ inputTokens: 6, outputTokens: 0 }) }

describe("OpenAiEmbeddings", () => {
  it("renders vectors as OpenAI's list of embeddings, floats or float32 little-endian base64", () => {
    const floats = OpenAiEmbeddings.render({ model: "small", input: ["a", "b"] }, response)
    assert.deepStrictEqual(floats.data.map((d) => [d.object, d.index, d.embedding]), [["embedding", 0, [0.5, -1]], ["embedding", 1, [2, 0.25]]])
    assert.deepStrictEqual(floats.usage, { prompt_tokens: 6, total_tokens: 6 })
    const encoded = OpenAiEmbeddings.render({ model: "small", input: ["a", "b"], encoding_format: "base64" }, response)
    const bytes = Buffer.from(encoded.data[1]!.embedding as string, "base64")
    assert.deepStrictEqual([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)], [2, 0.25])
  })

  it("refuses empty input: no item, or an empty item", () => {
    assert.isTrue(OpenAiEmbeddings.emptyInput([]))
    assert.isTrue(OpenAiEmbeddings.emptyInput(["a", ""]))
    assert.isFalse(OpenAiEmbeddings.emptyInput("a"))
    assert.isTrue(OpenAiEmbeddings.knownFields.includes("encoding_format"))
  })
})
