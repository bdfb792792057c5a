/**
 * Ollama's native embeddings (`POST /api/embed`): `input` and `dimensions` as sent, token arrays
 * refused, `embeddings` and `prompt_eval_count` read, errors classified, and over real HTTP.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Ollama } from "@switchyard/provider-ollama"
import { EmbeddingsWire, MockUpstream, Reply } from "@switchyard/testing"

const context = { provider: "ollama", model: "nomic-embed-text" }
const wire = Ollama.dialect.embeddings!

describe("Ollama embeddings wire", () => {
  it.effect("sends model, input (a text or a list) and dimensions; no user", () =>
    Effect.gen(function*() {
      const one = yield* wire.encode({ model: "nomic-embed-text", input: "hi", user: "u" }, context)
      assert.strictEqual(one.path, "/api/embed")
      assert.deepStrictEqual(one.body, { model: "nomic-embed-text", input: "hi" })
      const many = yield* wire.encode({ model: "nomic-embed-text", input: ["a", "b"], dimensions: 64 }, context)
      assert.deepStrictEqual(many.body, { model: "nomic-embed-text", input: ["a", "b"], dimensions: 64 })
    }))

  it.effect("refuses token arrays with a BadRequest naming `input`", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(wire.encode({ model: "nomic-embed-text", input: [[1], [2]] }, context))
      assert.strictEqual(error._tag, "BadRequest")
      assert.strictEqual(error.param, "input")
    }))

  it.effect("reads `embeddings` and `prompt_eval_count`", () =>
    Effect.gen(function*() {
      const response = yield* wire.decode({ model: "nomic-embed-text", embeddings: [[0.5, 0.25], [1, 0]], prompt_eval_count: 6 }, context)
      assert.deepStrictEqual(response.embeddings, [[0.5, 0.25], [1, 0]])
      assert.strictEqual(response.usage?.inputTokens, 6)
      assert.strictEqual(response.usage?.source, "provider")
    }))

  it.effect("classifies an error object; a body without vectors is malformed", () =>
    Effect.gen(function*() {
      const notFound = yield* Effect.flip(wire.decode({ error: "model \"nope\" not found, try pulling it first" }, context))
      assert.strictEqual(notFound.category, "not_found")
      const malformed = yield* Effect.flip(wire.decode({ model: "nomic-embed-text" }, context))
      assert.strictEqual(malformed._tag, "ServerError")
    }))

  it.live("over HTTP: POST {baseUrl}/api/embed; a 404 error body is NotFound", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        EmbeddingsWire.ollamaRoute,
        EmbeddingsWire.echoOllama,
        Reply.json({ error: "model \"all-minilm\" not found, try pulling it first" }, { status: 404 })
      )
      const ollama = yield* Ollama.make({ name: "ollama", baseUrl: upstream.url })
      const response = yield* ollama.embed!({ model: "nomic-embed-text", input: ["x"], dimensions: 2 })
      assert.deepStrictEqual(response.embeddings, [EmbeddingsWire.vectorFor("x", 2)])
      assert.strictEqual(response.usage?.inputTokens, 2)
      const error = yield* Effect.flip(ollama.embed!({ model: "all-minilm", input: "y" }))
      assert.strictEqual(error._tag, "NotFound")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
