/**
 * Breakers shared by two instances (two layers, two clients) over the real Redis.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { HealthStore, RouteHealth } from "@switchyard/routing"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { Redis } from "effect/persistence"
import { HealthStoreRedis, type SharedState } from "../src/index.ts"
import { instance, testPrefix, url } from "./redis.ts"

const key = "openai/gpt-4o"

const health = (options: RouteHealth.Options) =>
  Layer.mergeAll(RouteHealth.layer(options).pipe(Layer.provide(HealthStoreRedis.layer)), HealthStoreRedis.layer)

const pair = (options: RouteHealth.Options, shared: Partial<SharedState.Options> = {}) =>
  Effect.gen(function*() {
    const prefix = yield* testPrefix
    const a = yield* instance(health(options), { url, prefix, ...shared })
    const b = yield* instance(health(options), { url, prefix, ...shared })
    return [Context.get(a, RouteHealth.RouteHealth), Context.get(b, RouteHealth.RouteHealth), a, b] as const
  })

const fail = (route: RouteHealth.RouteHealthShape, times: number) =>
  Effect.repeat(Effect.flatMap(route.admit(key), (admission) => route.record(key, admission, "failure")), { times: times - 1 })

describe("HealthStoreRedis", () => {
  it.live("a route's state expires a day after its last write (route keys come from client model names)", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* instance(health({ consecutiveFailures: 3 }), { url, prefix })
      yield* fail(Context.get(a, RouteHealth.RouteHealth), 1)
      const redis = Context.get(yield* Layer.build(NodeRedis.layer({ url })), Redis.Redis)
      const ttl = yield* redis.send<number>("PTTL", `${prefix}health:${key}`)
      assert.isAbove(ttl, HealthStoreRedis.TTL_MS - 60_000)
      assert.isAtMost(ttl, HealthStoreRedis.TTL_MS)
    }))

  it.live("a breaker opened by failures recorded on A is open on B, with A's reason", () =>
    Effect.gen(function*() {
      const [a, b] = yield* pair({ consecutiveFailures: 3, cooldown: "1 minute" })
      yield* fail(a, 2)
      assert.strictEqual(yield* b.status(key), "closed")
      yield* Effect.flatMap(b.admit(key), (admission) => b.record(key, admission, "failure", "server"))
      assert.strictEqual(yield* a.status(key), "open")
      const rejected = yield* a.admit(key)
      assert.strictEqual(rejected._tag, "Rejected")
      if (rejected._tag === "Rejected") assert.strictEqual(rejected.reason, "server")
      assert.strictEqual(yield* b.status(key), "open")
    }))

  it.live("after the cooldown exactly one of A and B gets the half-open probe, whatever the concurrency", () =>
    Effect.gen(function*() {
      const [a, b] = yield* pair({ consecutiveFailures: 2, cooldown: "200 millis", jitter: 0, probeLease: "1 minute" })
      yield* fail(a, 2)
      assert.strictEqual((yield* b.admit(key))._tag, "Rejected")
      yield* Effect.sleep("300 millis")
      const admissions = yield* Effect.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).admit(key)),
        { concurrency: "unbounded" }
      )
      const probes = admissions.filter((admission) => admission._tag === "Probe")
      assert.strictEqual(probes.length, 1)
      assert.strictEqual(admissions.filter((admission) => admission._tag === "Rejected").length, 39)
      yield* b.record(key, probes[0]!, "success")
      assert.strictEqual(yield* a.status(key), "closed")
      assert.strictEqual((yield* a.admit(key))._tag, "Allowed")
    }))

  it.live("concurrent modifications from both instances are none of them lost", () =>
    Effect.gen(function*() {
      // 100 compare-and-sets on one key retry each other many times: with the default 250 ms timeout
      // a late one is answered from the instance's local store (by design, see SharedState), which
      // this test, about no write being lost on Redis, is not about.
      const [, , a, b] = yield* pair({}, { timeout: "10 seconds" })
      const stores = [Context.get(a, HealthStore.HealthStore), Context.get(b, HealthStore.HealthStore)]
      const bump = (store: HealthStore.HealthStoreShape) =>
        store.modify(key, (state) =>
          [undefined, state._tag === "Closed" ? { ...state, consecutive: state.consecutive + 1 } : state] as const)
      yield* Effect.all(Array.from({ length: 100 }, (_, i) => bump(stores[i % 2]!)), { concurrency: "unbounded" })
      const state = yield* stores[0]!.get(key)
      assert.strictEqual(state._tag === "Closed" ? state.consecutive : -1, 100)
    }))
})
