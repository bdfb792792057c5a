import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Random } from "effect"
import { LatencyStats, Route, RouteHealth, Strategy } from "../src/index.ts"

const a: Route.Route = { provider: "a", model: "m", weight: 1 }
const b: Route.Route = { provider: "b", model: "m", weight: 3, priority: 2 }
const c: Route.Route = { provider: "c", model: "m", weight: 0, priority: 1 }
const names = (routes: ReadonlyArray<Route.Route>) => routes.map((r) => r.provider).join("")

const Live = Layer.mergeAll(RouteHealth.layerMemory({ consecutiveFailures: 1 }), LatencyStats.layerMemory())

describe("Strategy", () => {
  it.effect("priority: lower first, then config order; open breakers last", () =>
    Effect.gen(function*() {
      assert.strictEqual(names(yield* Strategy.order(Strategy.priority, [a, b, c])), "cba")
      const health = yield* RouteHealth.RouteHealth
      yield* health.record("c/m", yield* health.admit("c/m"), "failure")
      assert.strictEqual(names(yield* Strategy.order(Strategy.priority, [a, b, c])), "bac")
    }).pipe(Effect.provide(Live)))

  it.effect("weighted: reproducible with a seed, first place in proportion to weight, weight 0 last", () =>
    Effect.gen(function*() {
      const once = Strategy.order(Strategy.weighted, [a, b, c])
      assert.strictEqual(names(yield* Random.withSeed(once, 7)), names(yield* Random.withSeed(once, 7)))
      const firsts = { a: 0, b: 0, c: 0 }
      yield* Effect.gen(function*() {
        for (let i = 0; i < 4000; i++) {
          const order = yield* once
          firsts[order[0]!.provider as "a" | "b" | "c"]++
          assert.strictEqual(order[2], c)
        }
      }).pipe(Random.withSeed(42))
      assert.strictEqual(firsts.c, 0)
      assert.isAtMost(Math.abs(firsts.b / 4000 - 0.75), 0.03)
    }).pipe(Effect.provide(Live)))

  it.effect("lowest latency: by p50 time to first token, unmeasured routes after", () =>
    Effect.gen(function*() {
      const stats = yield* LatencyStats.LatencyStats
      for (const ms of [100, 120, 900]) yield* stats.observe("b/m", "ttft", ms)
      for (const ms of [300, 310, 320]) yield* stats.observe("c/m", "ttft", ms)
      assert.strictEqual(names(yield* Strategy.order(Strategy.lowestLatency(), [a, c, b])), "bca")
    }).pipe(Effect.provide(Live)))

  it.effect("lowest price: cheapest first", () =>
    Effect.gen(function*() {
      const prices: Record<string, number> = { a: 3, b: 1, c: 2 }
      assert.strictEqual(names(yield* Strategy.order(Strategy.lowestPrice((r) => prices[r.provider]!), [a, b, c])), "bca")
    }).pipe(Effect.provide(Live)))
})
