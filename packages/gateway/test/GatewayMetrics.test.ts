import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { Usage } from "@switchyard/core"
import { GatewayMetrics, type Ledger } from "@switchyard/gateway"

const entry = (model: string, outcome: Ledger.Entry["outcome"], inputTokens: number, outputTokens: number): Ledger.Entry => ({
  requestId: "r",
  apiKeyId: null,
  modelAlias: model,
  provider: "openai",
  model,
  role: "primary",
  outcome,
  latencyMs: 250,
  usage: Usage.make({ inputTokens, outputTokens }),
  estimateMethod: null,
  cost: null,
  timestamp: 0
})

const count = (metric: Metric.Metric<number, Metric.CounterState<number>>, attributes: Record<string, string>) =>
  Effect.map(Metric.value(Metric.withAttributes(metric, attributes)), (state) => state.count)

describe("GatewayMetrics", () => {
  it("a label set's series has one handle", () => {
    const of = GatewayMetrics.requestsOf
    assert.strictEqual(of({ endpoint: "/e", status: "200", code: "" }), of({ endpoint: "/e", status: "200", code: "" }))
    assert.notStrictEqual(of({ endpoint: "/e", status: "200", code: "" }), of({ endpoint: "/e", status: "500", code: "" }))
  })

  it.effect("attempts counted through the kept handles land in the series withAttributes names, label sets interleaved", () =>
    Effect.gen(function*() {
      // Two models and two outcomes in turn: every update switches label set.
      for (let i = 0; i < 3; i++) {
        yield* GatewayMetrics.attempt(entry("metrics-a", "ok", 10, 2), 40)
        yield* GatewayMetrics.attempt(entry("metrics-b", "timeout", 7, 0), undefined)
      }
      const a = { provider: "openai", model: "metrics-a" }
      const b = { provider: "openai", model: "metrics-b" }
      assert.strictEqual(yield* count(GatewayMetrics.attempts, { ...a, role: "primary", outcome: "ok" }), 3)
      assert.strictEqual(yield* count(GatewayMetrics.attempts, { ...b, role: "primary", outcome: "timeout" }), 3)
      assert.strictEqual(yield* count(GatewayMetrics.attempts, { ...a, role: "primary", outcome: "timeout" }), 0)
      assert.strictEqual(yield* count(GatewayMetrics.tokens, { ...a, type: "input" }), 30)
      assert.strictEqual(yield* count(GatewayMetrics.tokens, { ...a, type: "output" }), 6)
      assert.strictEqual(yield* count(GatewayMetrics.tokens, { ...b, type: "input" }), 21)
      const durations = yield* Metric.value(Metric.withAttributes(GatewayMetrics.attemptDuration, b))
      assert.strictEqual(durations.count, 3)
      assert.strictEqual(durations.sum, 0.75)
      const firstTokens = yield* Metric.value(Metric.withAttributes(GatewayMetrics.timeToFirstToken, a))
      assert.strictEqual(firstTokens.count, 3)
      assert.strictEqual((yield* Metric.value(Metric.withAttributes(GatewayMetrics.timeToFirstToken, b))).count, 0)
    }))
})
