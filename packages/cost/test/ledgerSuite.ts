/**
 * The one ledger test suite, run against every `CostLedger` layer (memory, SQLite, PostgreSQL). The
 * layer is built once per suite, so every test writes in its own stretch of time and queries only it.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import * as Usage from "@switchyard/core/Usage"
import { CostLedger, LedgerEntry } from "../src/index.ts"

const hour = 3_600_000
const day = 24 * hour

/** The start of test `n`'s stretch of time: 30 days apart, from 2030-01-01 UTC. */
const base = (n: number) => Date.UTC(2030, 0, 1) + n * 30 * day

const entry = (fields: Partial<LedgerEntry.Entry> & { readonly timestamp: number }): LedgerEntry.Entry => ({
  requestId: "req-1",
  apiKeyId: "key-a",
  modelAlias: "smart",
  provider: "openai",
  model: "gpt-5",
  role: "primary",
  outcome: "ok",
  latencyMs: 250,
  usage: Usage.make({ inputTokens: 1000, outputTokens: 100 }),
  estimateMethod: null,
  cost: 0.01,
  ...fields
})

const assertTotals = (actual: LedgerEntry.Totals, expected: LedgerEntry.Totals) => {
  assert.closeTo(actual.cost, expected.cost, 1e-9)
  assert.deepStrictEqual({ ...actual, cost: 0 }, { ...expected, cost: 0 })
}

const totals = (fields: Partial<LedgerEntry.Totals>): LedgerEntry.Totals => ({ ...LedgerEntry.emptyTotals, ...fields })

const recordAll = (entries: ReadonlyArray<LedgerEntry.Entry>) =>
  Effect.flatMap(CostLedger.CostLedger, (ledger) => Effect.forEach(entries, ledger.record, { discard: true }))

