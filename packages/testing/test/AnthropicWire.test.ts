import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire } from "@switchyard/testing"
import { request, sseJson, textOf } from "./helpers.ts"

const script = {
  reasoning: ["Paris is", " in France."],
  text: ["Checking", " the weather."],
  toolCalls: [{ name: "get_weather", arguments: ['{"locati', 'on": "P', 'aris"}'] }],
  usage: { inputTokens: 1532, outputTokens: 33, cachedInputTokens: 1111, cacheWriteTokens: 418 }
}

describe("AnthropicWire", () => {
  it.effect("streams message_start, blocks with a ping after the first opens, message_delta, message_stop", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(AnthropicWire.stream(script))
      assert.deepStrictEqual(events.map((e) => e.event), [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop"
      ])
      assert.isTrue(events.every((e) => e.data.type === e.event))
      const deltas = events.filter((e) => e.event === "content_block_delta").map((e) => e.data)
      const of = (index: number, field: string) =>
        deltas.filter((d) => d.index === index).map((d) => d.delta[field] ?? "").join("")
      assert.strictEqual(of(0, "thinking"), "Paris is in France.")
      assert.strictEqual(deltas.filter((d) => d.index === 0).at(-1).delta.type, "signature_delta")
      assert.strictEqual(of(1, "text"), "Checking the weather.")
      assert.strictEqual(deltas.filter((d) => d.index === 2)[0].delta.partial_json, "")
      assert.strictEqual(of(2, "partial_json"), '{"location": "Paris"}')
      const toolStart = events.filter((e) => e.event === "content_block_start")[2]!.data.content_block
      assert.match(toolStart.id, /^toolu_01[A-Za-z0-9]{22}$/)
      assert.deepInclude(toolStart, { type: "tool_use", name: "get_weather", input: {} })
    }))

  it.effect("reports input apart from cache reads and writes, and the stop reason in message_delta", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(AnthropicWire.stream(script))
      const start = events[0]!.data.message
      assert.match(start.id, /^msg_01[A-Za-z0-9]{22}$/)
      assert.deepInclude(start.usage, {
        input_tokens: 3,
        cache_read_input_tokens: 1111,
        cache_creation_input_tokens: 418,
        output_tokens: 1
      })
      const delta = events.at(-2)!.data
      assert.deepStrictEqual(delta.delta, { stop_reason: "tool_use", stop_sequence: null })
      assert.strictEqual(delta.usage.output_tokens, 33)
    }))

  it("keeps Anthropic's byte quirks: a spaced ping and event/data frames", () => {
    const text = textOf(AnthropicWire.stream({ text: ["hi"] }))
    assert.include(text, 'event: ping\ndata: {"type": "ping"}\n\n')
    assert.match(text, /^event: message_start\ndata: \{"type":"message_start",/)
    assert.isTrue(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'))
  })

  it("maps finish reasons to stop_reason, or sends a raw one", () => {
    const stopOf = (s: object) => JSON.parse(textOf(AnthropicWire.json({ text: ["x"], ...s }))).stop_reason
    assert.strictEqual(stopOf({}), "end_turn")
    assert.strictEqual(stopOf({ finishReason: "length" }), "max_tokens")
    assert.strictEqual(stopOf({ finishReason: "content_filter" }), "refusal")
    assert.strictEqual(stopOf({ rawFinishReason: "stop_sequence" }), "stop_sequence")
  })

  it("answers JSON with thinking, text and tool_use blocks (input parsed)", () => {
    const body = JSON.parse(textOf(AnthropicWire.json(script)))
    assert.deepStrictEqual(body.content.map((b: any) => b.type), ["thinking", "text", "tool_use"])
    assert.deepStrictEqual(body.content[2].input, { location: "Paris" })
    assert.strictEqual(body.content[1].text, "Checking the weather.")
    assert.strictEqual(body.type, "message")
  })

  it.effect("an in-band error event ends the stream without message_stop", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(AnthropicWire.stream({ text: ["par"] }, { error: {} }))
      assert.strictEqual(events.at(-1)!.event, "error")
      assert.deepStrictEqual(events.at(-1)!.data, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } })
      assert.isFalse(events.some((e) => e.event === "message_stop"))
    }))

  it("builds error bodies per status with request_id, x-should-retry and optional Retry-After", () => {
    const overloaded = AnthropicWire.error(529)
    const body = JSON.parse(textOf(overloaded))
    assert.strictEqual(overloaded.status, 529)
    assert.deepStrictEqual(body.error, { type: "overloaded_error", message: "Overloaded" })
    assert.strictEqual(body.type, "error")
    assert.strictEqual(body.request_id, overloaded.headers["request-id"])
    assert.strictEqual(overloaded.headers["x-should-retry"], "true")
    const limited = AnthropicWire.error(429, { retryAfter: 7 })
    assert.strictEqual(limited.headers["retry-after"], "7")
    assert.strictEqual(JSON.parse(textOf(limited)).error.type, "rate_limit_error")
    const notFound = AnthropicWire.error(404)
    assert.notProperty(notFound.headers, "x-should-retry")
    assert.notProperty(notFound.headers, "retry-after")
  })

  it("answer streams when the body says stream: true and echoes the model", () => {
    const answer = AnthropicWire.answer({ text: ["ok"] })
    const streamed = answer(request({ path: "/v1/messages", json: { model: "claude-haiku-4-5", stream: true } }))
    assert.strictEqual(streamed.framing, "sse")
    assert.include(textOf(streamed), '"model":"claude-haiku-4-5"')
    const whole = answer(request({ path: "/v1/messages", json: { model: "claude-haiku-4-5" } }))
    assert.strictEqual(JSON.parse(textOf(whole)).model, "claude-haiku-4-5")
  })
})
