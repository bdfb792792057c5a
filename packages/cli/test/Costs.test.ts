/**
 * `switchyard costs` reads the config's ledger and prints a table, or JSON with `--json`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Usage } from "@switchyard/core"
import { CostLedger, type LedgerEntry } from "@switchyard/cost"
import { run } from "./processes.ts"


const entry = (requestId: string, provider: string, cost: number | null, at: number): LedgerEntry.Entry => ({
  requestId,
  apiKeyId: "team-a",
  modelAlias: "smart",
  provider,
  model: "m",
  role: "primary",
  outcome: "ok",
  latencyMs: 100,
  usage: Usage.make({ inputTokens: 1000, outputTokens: 100 }),
  estimateMethod: null,
  cost,
  timestamp: at
})

describe("switchyard costs", () => {
  it.live("prints spend per provider from the config's SQLite ledger, as a table and as JSON", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-costs-"))
      const config = join(dir, "switchyard.yaml")
      writeFileSync(config, "providers:\n  demo: { kind: demo }\nledger: { kind: sqlite, path: spend.sqlite }\n")
      const now = Date.now()
      yield* Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        yield* ledger.record(entry("r1", "openai", 0.25, now - 60_000))
        yield* ledger.record(entry("r2", "openai", 0.5, now - 60_000))
        yield* ledger.record(entry("r3", "local", null, now - 60_000))
        yield* ledger.record(entry("old", "openai", 100, now - 10 * 86_400_000))
      }).pipe(Effect.provide(CostLedger.layerSqlite({ filename: join(dir, "spend.sqlite") })))

      const json = yield* run(["costs", "--config", config, "--since", "24h", "--by", "provider", "--json"])
      assert.strictEqual(json.code, 0, json.stderr)
      const report = JSON.parse(json.stdout)
      assert.strictEqual(report.totals.requests, 3)
      assert.closeTo(report.totals.cost, 0.75, 1e-9)
      assert.strictEqual(report.totals.unknownCost, 1)
      assert.deepStrictEqual(report.rows.map((r: any) => [r.provider, r.attempts]), [["local", 1], ["openai", 2]])

      const table = yield* run(["costs", "--config", config, "--by", "provider"])
      assert.strictEqual(table.code, 0, table.stderr)
      assert.match(table.stdout, /openai\s+2\s+2\s+2000\s+200\s+0\s+\$0\.750000/)
      assert.match(table.stdout, /total\s+3\s+3/)

      const bad = yield* run(["costs", "--config", config, "--since", "yesterday"])
      assert.strictEqual(bad.code, 1)
      assert.include(bad.stderr, "--since")
    }), 30_000)
})
