/**
 * Hedging against a heavy tail: two routes whose answers take 50 ms (95%) or 2 s (5%), drawn
 * independently per call. Prints p50 / p99 / p99.9 and the fraction of extra upstream requests
 * without hedging, with a fixed delay and with an adaptive one. Real sleeps, scaled by `SCALE`
 * (latencies are reported unscaled). Run: `npx node packages/routing/bench/hedging.ts`.
 */
import { Duration, Effect, Layer } from "effect"
import { Hedge, type Route, Router } from "../src/index.ts"

const SCALE = 0.5
const REQUESTS = 2000
const CONCURRENCY = 100
const routes: ReadonlyArray<Route.Route> = [{ provider: "a", model: "m" }, { provider: "b", model: "m" }]

/** A small seeded generator, so every run draws the same latencies. */
const lcg = (seed: number) => () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31

const scenario = (label: string, hedge: Hedge.Delay | false) =>
  Effect.gen(function*() {
    const random = lcg(2024)
    let calls = 0
    const call = () =>
      Effect.suspend(() => {
        calls++
        return Effect.sleep(Duration.millis((random() < 0.95 ? 50 : 2000) * SCALE))
      })
    const router = yield* Router.Router
    const latencies = yield* Effect.forEach(
      Array.from({ length: REQUESTS }),
      () => Effect.map(Effect.timed(router.run(routes, call, { hedge })), ([d]) => Duration.toMillis(d) / SCALE),
      { concurrency: CONCURRENCY }
    )
    const sorted = latencies.sort((x, y) => x - y)
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!.toFixed(0)
    return { label, p50: at(0.5), p99: at(0.99), "p99.9": at(0.999), extra: ((calls - REQUESTS) / REQUESTS).toFixed(3) }
  }).pipe(Effect.provide(Router.layerMemory({ hedgeBudget: { ratio: 0.1, burst: CONCURRENCY / 2 } })))

const program = Effect.gen(function*() {
  const rows = [
    yield* scenario("no hedging", false),
    yield* scenario("fixed 75 ms", Hedge.fixed(Duration.millis(75 * SCALE))),
    yield* scenario(
      "adaptive p95 [60 ms, 120 ms]",
      Hedge.adaptive({ min: Duration.millis(60 * SCALE), max: Duration.millis(120 * SCALE) })
    )
  ]
  console.log("| strategy | p50 ms | p99 ms | p99.9 ms | extra requests |")
  console.log("|---|---|---|---|---|")
  for (const r of rows) console.log(`| ${r.label} | ${r.p50} | ${r.p99} | ${r["p99.9"]} | ${r.extra} |`)
})

Effect.runPromise(program.pipe(Effect.provide(Layer.empty)))
