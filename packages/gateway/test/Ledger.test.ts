import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Usage } from "@switchyard/core"
import { CostLedger } from "@switchyard/cost"
import { Ledger } from "@switchyard/gateway"

const entry = (requestId: string, provider: string, cost: number, timestamp: number): Ledger.Entry => ({
  requestId,
  apiKeyId: null,
  modelAlias: "smart",
  provider,
  model: "m",
  role: "primary",
  outcome: "ok",
  latencyMs: 100,
  usage: Usage.make({ inputTokens: 1000, outputTokens: 100 }),
  estimateMethod: null,
  cost,
  timestamp
})

describe("Ledger", () => {
  it.effect("reads what the cost ledger recorded: spend with its groups, attempts and requests", () =>
    Effect.gen(function*() {
      const ledger = yield* CostLedger.CostLedger
      yield* ledger.record(entry("r1", "openai", 0.25, 1_000))
      yield* ledger.record(entry("r2", "openai", 0.5, 2_000))
      yield* ledger.record(entry("r2", "anthropic", 1, 3_000))
      yield* ledger.record(entry("old", "openai", 100, 10))

      const { rows, totals } = yield* Ledger.usage({ from: 500, to: 5_000, groupBy: ["provider"] })
      assert.strictEqual(totals.requests, 2)
      assert.strictEqual(totals.attempts, 3)
      assert.strictEqual(totals.cost, 1.75)
      assert.deepStrictEqual(rows.map((r) => [r.group["provider"], r.totals.cost]), [["anthropic", 1], ["openai", 0.75]])

      assert.deepStrictEqual((yield* Ledger.entries({ from: 500, to: 5_000 })).map((e) => e.requestId), ["r1", "r2", "r2"])
      assert.deepStrictEqual((yield* Ledger.requests({ from: 0, to: 5_000, limit: 1 })).map((e) => e.provider), ["openai", "anthropic"])
      assert.deepStrictEqual(yield* Ledger.request("nope"), [])
    }).pipe(Effect.provide(CostLedger.layerMemory)))
})
