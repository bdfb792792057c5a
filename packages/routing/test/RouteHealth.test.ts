import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { HealthStore, RouteHealth } from "../src/index.ts"

const key = "openai/gpt-4o"
const options: RouteHealth.Options = { consecutiveFailures: 3, cooldown: "10 seconds", jitter: 0.2 }

const fail = (health: RouteHealth.RouteHealthShape, times: number) =>
  Effect.repeat(
    Effect.flatMap(health.admit(key), (admission) => health.record(key, admission, "failure")),
    { times: times - 1 }
  )

describe("RouteHealth", () => {
  it.effect("opens after N consecutive failures and rejects until a jittered reopening", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      yield* fail(health, 2)
      assert.strictEqual((yield* health.admit(key))._tag, "Allowed")
      yield* fail(health, 1)
      const rejected = yield* health.admit(key)
      assert.strictEqual(rejected._tag, "Rejected")
      if (rejected._tag !== "Rejected") return
      assert.isAtLeast(rejected.reopensAt, 8_000)
      assert.isAtMost(rejected.reopensAt, 12_000)
      assert.strictEqual(yield* health.status(key), "open")
    }).pipe(Effect.provide(RouteHealth.layerMemory(options))))

  it.effect("a success resets the consecutive count", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      yield* fail(health, 2)
      yield* health.record(key, yield* health.admit(key), "success")
      yield* fail(health, 2)
      assert.strictEqual((yield* health.admit(key))._tag, "Allowed")
    }).pipe(Effect.provide(RouteHealth.layerMemory(options))))

  it.effect("after the cooldown admits exactly one probe, which closes the circuit on success", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      yield* fail(health, 3)
      yield* TestClock.adjust("12 seconds")
      const probe = yield* health.admit(key)
      assert.strictEqual(probe._tag, "Probe")
      assert.strictEqual((yield* health.admit(key))._tag, "Rejected")
      assert.strictEqual((yield* health.admit(key))._tag, "Rejected")
      yield* health.record(key, probe, "success")
      assert.strictEqual(yield* health.status(key), "closed")
      assert.strictEqual((yield* health.admit(key))._tag, "Allowed")
    }).pipe(Effect.provide(RouteHealth.layerMemory(options))))

  it.effect("a failed probe reopens the circuit for another cooldown", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      yield* fail(health, 3)
      yield* TestClock.adjust("12 seconds")
      const probe = yield* health.admit(key)
      yield* health.record(key, probe, "failure")
      const rejected = yield* health.admit(key)
      assert.strictEqual(rejected._tag, "Rejected")
      if (rejected._tag === "Rejected") assert.isAtLeast(rejected.reopensAt, 12_000 + 8_000)
      yield* TestClock.adjust("12 seconds")
      assert.strictEqual((yield* health.admit(key))._tag, "Probe")
    }).pipe(Effect.provide(RouteHealth.layerMemory(options))))

  it.effect("a cancelled probe frees the slot; a late outcome of the old circuit changes nothing", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      const early = yield* health.admit(key)
      yield* fail(health, 3)
      yield* TestClock.adjust("12 seconds")
      const probe = yield* health.admit(key)
      yield* health.record(key, early, "success")
      assert.strictEqual(yield* health.status(key), "half_open")
      yield* health.record(key, probe, "ignored")
      assert.strictEqual((yield* health.admit(key))._tag, "Probe")
    }).pipe(Effect.provide(RouteHealth.layerMemory(options))))

  it.effect("opens on a failure rate over the window", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      for (const verdict of ["failure", "success", "failure", "success", "failure", "success"] as const) {
        yield* health.record(key, yield* health.admit(key), verdict)
      }
      assert.strictEqual(yield* health.status(key), "closed")
      yield* health.record(key, yield* health.admit(key), "failure")
      assert.strictEqual(yield* health.status(key), "closed")
      yield* health.record(key, yield* health.admit(key), "failure")
      assert.strictEqual(yield* health.status(key), "open")
    }).pipe(Effect.provide(RouteHealth.layerMemory({
      consecutiveFailures: 10,
      failureRate: { threshold: 0.6, window: 6 }
    }))))

  it.effect("a rate limit cools the route down for its Retry-After, else the default, without opening it", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.RouteHealth
      yield* health.cool(key, Duration.seconds(20))
      const cooling = yield* health.admit(key)
      assert.deepStrictEqual(cooling, { _tag: "Rejected", reopensAt: 20_000, reason: "rate_limited", cooling: true })
      // The request that waited out its own Retry-After is let through; nobody else is.
      assert.strictEqual((yield* health.admit(key, { throughCooldown: true }))._tag, "Allowed")
      assert.strictEqual(yield* health.status(key), "closed")
      yield* TestClock.adjust("20 seconds")
      assert.strictEqual((yield* health.admit(key))._tag, "Allowed")
      yield* health.cool(key, undefined)
      const short = yield* health.admit(key)
      assert.isTrue(short._tag === "Rejected" && short.reopensAt === 21_000)
    }).pipe(Effect.provide(RouteHealth.layerMemory(options))))

  it.effect("the in-process store keeps the most recently used routes up to its bound: a client naming routes cannot grow it", () =>
    Effect.gen(function*() {
      const health = yield* RouteHealth.make(options).pipe(Effect.provideServiceEffect(HealthStore.HealthStore, HealthStore.makeMemory(3)))
      yield* fail(health, 3)
      assert.strictEqual(yield* health.status(key), "open")
      // Two other routes with a failure each fill the store; the open route is used again, so a
      // fourth route drops the least recently used of the other two, not the open circuit.
      for (const other of ["a/1", "a/2"]) yield* health.record(other, yield* health.admit(other), "failure")
      assert.strictEqual(yield* health.status(key), "open")
      yield* health.record("a/3", yield* health.admit("a/3"), "failure")
      assert.strictEqual(yield* health.status(key), "open")
      // Once more routes than the bound were used since, the open circuit is dropped: it starts again closed.
      for (let i = 0; i < 10; i++) yield* health.record(`b/${i}`, yield* health.admit(`b/${i}`), "failure")
      assert.strictEqual(yield* health.status(key), "closed")
    }))

  it.effect("a route only ever admitted is not stored: its state is the initial one", () =>
    Effect.gen(function*() {
      const store = yield* HealthStore.makeMemory(1)
      const health = yield* RouteHealth.make(options).pipe(Effect.provideService(HealthStore.HealthStore, store))
      yield* fail(health, 3)
      // Admitting other routes (a closed circuit admits unchanged) does not push the open one out.
      for (let i = 0; i < 10; i++) assert.strictEqual((yield* health.admit(`b/${i}`))._tag, "Allowed")
      assert.strictEqual(yield* health.status(key), "open")
    }))
})
