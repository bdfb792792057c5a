/**
 * Redis unreachable: the stores answer from local state within the timeout and say `local`; when
 * Redis is back they say `redis` and serve the shared state again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Effect, Layer } from "effect"
import { RouteHealth } from "@switchyard/routing"
import { HealthStoreRedis, SharedState } from "../src/index.ts"
import { eventually, instance, proxy, testPrefix, url } from "./redis.ts"

const health = RouteHealth.layer({ consecutiveFailures: 2, cooldown: "1 minute", jitter: 0 }).pipe(
  Layer.provide(HealthStoreRedis.layer)
)

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return [value, (yield* Clock.currentTimeMillis) - start] as const
  })

const openOn = (route: RouteHealth.RouteHealthShape, key: string) =>
  Effect.repeat(Effect.flatMap(route.admit(key), (admission) => route.record(key, admission, "failure")), { times: 1 })

describe("SharedState", () => {
  it.live("nothing listening: the instance starts, says local, and serves local state at once", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const context = yield* instance(health, { url: "redis://127.0.0.1:1", prefix, connectWait: "300 millis" })
      const shared = Context.get(context, SharedState.SharedState)
      const route = Context.get(context, RouteHealth.RouteHealth)
      assert.strictEqual(yield* shared.status, "local")
      const [, elapsed] = yield* timed(openOn(route, "a/m"))
      assert.isBelow(elapsed, 250)
      assert.strictEqual(yield* route.status("a/m"), "open")
      assert.strictEqual(yield* route.status("b/m"), "closed")
      assert.strictEqual(yield* shared.status, "local")
    }))

  it.live("Redis silent (a partition): a call returns within the timeout, locally; Redis back: status redis, shared state again", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const gate = yield* proxy
      const a = yield* instance(health, { url: gate.url, prefix, timeout: "250 millis" })
      const b = yield* instance(health, { url, prefix })
      const sharedA = Context.get(a, SharedState.SharedState)
      const routeA = Context.get(a, RouteHealth.RouteHealth)
      const routeB = Context.get(b, RouteHealth.RouteHealth)
      assert.strictEqual(yield* sharedA.status, "redis")

      yield* gate.set("silent")
      const [, elapsed] = yield* timed(openOn(routeA, "a/m"))
      assert.isBelow(elapsed, 250 + 500, "the first call waits the timeout at most, the next none")
      assert.strictEqual(yield* sharedA.status, "local")
      assert.strictEqual(yield* routeA.status("a/m"), "open", "A's local breaker opened")
      assert.strictEqual(yield* routeB.status("a/m"), "closed", "B, on Redis, did not see it")

      yield* gate.set("up")
      assert.isTrue(yield* eventually(Effect.map(sharedA.status, (s) => s === "redis"), 5000))
      yield* openOn(routeB, "b/m")
      assert.strictEqual(yield* routeA.status("b/m"), "open", "A reads the shared state again")
    }))

  it.live("Redis down (connections refused) and back: local at once, then redis after reconnecting", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const gate = yield* proxy
      const a = yield* instance(health, { url: gate.url, prefix })
      const sharedA = Context.get(a, SharedState.SharedState)
      const routeA = Context.get(a, RouteHealth.RouteHealth)
      assert.strictEqual(yield* sharedA.status, "redis")

      yield* gate.set("down")
      const [, elapsed] = yield* timed(openOn(routeA, "a/m"))
      assert.isBelow(elapsed, 250 + 500)
      assert.strictEqual(yield* sharedA.status, "local")
      assert.strictEqual(yield* routeA.status("a/m"), "open")

      yield* gate.set("up")
      assert.isTrue(yield* eventually(Effect.map(sharedA.status, (s) => s === "redis"), 5000))
      assert.strictEqual(yield* routeA.status("a/m"), "closed", "the outage's local state is dropped; Redis never saw it")
    }))

  it.live("each outage starts from fresh local state", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const gate = yield* proxy
      const a = yield* instance(health, { url: gate.url, prefix })
      const sharedA = Context.get(a, SharedState.SharedState)
      const routeA = Context.get(a, RouteHealth.RouteHealth)

      yield* gate.set("down")
      yield* openOn(routeA, "a/m")
      assert.strictEqual(yield* routeA.status("a/m"), "open")
      yield* gate.set("up")
      assert.isTrue(yield* eventually(Effect.map(sharedA.status, (s) => s === "redis"), 5000))

      yield* gate.set("down")
      assert.strictEqual(yield* routeA.status("a/m"), "closed")
      assert.strictEqual(yield* sharedA.status, "local")
    }))
})
