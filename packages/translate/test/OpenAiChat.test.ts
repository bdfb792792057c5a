import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { OpenAiChat } from "@switchyard/translate"
import { answer, encode, events, finished } from "./fixtures.ts"

const fallback = { id: "chatcmpl-x", model: "route-model", created: 1 }

interface Chunk {
  readonly id: string
  readonly model: string
  readonly choices: ReadonlyArray<{
    readonly index: number
    readonly delta: Record<string, any>
    readonly finish_reason: string | null
  }>
  readonly usage?: unknown
}

/** A stream's chunks assembled into the message they make, as the `openai` SDK's stream helper does. */
const assemble = (chunks: ReadonlyArray<Chunk>) => {
  let content = ""
  let reasoning = ""
  let finish: string | null = null
  const calls: Array<{ id: string; type: string; function: { name: string; arguments: string } }> = []
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      const d = choice.delta
      content += d["content"] ?? ""
      reasoning += d["reasoning_content"] ?? ""
      for (const call of d["tool_calls"] ?? []) {
        const slot = calls[call.index] ??= { id: "", type: "function", function: { name: "", arguments: "" } }
        if (call.id !== undefined) slot.id = call.id
        slot.function.name += call.function?.name ?? ""
        slot.function.arguments += call.function?.arguments ?? ""
      }
      finish = choice.finish_reason ?? finish
    }
  }
  return { content, reasoning, calls, finish }
}

describe("OpenAiChat", () => {
  it("decodes a Chat Completions body: the canonical request and the fallback models", () => {
    const body = {
      model: "fast",
      models: ["backup/a", "backup/b"],
      messages: [{ role: "user", content: "Weather in Paris?" }],
      stream: true,
      stream_options: { include_usage: true }
    }
    const { models, ...request } = Schema.decodeUnknownSync(OpenAiChat.RoutedChatRequest)(body)
    assert.deepStrictEqual(models, ["backup/a", "backup/b"])
    assert.strictEqual(request.model, "fast")
    assert.deepStrictEqual(request.messages, [{ role: "user", content: "Weather in Paris?" }])
    assert.throws(() => Schema.decodeUnknownSync(OpenAiChat.RoutedChatRequest)({ ...body, models: Array(17).fill("m") }))
  })

  it("encodes a whole answer as a chat.completion, usage in OpenAI's fields", () => {
    const completion = OpenAiChat.completion(answer)
    const choice = completion.choices[0]!
    assert.strictEqual(completion.object, "chat.completion")
    assert.strictEqual(choice.message.content, "Checking both cities.")
    assert.strictEqual(choice.message.reasoning_content, "The user wants two forecasts.")
    assert.deepStrictEqual(choice.message.tool_calls?.map((c) => [c.id, c.function.name, c.function.arguments]), [
      ["call_1", "weather", "{\"city\":\"Paris\"}"],
      ["call_2", "weather", "{\"city\":\"Oslo\"}"]
    ])
    assert.strictEqual(choice.finish_reason, "tool_calls")
    assert.deepStrictEqual(completion.usage?.prompt_tokens_details, { cached_tokens: 20, cache_write_tokens: 10 })
    assert.strictEqual(completion.usage?.total_tokens, 160)
  })

  it("streams the same answer: chunks that assemble to the whole completion, tool calls numbered from 0", () => {
    const chunks = encode(OpenAiChat.step, OpenAiChat.initialChunkState(fallback, true), finished()) as Array<Chunk>
    const whole = OpenAiChat.completion(answer).choices[0]!
    const assembled = assemble(chunks)
    assert.strictEqual(assembled.content, whole.message.content)
    assert.strictEqual(assembled.reasoning, whole.message.reasoning_content)
    assert.deepStrictEqual(assembled.calls, whole.message.tool_calls)
    assert.strictEqual(assembled.finish, whole.finish_reason)
    // The first chunk opens the choice with the role; every chunk carries the provider's id.
    assert.strictEqual(chunks[0]!.choices[0]!.delta["role"], "assistant")
    assert.isTrue(chunks.every((c) => c.id === "abc123" && c.model === "claude-test"))
    // The usage chunk comes last, with no choices, and only on the stream's end.
    assert.deepStrictEqual(chunks.at(-1)!.choices, [])
    assert.deepStrictEqual(chunks.at(-1)!.usage, OpenAiChat.completion(answer).usage)
  })

  it("sends no usage chunk unless asked, and none on a stream that did not finish", () => {
    const unasked = encode(OpenAiChat.step, OpenAiChat.initialChunkState(fallback, false), finished()) as Array<Chunk>
    assert.isTrue(unasked.every((c) => c.usage === undefined))
    const cut = encode(OpenAiChat.step, OpenAiChat.initialChunkState(fallback, true), events) as Array<Chunk>
    assert.isTrue(cut.every((c) => c.usage === undefined))
  })

  it("writes SSE frames: data lines, [DONE], and an error as OpenAI's error body", () => {
    assert.strictEqual(OpenAiChat.frameText({ a: 1 }), "data: {\"a\":1}\n\n")
    assert.strictEqual(OpenAiChat.doneText, "data: [DONE]\n\n")
    const error = {
      status: 429,
      body: { message: "slow down", type: "rate_limited", code: "rate_limited", param: null, provider: "openai", retryable: true }
    }
    assert.deepStrictEqual(JSON.parse(OpenAiChat.errorText(error).slice("data: ".length)), { error: error.body })
  })
})
