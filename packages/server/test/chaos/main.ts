/**
 * `npm run chaos`: the long chaos run, at the timings of the outside probe that found requests
 * retried on a faulty route until the deadline ran out while a healthy one waited (2,000 requests,
 * deadline 15 s, first token 4 s, idle 3 s, retries from 500 ms). Prints the summary table and the
 * failures; exits 1 when a client saw a failure, a request ended past its deadline, or the ledger
 * misses an attempt.
 *
 * `--requests N`, `--seed N`, `--rate N` (requests per second), `--scale X` (every timing times X:
 * `--requests 400 --rate 30 --scale 0.2` is the CI run).
 */
import { Effect } from "effect"
import { parseArgs } from "node:util"
import * as Chaos from "./Chaos.ts"

const { values } = parseArgs({
  options: { requests: { type: "string" }, seed: { type: "string" }, rate: { type: "string" }, scale: { type: "string" } }
})

const scale = Number(values.scale ?? 1)
const options: Chaos.Options = {
  seed: Number(values.seed ?? 20_260_101),
  requests: Number(values.requests ?? 2000),
  rate: Number(values.rate ?? 25),
  faultRate: 0.2,
  timings: {
    deadlineMs: 15_000 * scale,
    firstTokenMs: 4_000 * scale,
    idleMs: 3_000 * scale,
    retryBaseMs: 500 * scale
  }
}

const main = Effect.gen(function*() {
  const report = yield* Chaos.run({ ...options, marginMs: 250 })
  console.log(Chaos.table(report, options))
  for (const f of report.failures.slice(0, 20)) {
    console.log(`- #${f.index} (${f.streamed ? "stream" : "plain"}, ${f.elapsed} ms): ${f.status} ${f.verdict} ${f.detail.slice(0, 400)}`)
  }
  for (const o of report.overDeadline.slice(0, 10)) console.log(`- #${o.index} took ${o.elapsed} ms: ${o.attempts}`)
  for (const m of report.ledgerMismatches.slice(0, 10)) console.log(`- ledger #${m.index}: upstreams ${m.exchanges}, ledger ${m.ledger}`)
  return report.failures.length + report.overDeadline.length + report.ledgerMismatches.length === 0 ? 0 : 1
})

Effect.runPromise(Effect.scoped(main)).then((code) => process.exit(code), (error: unknown) => {
  console.error(error)
  process.exit(1)
})
