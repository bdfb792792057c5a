/**
 * The Anthropic adapter on streams that break (fixtures cited in fixtures/README.md): the input part
 * of the usage is reported at `message_start`, before any content, so a stream cut before
 * `message_delta` has still given the provider's input and cache counts; `message_delta` supersedes
 * it with the whole usage. Every file is replayed whole and in small chunks, with the same result.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { Anthropic } from "@switchyard/provider-anthropic"
import { Replay } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
const context = { provider: "anthropic", model: "claude-sonnet-4-5" }

const replay = (name: string) =>
  Effect.gen(function*() {
    const bytes = fixture(name)
    const whole = yield* Replay.stream(Anthropic.dialect, [bytes], context)
    for (const size of [3, 11]) {
      const split = yield* Replay.stream(Anthropic.dialect, Replay.chunked(bytes, size), context)
      assert.deepStrictEqual(split.events, whole.events, `${name} in ${size}-byte chunks`)
      assert.strictEqual(split.error?._tag, whole.error?._tag, `${name} in ${size}-byte chunks`)
    }
    return whole
  })

/** message_start of the cut fixtures: 412 uncached + 1,500 cache writes + 9,000 cache reads. */
const inputPart = {
  inputTokens: 412 + 1500 + 9000,
  outputTokens: 0,
  cachedInputTokens: 9000,
  cacheWriteTokens: 1500,
  source: "provider" as const
}

describe("Anthropic usage reported before the stream broke", () => {
  it.effect("reports the input part at message_start, before any content", () =>
    Effect.gen(function*() {
      const { events } = yield* replay("stream-cut-after-message-start.sse")
      assert.deepStrictEqual(events.slice(0, 2).map((e) => e._tag), ["ResponseStart", "UsageReport"])
      assert.deepStrictEqual(events[1], { _tag: "UsageReport", usage: inputPart })
    }))

  it.effect("cut after some text: interrupted (retryable), the text kept, the provider's input count kept", () =>
    Effect.gen(function*() {
      const { error, response } = yield* replay("stream-cut-after-message-start.sse")
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.strictEqual(error?.category, "stream_interrupted")
      assert.strictEqual(error?.retryable, true)
      assert.strictEqual(response.choices[0]?.content, "The quarterly figures show revenue up 12% while costs")
      assert.strictEqual(response.choices[0]?.finishReason, "other")
      assert.deepStrictEqual(response.usage, inputPart)
    }))

  it.effect("cut before any content: interrupted, with the input part already reported", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* replay("stream-cut-before-content.sse")
      assert.strictEqual(error?.category, "stream_interrupted")
      assert.strictEqual(error?.retryable, true)
      assert.isFalse(events.some((e) => e._tag === "TextDelta"))
      assert.deepStrictEqual(response.usage, inputPart)
    }))

  it.effect("cut after message_delta (before message_stop): interrupted, but with the whole usage", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* replay("stream-cut-after-message-delta.sse")
      assert.strictEqual(error?.category, "stream_interrupted")
      assert.deepStrictEqual(response.usage, { ...inputPart, outputTokens: 14 })
      // The final report comes after all the text: it covers everything streamed.
      assert.strictEqual(events.at(-1)?._tag, "UsageReport")
    }))

  it.effect("an error event after some text keeps the input part (the documented overloaded_error)", () =>
    Effect.gen(function*() {
      const { error, response } = yield* replay("stream-overloaded-midstream.sse")
      assert.strictEqual(error?._tag, "Overloaded")
      assert.strictEqual(error?.retryable, true)
      assert.deepStrictEqual(response.usage, { inputTokens: 12, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, source: "provider" })
    }))

  it.effect("a whole stream: the input part at message_start is superseded by message_delta's usage, reported once more at most", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* replay("stream-tool-use-cached.sse")
      assert.isUndefined(error)
      const reports = events.filter((e) => e._tag === "UsageReport")
      assert.strictEqual(reports.length, 2)
      assert.strictEqual(reports[0]?.usage.outputTokens, 0)
      assert.deepStrictEqual(response.usage, reports[1]?.usage)
      assert.strictEqual(response.usage?.outputTokens, 48)
    }))
})
