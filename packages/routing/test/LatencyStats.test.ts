import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { LatencyStats } from "../src/index.ts"

const q = (stats: LatencyStats.LatencyStatsShape, key: string, quantile: number) =>
  Effect.map(stats.quantile(key, "ttft", quantile), (d) => Option.getOrThrow(Option.map(d, Duration.toMillis)))

describe("LatencyStats", () => {
  it.effect("quantiles of 1..10000 ms are within the relative accuracy", () =>
    Effect.gen(function*() {
      const stats = yield* LatencyStats.LatencyStats
      // A shuffled order: the sketch must not depend on arrival order.
      for (let i = 0; i < 10_000; i++) yield* stats.observe("a/m", "ttft", ((i * 7919) % 10_000) + 1)
      for (const [quantile, exact] of [[0.5, 5000], [0.9, 9000], [0.99, 9900], [0.999, 9990]] as const) {
        const estimate = yield* q(stats, "a/m", quantile)
        assert.isAtMost(Math.abs(estimate - exact) / exact, 0.021, `p${quantile * 100}: ${estimate} vs ${exact}`)
      }
      assert.isTrue(Option.isNone(yield* stats.quantile("a/m", "total", 0.5)))
      assert.isTrue(Option.isNone(yield* stats.quantile("b/m", "ttft", 0.5)))
    }).pipe(Effect.provide(LatencyStats.layerMemory())))

  it.effect("a heavy tail shows in p99 but not p50", () =>
    Effect.gen(function*() {
      const stats = yield* LatencyStats.LatencyStats
      for (let i = 0; i < 1000; i++) yield* stats.observe("a/m", "total", i % 20 === 0 ? "2 seconds" : "50 millis")
      const p50 = Duration.toMillis(Option.getOrThrow(yield* stats.quantile("a/m", "total", 0.5)))
      const p99 = Duration.toMillis(Option.getOrThrow(yield* stats.quantile("a/m", "total", 0.99)))
      assert.isAtMost(Math.abs(p50 - 50), 1)
      assert.isAtMost(Math.abs(p99 - 2000), 40)
    }).pipe(Effect.provide(LatencyStats.layerMemory())))

  it.effect("with a half-life, old observations fade", () =>
    Effect.gen(function*() {
      const stats = yield* LatencyStats.LatencyStats
      for (let i = 0; i < 100; i++) yield* stats.observe("a/m", "ttft", 1000)
      yield* TestClock.adjust("10 minutes")
      for (let i = 0; i < 10; i++) yield* stats.observe("a/m", "ttft", 100)
      assert.isAtMost(Math.abs((yield* q(stats, "a/m", 0.5)) - 100), 2)
    }).pipe(Effect.provide(LatencyStats.layerMemory({ halfLife: "1 minute" }))))
})

/** A pool in memory: the sum of everything pushed, or unreachable while `down`. */
const memoryPool = () => {
  const state = { down: false, buckets: new Map<string, Map<number, number>>() }
  const pool: LatencyStats.Pool = {
    push: (counts) =>
      Effect.sync(() => {
        if (state.down) return
        for (const { buckets, key, kind } of counts) {
          const held = state.buckets.get(`${kind} ${key}`) ?? new Map<number, number>()
          for (const [bucket, weight] of buckets) held.set(bucket, (held.get(bucket) ?? 0) + weight)
          state.buckets.set(`${kind} ${key}`, held)
        }
      }),
    pull: () =>
      Effect.sync(() =>
        state.down ? Option.none() : Option.some([...state.buckets].map(([id, buckets]) => {
          const [kind, key] = id.split(" ") as [LatencyStats.Kind, string]
          return { key, kind, buckets: [...buckets] }
        }))
      )
  }
  return { pool, state }
}

describe("LatencyStats pooled", () => {
  it.effect("one instance's observations move another's quantiles after a sync; reads stay local until then", () =>
    Effect.gen(function*() {
      const { pool } = memoryPool()
      const a = yield* LatencyStats.makePooled(pool)
      const b = yield* LatencyStats.makePooled(pool)
      for (let i = 0; i < 10; i++) yield* b.observe("a/m", "ttft", 100)
      for (let i = 0; i < 30; i++) yield* a.observe("a/m", "ttft", 1000)
      assert.isAtMost(Math.abs((yield* q(b, "a/m", 0.5)) - 100), 2, "before a sync: B's own")
      yield* TestClock.adjust("1 second")
      assert.isAtMost(Math.abs((yield* q(b, "a/m", 0.5)) - 1000), 20, "after: both instances' 40 observations")
      assert.isAtMost(Math.abs((yield* q(b, "a/m", 0.2)) - 100), 2)
      assert.isAtMost(Math.abs((yield* q(a, "a/m", 0.2)) - 100), 2, "A sees B's too")
    }).pipe(Effect.scoped))

  it.effect("the pool unreachable: each instance reads its own observations", () =>
    Effect.gen(function*() {
      const { pool, state } = memoryPool()
      const a = yield* LatencyStats.makePooled(pool)
      const b = yield* LatencyStats.makePooled(pool)
      for (let i = 0; i < 30; i++) yield* a.observe("a/m", "ttft", 1000)
      yield* TestClock.adjust("1 second")
      assert.isTrue(Option.isSome(yield* b.quantile("a/m", "ttft", 0.5)))
      state.down = true
      for (let i = 0; i < 10; i++) yield* b.observe("a/m", "ttft", 100)
      yield* TestClock.adjust("1 second")
      assert.isAtMost(Math.abs((yield* q(b, "a/m", 0.99)) - 100), 2)
      assert.isAtMost(Math.abs((yield* q(a, "a/m", 0.5)) - 1000), 20)
    }).pipe(Effect.scoped))

  it.effect("keeps the most recently observed routes up to maxRoutes: a client naming routes cannot grow it", () =>
    Effect.gen(function*() {
      const stats = yield* LatencyStats.LatencyStats
      yield* stats.observe("a/m", "ttft", "100 millis")
      yield* stats.observe("a/m", "total", "1 second")
      yield* stats.observe("b/m", "ttft", "200 millis")
      // Reading a route counts as using it: `b/m` is now the least recently used.
      assert.strictEqual(yield* q(stats, "a/m", 0.5), yield* q(stats, "a/m", 0.5))
      yield* stats.observe("c/m", "ttft", "300 millis")
      assert.isTrue(Option.isNone(yield* stats.quantile("b/m", "ttft", 0.5)))
      assert.isAtMost(Math.abs((yield* q(stats, "a/m", 0.5)) - 100), 2)
      assert.isAtMost(Math.abs((yield* q(stats, "c/m", 0.5)) - 300), 6)
      // Both of a kept route's histograms are kept.
      assert.isTrue(Option.isSome(yield* stats.quantile("a/m", "total", 0.5)))
    }).pipe(Effect.provide(LatencyStats.layerMemory({ maxRoutes: 2 }))))
})
