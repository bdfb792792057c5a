/**
 * Latency statistics pooled in Redis: what instance A observes moves instance B's quantiles after a
 * sync; with Redis unreachable each instance reads its own; the slots expire.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Option } from "effect"
import { LatencyStats } from "@switchyard/routing"
import { LatencyStatsRedis, SharedState } from "../src/index.ts"
import { eventually, instance, keysUnder, proxy, testPrefix, url } from "./redis.ts"

const options = { syncEvery: "100 millis" } as const

const statsOn = (redisUrl: string, prefix: string, layerOptions: LatencyStatsRedis.Options = options) =>
  Effect.map(instance(LatencyStatsRedis.layer(layerOptions), { url: redisUrl, prefix, connectWait: "300 millis" }), (context) => ({
    stats: Context.get(context, LatencyStats.LatencyStats),
    shared: Context.get(context, SharedState.SharedState)
  }))

const median = (stats: LatencyStats.LatencyStatsShape, key = "a/m") =>
  Effect.map(stats.quantile(key, "ttft", 0.5), (d) => Option.getOrUndefined(Option.map(d, Duration.toMillis)))

const near = (expected: number) => (ms: number | undefined) => ms !== undefined && Math.abs(ms - expected) / expected <= 0.02

describe("LatencyStatsRedis", () => {
  it.live("samples recorded on A move B's quantile after a sync; both see the merged copy", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* statsOn(url, prefix)
      const b = yield* statsOn(url, prefix)
      for (let i = 0; i < 10; i++) yield* b.stats.observe("a/m", "ttft", 100)
      assert.isTrue(near(100)(yield* median(b.stats)), "B's own, before any sync")
      for (let i = 0; i < 30; i++) yield* a.stats.observe("a/m", "ttft", 1000)
      // A model name with a colon, as Ollama's have, round-trips.
      yield* a.stats.observe("ollama/llama3:8b", "ttft", 250)
      assert.isTrue(yield* eventually(Effect.map(median(b.stats), near(1000)), 2000), "B's median moved to A's")
      assert.isTrue(near(100)(Option.getOrUndefined(Option.map(yield* b.stats.quantile("a/m", "ttft", 0.2), Duration.toMillis))))
      assert.isTrue(yield* eventually(Effect.map(median(b.stats, "ollama/llama3:8b"), near(250)), 2000))
      assert.isTrue(Option.isNone(yield* b.stats.quantile("a/m", "total", 0.5)))
    }))

  it.live("Redis unreachable: each instance reads its own observations, at once", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const down = yield* statsOn("redis://127.0.0.1:1", prefix)
      assert.strictEqual(yield* down.shared.status, "local")
      for (let i = 0; i < 10; i++) yield* down.stats.observe("a/m", "ttft", 300)
      assert.isTrue(near(300)(yield* median(down.stats)))

      const gate = yield* proxy
      const a = yield* statsOn(url, prefix)
      const b = yield* statsOn(gate.url, prefix)
      for (let i = 0; i < 30; i++) yield* a.stats.observe("a/m", "ttft", 1000)
      for (let i = 0; i < 10; i++) yield* b.stats.observe("a/m", "ttft", 100)
      assert.isTrue(yield* eventually(Effect.map(median(b.stats), near(1000)), 2000))
      yield* gate.set("down")
      assert.isTrue(yield* eventually(Effect.map(b.shared.status, (s) => s === "local"), 2000))
      assert.isTrue(yield* eventually(Effect.map(median(b.stats), near(100)), 2000), "B back on its own histogram")
      yield* gate.set("up")
      assert.isTrue(yield* eventually(Effect.map(median(b.stats), near(1000)), 5000), "and on the merged copy when Redis is back")
    }))

  it.live("observations leave the merged copy after the window, and their keys expire", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* statsOn(url, prefix, { ...options, window: "500 millis" })
      const b = yield* statsOn(url, prefix, { ...options, window: "500 millis" })
      for (let i = 0; i < 10; i++) yield* a.stats.observe("a/m", "ttft", 1000)
      assert.isTrue(yield* eventually(Effect.map(median(b.stats), near(1000)), 2000))
      assert.isTrue(yield* eventually(Effect.map(median(b.stats), (ms) => ms === undefined), 2000), "B has none of its own")
      assert.isTrue(near(1000)(yield* median(a.stats)), "A falls back to its own")
      assert.isTrue(yield* eventually(Effect.map(keysUnder(prefix), (keys) => keys.length === 0), 3000))
    }))

  it.live("the merged copy holds at most maxRoutes route keys, those pushed last", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const bounded = { ...options, maxRoutes: 2 }
      const a = yield* statsOn(url, prefix)
      const b = yield* statsOn(url, prefix, bounded)
      // Pushed first: three keys, then, after they reached Redis, two more (four ids fit: two kinds each).
      for (const key of ["old/1", "old/2", "old/3"]) yield* a.stats.observe(key, "ttft", 100)
      assert.isTrue(yield* eventually(Effect.map(median(b.stats, "old/3"), near(100)), 2000))
      yield* Effect.sleep("150 millis")
      for (const key of ["new/1", "new/2"]) yield* a.stats.observe(key, "ttft", 100)
      assert.isTrue(yield* eventually(Effect.map(median(b.stats, "new/2"), near(100)), 2000))
      assert.isTrue(yield* eventually(Effect.map(median(b.stats, "new/1"), near(100)), 2000))
      const seen = yield* Effect.forEach(["old/1", "old/2", "old/3", "new/1", "new/2"], (key) => median(b.stats, key))
      assert.strictEqual(seen.filter((ms) => ms !== undefined).length, 4)
    }))
})