export const ledgerSuite = (name: string, ledgerLayer: Layer.Layer<CostLedger.CostLedger, unknown>) =>
  layer(ledgerLayer, { timeout: "60 seconds" })(name, (it) => {
    it.effect("an entry reads back as written: null key, null cost, estimated usage, reasoning", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(0)
        const written = [
          entry({
            timestamp: t,
            usage: Usage.make({
              inputTokens: 5000,
              cachedInputTokens: 3000,
              cacheWriteTokens: 1000,
              outputTokens: 800,
              reasoningTokens: 600
            }),
            cost: 0.0123456789
          }),
          entry({
            timestamp: t + 1,
            requestId: "req-2",
            apiKeyId: null,
            role: "hedge",
            outcome: "cancelled",
            latencyMs: 12.5,
            usage: Usage.make({ inputTokens: 40, outputTokens: 7, source: "estimated" }),
            estimateMethod: "approx:o200k_base",
            cost: null,
            provider: "ollama",
            model: "llama3.2"
          }),
          entry({
            timestamp: t + 2,
            requestId: "req-3",
            outcome: "rate_limited",
            role: "fallback",
            usage: Usage.make({ inputTokens: 0, outputTokens: 0 }),
            cost: 0
          })
        ]
        yield* recordAll(written)
        const read = yield* ledger.entries({ from: t, to: t + day })
        assert.deepStrictEqual(read, written)
        assert.deepStrictEqual(read.map(LedgerEntry.isEstimated), [false, true, false])
      }))

    it.effect("totals: [from, to), unknown costs, estimates, distinct requests, every token kind", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(1)
        const to = t + day
        yield* recordAll([
          entry({ timestamp: t - 1, cost: 100 }),
          entry({ timestamp: t, requestId: "a", role: "primary", outcome: "timeout", cost: 0.5 }),
          entry({
            timestamp: t + hour,
            requestId: "a",
            role: "retry",
            cost: 0.25,
            usage: Usage.make({ inputTokens: 10, cachedInputTokens: 4, cacheWriteTokens: 2, outputTokens: 20, reasoningTokens: 5 })
          }),
          entry({
            timestamp: t + 2 * hour,
            requestId: "b",
            cost: null,
            usage: Usage.make({ inputTokens: 7, outputTokens: 3, source: "estimated" }),
            estimateMethod: "tokenizer:o200k_base"
          }),
          entry({ timestamp: to - 1, requestId: "c", cost: 0.125 }),
          entry({ timestamp: to, requestId: "d", cost: 100 })
        ])
        assertTotals(
          yield* ledger.totals({ from: t, to }),
          totals({
            requests: 3,
            attempts: 4,
            cost: 0.875,
            unknownCost: 1,
            estimated: 1,
            inputTokens: 1000 + 10 + 7 + 1000,
            outputTokens: 100 + 20 + 3 + 100,
            cachedInputTokens: 4,
            cacheWriteTokens: 2,
            reasoningTokens: 5
          })
        )
      }))

    it.effect("breakdown by provider and model, ordered by group", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(2)
        yield* recordAll([
          entry({ timestamp: t, provider: "openai", model: "gpt-5", cost: 1 }),
          entry({ timestamp: t + 1, provider: "anthropic", model: "claude-sonnet-4-5", cost: 2 }),
          entry({ timestamp: t + 2, provider: "openai", model: "gpt-5-mini", cost: 0.5 }),
          entry({ timestamp: t + 3, provider: "openai", model: "gpt-5", cost: 1, requestId: "req-9" })
        ])
        const rows = yield* ledger.usage({ from: t, to: t + day, groupBy: ["provider", "model"] })
        assert.deepStrictEqual(rows.map((r) => r.group), [
          { provider: "anthropic", model: "claude-sonnet-4-5" },
          { provider: "openai", model: "gpt-5" },
          { provider: "openai", model: "gpt-5-mini" }
        ])
        assert.deepStrictEqual(
          rows.map((r) => [r.totals.attempts, r.totals.requests, r.totals.cost]),
          [[1, 1, 2], [2, 2, 2], [1, 1, 0.5]]
        )
        assert.isTrue(rows.every((r) => r.bucket === undefined))
      }))

    it.effect("breakdown by API key: keyless use is its own group, listed first", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(3)
        yield* recordAll([
          entry({ timestamp: t, apiKeyId: "key-b", cost: 3 }),
          entry({ timestamp: t + 1, apiKeyId: null, cost: 1 }),
          entry({ timestamp: t + 2, apiKeyId: "key-a", cost: 2 }),
          entry({ timestamp: t + 3, apiKeyId: "key-b", cost: 3, requestId: "req-2" })
        ])
        const rows = yield* ledger.usage({ from: t, to: t + day, groupBy: ["apiKeyId"] })
        assert.deepStrictEqual(rows.map((r) => [r.group.apiKeyId, r.totals.cost]), [[null, 1], ["key-a", 2], ["key-b", 6]])
      }))

    it.effect("time buckets aligned to the epoch, per model alias", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(4)
        yield* recordAll([
          entry({ timestamp: t + 10 * 60_000, modelAlias: "smart" }),
          entry({ timestamp: t + 50 * 60_000, modelAlias: "smart", requestId: "req-2" }),
          entry({ timestamp: t + 50 * 60_000, modelAlias: "cheap", cost: 0.001 }),
          entry({ timestamp: t + hour + 5 * 60_000, modelAlias: "smart", cost: 0.02 }),
          entry({ timestamp: t + 3 * hour, modelAlias: "cheap", cost: null })
        ])
        // A window that starts mid-hour still gets whole, epoch-aligned buckets.
        const rows = yield* ledger.usage({ from: t + 5 * 60_000, to: t + day, groupBy: ["modelAlias"], bucket: hour })
        assert.deepStrictEqual(
          rows.map((r) => [r.bucket, r.group.modelAlias, r.totals.attempts, r.totals.unknownCost]),
          [[t, "cheap", 1, 0], [t, "smart", 2, 0], [t + hour, "smart", 1, 0], [t + 3 * hour, "cheap", 1, 1]]
        )
        assert.closeTo(rows[1]!.totals.cost, 0.02, 1e-12)
        const daily = yield* ledger.usage({ from: t, to: t + day, bucket: day })
        assert.deepStrictEqual(daily.map((r) => [r.bucket, r.group, r.totals.attempts]), [[t, {}, 5]])
      }))

    it.effect("filters by provider, model, key and alias", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(5)
        yield* recordAll([
          entry({ timestamp: t, provider: "anthropic", model: "claude-haiku-4-5", apiKeyId: "key-b", cost: 1 }),
          entry({ timestamp: t + 1, provider: "anthropic", model: "claude-sonnet-4-5", apiKeyId: "key-a", cost: 2 }),
          entry({ timestamp: t + 2, provider: "openai", apiKeyId: "key-b", modelAlias: "cheap", cost: 4 })
        ])
        const window = { from: t, to: t + day }
        assert.strictEqual((yield* ledger.totals({ ...window, where: { provider: "anthropic" } })).cost, 3)
        assert.strictEqual((yield* ledger.totals({ ...window, where: { apiKeyId: "key-b" } })).cost, 5)
        const both = yield* ledger.totals({ ...window, where: { provider: "anthropic", apiKeyId: "key-b" } })
        assert.strictEqual(both.cost, 1)
        assert.strictEqual((yield* ledger.totals({ ...window, where: { modelAlias: "cheap" } })).cost, 4)
        assert.strictEqual((yield* ledger.totals({ ...window, where: { model: "claude-sonnet-4-5" } })).cost, 2)
        const rows = yield* ledger.usage({ ...window, where: { apiKeyId: "key-b" }, groupBy: ["provider"] })
        assert.deepStrictEqual(rows.map((r) => [r.group.provider, r.totals.cost]), [["anthropic", 1], ["openai", 4]])
      }))

    it.effect("an empty window: zero totals, no groups", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(6)
        assertTotals(yield* ledger.totals({ from: t, to: t + day }), LedgerEntry.emptyTotals)
        assert.deepStrictEqual(yield* ledger.usage({ from: t, to: t + day, groupBy: ["provider"] }), [])
        assert.deepStrictEqual(yield* ledger.usage({ from: t, to: t + day, bucket: hour }), [])
        assert.deepStrictEqual(yield* ledger.entries({ from: t, to: t + day }), [])
      }))

    it.effect("concurrent writes all land; entries are oldest first and honour the limit", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(7)
        const written = Array.from({ length: 50 }, (_, i) =>
          entry({ timestamp: t + (49 - i) * 1000, requestId: `req-${String(i).padStart(2, "0")}`, cost: 0.001 }))
        yield* Effect.forEach(written, ledger.record, { concurrency: "unbounded", discard: true })
        const sums = yield* ledger.totals({ from: t, to: t + day })
        assert.deepStrictEqual([sums.attempts, sums.requests, sums.inputTokens], [50, 50, 50_000])
        assert.closeTo(sums.cost, 0.05, 1e-9)
        const firstThree = yield* ledger.entries({ from: t, to: t + day, limit: 3 })
        assert.deepStrictEqual(firstThree.map((e) => e.requestId), ["req-49", "req-48", "req-47"])
      }))

    it.effect("requests: the most recent ones first (by their latest attempt), each with its attempts in the window, oldest first", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(8)
        yield* recordAll([
          entry({ timestamp: t, requestId: "req-a" }),
          entry({ timestamp: t + 10, requestId: "req-b", outcome: "server_error" }),
          entry({ timestamp: t + 20, requestId: "req-c", provider: "anthropic" }),
          entry({ timestamp: t + 30, requestId: "req-b", role: "fallback", provider: "anthropic" }),
          entry({ timestamp: t + 40, requestId: "req-d" }),
          entry({ timestamp: t + day, requestId: "req-e" })
        ])
        const recent = yield* ledger.requests({ from: t, to: t + day, limit: 3 })
        assert.deepStrictEqual(recent.map((e) => [e.requestId, e.timestamp - t]), [["req-d", 40], ["req-b", 10], ["req-b", 30], ["req-c", 20]])
        const openai = yield* ledger.requests({ from: t, to: t + day, limit: 10, where: { provider: "openai" } })
        assert.deepStrictEqual(openai.map((e) => e.requestId), ["req-d", "req-b", "req-a"])
        assert.deepStrictEqual((yield* ledger.request("req-b")).map((e) => [e.role, e.outcome, e.provider]), [
          ["primary", "server_error", "openai"],
          ["fallback", "ok", "anthropic"]
        ])
        assert.deepStrictEqual(yield* ledger.request("req-none"), [])
        assert.deepStrictEqual(yield* ledger.requests({ from: t, to: t + day, limit: 0 }), [])
      }))

    it.effect("figures per route and per bucket: attempts, errors, nearest-rank latency percentiles of the attempts not cancelled", () =>
      Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        const t = base(9)
        // openai/gpt-5: 20 attempts at 10, 20, ..., 200 ms, two of them errors; a cancelled hedge at 5 ms
        // (not in the percentiles). ollama/llama3.2: one attempt, an hour later, cancelled only.
        const timed = Array.from({ length: 20 }, (_, i) =>
          entry({ timestamp: t + i, requestId: `req-${i}`, latencyMs: (i + 1) * 10, outcome: i === 3 || i === 7 ? "server_error" : "ok" }))
        yield* recordAll([
          ...timed,
          entry({ timestamp: t + 30, requestId: "req-h", role: "hedge", outcome: "cancelled", latencyMs: 5 }),
          entry({ timestamp: t + hour, requestId: "req-o", provider: "ollama", model: "llama3.2", outcome: "cancelled", latencyMs: 1 })
        ])
        const window = { from: t, to: t + day }
        const byRoute = yield* ledger.figures({ ...window, groupBy: ["provider", "model"] })
        assert.deepStrictEqual(byRoute, [
          { group: { provider: "ollama", model: "llama3.2" }, figures: { attempts: 1, errors: 0, p50: null, p95: null, p99: null } },
          // ranks ceil(0.5 × 20) = 10, ceil(0.95 × 20) = 19, ceil(0.99 × 20) = 20
          { group: { provider: "openai", model: "gpt-5" }, figures: { attempts: 21, errors: 2, p50: 100, p95: 190, p99: 200 } }
        ])
        const byHour = yield* ledger.figures({ ...window, bucket: hour, where: { provider: "openai" } })
        assert.deepStrictEqual(byHour, [{ group: {}, bucket: t, figures: { attempts: 21, errors: 2, p50: 100, p95: 190, p99: 200 } }])
        // Three attempts: ranks 2, 3, 3.
        const few = yield* ledger.figures({ from: t, to: t + 3 })
        assert.deepStrictEqual(few, [{ group: {}, figures: { attempts: 3, errors: 0, p50: 20, p95: 30, p99: 30 } }])
        assert.deepStrictEqual(yield* ledger.figures({ from: t - day, to: t }), [
          { group: {}, figures: { attempts: 0, errors: 0, p50: null, p95: null, p99: null } }
        ])
      }))
  })
