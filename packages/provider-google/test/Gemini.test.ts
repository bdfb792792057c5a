/**
 * The Gemini dialect on wire-format streams and whole answers (fixtures cited in fixtures/README.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { Gemini } from "@switchyard/provider-google"
import { Replay } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
const text = (name: string) => new TextDecoder().decode(fixture(name))
const context = { provider: "gemini", model: "gemini-2.5-flash" }

const decode = (bytes: Uint8Array, size = bytes.length) => Replay.stream(Gemini.dialect, Replay.chunked(bytes, size), context)
const decodeText = (sse: string) => decode(new TextEncoder().encode(sse))
const decodeResponse = (name: string) => Gemini.dialect.decodeResponse(JSON.parse(text(name)), context)

const streams = [
  "stream-thoughts-text.sse",
  "stream-parallel-function-calls.sse",
  "stream-safety.sse",
  "stream-server-call-then-text.sse",
  "stream-max-tokens.sse",
  "stream-malformed-function-call.sse",
  "stream-cut-before-finish.sse",
  "stream-error-after-frames.sse"
]

describe("Gemini stream", () => {
  it.effect("keeps thought parts out of the answer, and takes the last usage (thoughts counted as output)", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* decode(fixture("stream-thoughts-text.sse"))
      assert.isUndefined(error)
      assert.deepStrictEqual(events[0], { _tag: "ResponseStart", id: "sySwitchyardGem0001", model: "gemini-2.5-flash", created: 0 })
      const choice = response.choices[0]!
      assert.strictEqual(choice.reasoning, "**Weighing the question**\n\nThe user wants a haiku.")
      assert.strictEqual(choice.content, "Autumn wind whispers, leaves fall — 秋の風")
      assert.strictEqual(choice.finishReason, "stop")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 9,
        outputTokens: 14 + 31,
        cachedInputTokens: 4,
        cacheWriteTokens: 0,
        reasoningTokens: 31,
        source: "provider"
      })
    }))

  it.effect("every fixture gives the same events and error whole and in 1, 3 and 7 byte network chunks", () =>
    Effect.gen(function*() {
      for (const name of streams) {
        const whole = yield* decode(fixture(name))
        for (const size of [1, 3, 7]) {
          const split = yield* decode(fixture(name), size)
          assert.deepStrictEqual(split.events, whole.events, `${name} in ${size}-byte chunks`)
          assert.strictEqual(split.error?._tag, whole.error?._tag, `${name} in ${size}-byte chunks`)
        }
      }
    }))

  it.effect("turns whole function calls into tool calls with ids made from the response id, and STOP into tool_calls", () =>
    Effect.gen(function*() {
      const { response } = yield* decode(fixture("stream-parallel-function-calls.sse"))
      const choice = response.choices[0]!
      assert.deepStrictEqual(choice.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]), [
        ["call_sySwitchyardGem0002_0_0", "get_weather", { city: "Paris", unit: "celsius" }],
        ["call_sySwitchyardGem0002_0_1", "get_weather", { city: "Rome" }]
      ])
      assert.strictEqual(choice.finishReason, "tool_calls")
      assert.strictEqual(choice.rawFinishReason, "STOP")
    }))

  it.effect("a call Google ran itself (answered in the same turn) is not a client tool call; text after the first STOP counts", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode(fixture("stream-server-call-then-text.sse"))
      assert.isUndefined(error)
      const choice = response.choices[0]!
      assert.deepStrictEqual(choice.toolCalls, [])
      assert.strictEqual(choice.content, "Tomorrow in Lyon: sunny, 14 °C.")
      assert.strictEqual(choice.finishReason, "stop")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 120 + 45,
        outputTokens: 22 + 30,
        cachedInputTokens: 64,
        cacheWriteTokens: 0,
        reasoningTokens: 30,
        source: "provider"
      })
    }))

  it.effect("SAFETY is content_filter, keeping the text sent before; MAX_TOKENS is length", () =>
    Effect.gen(function*() {
      const safety = (yield* decode(fixture("stream-safety.sse"))).response.choices[0]!
      assert.strictEqual(safety.content, "Here is how to")
      assert.strictEqual(safety.finishReason, "content_filter")
      assert.strictEqual(safety.rawFinishReason, "SAFETY")
      const length = (yield* decode(fixture("stream-max-tokens.sse"))).response.choices[0]!
      assert.strictEqual(length.content, "Once upon a time, a lighthouse keeper counted")
      assert.strictEqual(length.finishReason, "length")
    }))

  it.effect("MALFORMED_FUNCTION_CALL is an error finish without tool calls, thought tokens still counted", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode(fixture("stream-malformed-function-call.sse"))
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.finishReason, "error")
      assert.strictEqual(response.choices[0]?.rawFinishReason, "MALFORMED_FUNCTION_CALL")
      assert.deepStrictEqual(response.choices[0]?.toolCalls, [])
      assert.strictEqual(response.usage?.outputTokens, 188)
    }))

  it.effect("a stream that ends before any finish reason is cut: StreamInterrupted after the text so far", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode(fixture("stream-cut-before-finish.sse"))
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.strictEqual(error?.retryable, true)
      assert.strictEqual(response.choices[0]?.content, "The first three primes are 2, 3")
    }))

  it.effect("an error appended as bare JSON after the frames fails the stream instead of passing for a finished answer", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode(fixture("stream-error-after-frames.sse"))
      assert.strictEqual(error?._tag, "Overloaded")
      assert.strictEqual(error?.retryable, true)
      assert.strictEqual(error?.status, 503)
      assert.strictEqual(response.choices[0]?.content, "Sure")
    }))

  it.effect("an error frame, alone or in a one-element array, is classified; a spent daily quota is not retryable", () =>
    Effect.gen(function*() {
      const frame = (name: string) => `data: ${JSON.stringify(JSON.parse(text(name)))}\r\n\r\n`
      const daily = yield* decodeText(frame("error-429-daily-quota.json"))
      assert.strictEqual(daily.error?._tag, "QuotaExceeded")
      assert.strictEqual(daily.error?.retryable, false)
      const array = yield* decodeText(frame("error-400-missing-thought-signature.json"))
      assert.strictEqual(array.error?._tag, "BadRequest")
      assert.include(array.error?.message, "thought_signature")
      const perMinute = yield* decodeText(frame("error-429-resource-exhausted.json"))
      assert.strictEqual(perMinute.error?._tag, "RateLimited")
    }))

  it.effect("a frame that is not a JSON object, or not JSON, fails as StreamInterrupted, never as text", () =>
    Effect.gen(function*() {
      const scalar = yield* decodeText("data: 42\r\n\r\n")
      assert.strictEqual(scalar.error?._tag, "StreamInterrupted")
      const malformed = yield* decodeText("data: {\"candidates\": [{\"content\": \r\n\r\n")
      assert.strictEqual(malformed.error?._tag, "StreamInterrupted")
      assert.deepStrictEqual(malformed.events, [])
    }))
})

describe("Gemini response (generateContent)", () => {
  it.effect("a thought summary, a signed function call and usage with cached and thought tokens", () =>
    Effect.gen(function*() {
      const response = yield* decodeResponse("response-thought-function-call.json")
      assert.strictEqual(response.id, "sySwitchyardGem0010")
      assert.strictEqual(response.model, "gemini-3-flash-preview")
      const choice = response.choices[0]!
      assert.strictEqual(choice.reasoning, "**Choosing the tool**\n\nThe user wants the time in Tokyo; get_time takes an IANA zone.")
      assert.deepStrictEqual(choice.toolCalls, [
        { id: "call_sySwitchyardGem0010_0_0", name: "get_time", arguments: "{\"zone\":\"Asia/Tokyo\"}" }
      ])
      assert.strictEqual(choice.finishReason, "tool_calls")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 64,
        outputTokens: 16 + 51,
        cachedInputTokens: 32,
        cacheWriteTokens: 0,
        reasoningTokens: 51,
        source: "provider"
      })
    }))

  it.effect("a prompt blocked before any candidate is a content_filter finish with the block reason", () =>
    Effect.gen(function*() {
      const response = yield* decodeResponse("response-prompt-blocked.json")
      assert.strictEqual(response.choices.length, 1)
      assert.strictEqual(response.choices[0]?.finishReason, "content_filter")
      assert.strictEqual(response.choices[0]?.rawFinishReason, "PROHIBITED_CONTENT")
      assert.strictEqual(response.choices[0]?.content, "")
      assert.strictEqual(response.usage?.inputTokens, 42)
    }))

  it.effect("the chunk array of streamGenerateContent reads like the stream; an error body fails", () =>
    Effect.gen(function*() {
      const frames = text("stream-thoughts-text.sse").split("\r\n\r\n").filter((f) => f !== "").map((f) => JSON.parse(f.slice(6)))
      const whole = yield* Gemini.dialect.decodeResponse(frames, context)
      assert.deepStrictEqual(whole, (yield* decode(fixture("stream-thoughts-text.sse"))).response)
      const error = yield* decodeResponse("error-500-internal.json").pipe(Effect.flip)
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual(error.status, 500)
    }))
})
