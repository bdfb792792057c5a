/**
 * The chaos run in CI: a fixed seed, the probe's timings scaled down five times (deadline 3 s, first
 * token 800 ms, idle 600 ms, retries from 100 ms), every fault of the mock upstream injected on the first route of an
 * alias whose second route is healthy. While a healthy route exists no client may see a failure:
 * every plain answer whole, every stream complete, in order, once, ending with `[DONE]`; every
 * attempt an upstream saw in the ledger; no request past its deadline. `npm run chaos` is the long
 * version. A `.latency.ts` file: it runs after the others, alone, as it measures time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Chaos from "./Chaos.ts"

const options: Chaos.Options = {
  seed: 20_260_101,
  requests: 600,
  rate: 30,
  faultRate: 0.2,
  // The probe's timings (15 s, 4 s, 3 s, retries from 500 ms) scaled by 0.2.
  timings: { deadlineMs: 3000, firstTokenMs: 800, idleMs: 600, retryBaseMs: 100 }
}

describe("chaos", () => {
  it.live("a faulty first route and a healthy second: no client sees a failure, the ledger has every attempt, no request outlives its deadline", () =>
    Effect.gen(function*() {
      const report = yield* Chaos.run({ ...options, marginMs: 750 })
      const summary = Chaos.table(report, options)
      for (const fault of Chaos.faults) {
        for (const kind of ["plain", "streamed"]) {
          assert.isAtLeast(report.faultedRequests[`${fault.name} ${kind}`] ?? 0, 1, `${fault.name} given to a ${kind} request\n${summary}`)
        }
      }
      assert.deepStrictEqual(
        report.failures.map((f) => `#${f.index} ${f.streamed ? "stream" : "plain"} ${f.status} ${f.verdict}: ${f.detail}`),
        [],
        summary
      )
      assert.deepStrictEqual(report.ledgerMismatches, [], summary)
      assert.deepStrictEqual(report.exchanges, report.ledger, summary)
      assert.deepStrictEqual(report.overDeadline.map((o) => `#${o.index}: ${o.elapsed} ms`), [], summary)
      assert.isAbove(report.exchanges.backup, 0)
    }).pipe(Effect.scoped), 120_000)
})
