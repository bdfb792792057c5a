/**
 * Metering of a stream that broke after the provider had reported part of its usage: the attempt is
 * billed with the provider's own input (and cache) counts, and only the output streamed after that
 * report is estimated, the row marked as estimated. Uses the Anthropic decoder on the recorded-shape
 * fixtures of provider-anthropic (`message_start` carries the input usage, the stream is then cut).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { readFileSync } from "node:fs"
import type { ChatRequest, Provider } from "@switchyard/core"
import { CostLedger, Estimate, Pricing } from "@switchyard/cost"
import { Metering } from "@switchyard/gateway"
import { Anthropic } from "@switchyard/provider-anthropic"

const model = "claude-sonnet-4-5"
const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../provider-anthropic/test/fixtures/${name}`, import.meta.url)))

/** An Anthropic provider whose every stream is the fixture's bytes. */
const recorded = (name: string): Provider.ProviderShape => ({
  name: "anthropic",
  complete: () => Effect.die("not used"),
  stream: () => Anthropic.dialect.decodeStream(Stream.make(fixture(name)), { provider: "anthropic", model })
})

const request: ChatRequest.ChatRequest = {
  model,
  messages: [{ role: "user", content: "Summarise the quarterly report." }],
  stream: true
}

const layer = Metering.layer.pipe(
  Layer.provideMerge(CostLedger.layerMemory),
  Layer.provideMerge(Pricing.layer({
    prices: { [`anthropic/${model}`]: { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 } }
  })),
  Layer.provideMerge(Estimate.layer())
)

const meter = (name: string) =>
  Effect.gen(function*() {
    const metering = yield* Metering.Metering
    const error = yield* Stream.runDrain(metering.wrap(recorded(name)).stream(request)).pipe(Effect.flip)
    const rows = yield* (yield* CostLedger.CostLedger).entries({ from: 0, to: Number.MAX_SAFE_INTEGER })
    assert.strictEqual(rows.length, 1)
    return { error, row: rows[0]! }
  })

describe("Metering a stream that broke after an early usage report", () => {
  it.effect("bills the provider's input count and an estimated output, marked estimated", () =>
    Effect.gen(function*() {
      const { error, row } = yield* meter("stream-cut-after-message-start.sse")
      assert.strictEqual(error._tag, "StreamInterrupted")
      assert.strictEqual(row.outcome, "stream_interrupted")
      // Input exactly as message_start reported it: 412 uncached + 1,500 written + 9,000 read.
      assert.strictEqual(row.usage.inputTokens, 412 + 1500 + 9000)
      assert.strictEqual(row.usage.cachedInputTokens, 9000)
      assert.strictEqual(row.usage.cacheWriteTokens, 1500)
      // Output: the tokenizer's count of the text that had streamed.
      const streamed = "The quarterly figures show revenue up 12% while costs"
      const expected = yield* (yield* Estimate.Estimate).output(model, streamed)
      assert.isAbove(row.usage.outputTokens, 0)
      assert.strictEqual(row.usage.outputTokens, expected.usage.outputTokens)
      assert.strictEqual(row.usage.source, "estimated")
      assert.strictEqual(row.estimateMethod, expected.method)
      // $3/M × 412 + $0.3/M × 9,000 + $3.75/M × 1,500 + $15/M × output.
      const cost = (412 * 3 + 9000 * 0.3 + 1500 * 3.75 + row.usage.outputTokens * 15) / 1e6
      assert.closeTo(row.cost!, cost, 1e-12)
    }).pipe(Effect.provide(layer)))

  it.effect("bills the provider's input alone when the stream broke before any content", () =>
    Effect.gen(function*() {
      const { row } = yield* meter("stream-cut-before-content.sse")
      assert.strictEqual(row.usage.inputTokens, 412 + 1500 + 9000)
      assert.strictEqual(row.usage.outputTokens, 0)
      // Nothing streamed after the report: it is the provider's word, not an estimate.
      assert.strictEqual(row.usage.source, "provider")
      assert.isNull(row.estimateMethod)
    }).pipe(Effect.provide(layer)))

  it.effect("bills the provider's whole usage when the break came after message_delta", () =>
    Effect.gen(function*() {
      const { row } = yield* meter("stream-cut-after-message-delta.sse")
      assert.strictEqual(row.outcome, "stream_interrupted")
      assert.deepStrictEqual(row.usage, {
        inputTokens: 412 + 1500 + 9000,
        outputTokens: 14,
        cachedInputTokens: 9000,
        cacheWriteTokens: 1500,
        source: "provider"
      })
      assert.isNull(row.estimateMethod)
    }).pipe(Effect.provide(layer)))
})
