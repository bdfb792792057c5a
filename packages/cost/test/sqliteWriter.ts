/**
 * Run as a child process by CostLedgerSqlite.test.ts: records ledger rows into the SQLite file given
 * as argument, one after another, printing `ack <n>` once row `n` is recorded, until it is killed.
 */
import { Effect } from "effect"
import * as Usage from "@switchyard/core/Usage"
import * as CostLedger from "../src/CostLedger.ts"

const program = Effect.gen(function*() {
  const ledger = yield* CostLedger.CostLedger
  for (let n = 0;; n++) {
    yield* ledger.record({
      requestId: `durable-${n}`,
      apiKeyId: null,
      modelAlias: "smart",
      provider: "openai",
      model: "gpt-5",
      role: "primary",
      outcome: "ok",
      latencyMs: 1,
      usage: Usage.make({ inputTokens: n, outputTokens: 1 }),
      estimateMethod: null,
      cost: 0.001,
      timestamp: 1_000_000 + n
    })
    process.stdout.write(`ack ${n}\n`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(CostLedger.layerSqlite({ filename: process.argv[2]! }))))
