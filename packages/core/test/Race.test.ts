/**
 * `Race.within` with the live clock (a plain timer) and under a `TestClock` (the clock's sleep):
 * the effect's own result when it ends first, the limit's or the signal's failure when they come
 * first, the effect then interrupted, and nothing started once the time is up or the signal fired.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { Race } from "@switchyard/core"

const failure = (exit: Exit.Exit<unknown, unknown>) => {
  const error = Exit.findErrorOption(exit)
  return error._tag === "Some" ? error.value : undefined
}

/** An effect that never ends, and whether it was interrupted. */
const hanging = Effect.gen(function*() {
  const interrupted = yield* Ref.make(false)
  const started = yield* Deferred.make<void>()
  const effect = Deferred.succeed(started, undefined).pipe(
    Effect.andThen(Effect.never),
    Effect.onInterrupt(() => Ref.set(interrupted, true))
  )
  return { effect, started, interrupted }
})

const limits = (millis: number, signal: Race.Signal = Race.never) => ({
  millis,
  onTime: () => Effect.fail("time" as const),
  signal,
  onSignal: () => Effect.fail("signal" as const)
})

describe("Race.within", () => {
  it.live("the effect's result when it ends first, at once or later", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Race.within(Effect.succeed(1), limits(1_000)), 1)
      assert.strictEqual(yield* Race.within(Effect.as(Effect.sleep("5 millis"), 2), limits(1_000)), 2)
      assert.strictEqual(failure(yield* Effect.exit(Race.within(Effect.fail("own"), limits(1_000)))), "own")
    }))

  it.live("with the live clock: the limit's failure after `millis`, the effect interrupted", () =>
    Effect.gen(function*() {
      const { effect, interrupted } = yield* hanging
      const started = Date.now()
      const exit = yield* Effect.exit(Race.within(effect, limits(30)))
      assert.strictEqual(failure(exit), "time")
      assert.isAtLeast(Date.now() - started, 25)
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it.live("the signal's failure when it fires first; nothing started once it has fired or the time is up", () =>
    Effect.gen(function*() {
      const signal = Race.makeSignal()
      const { effect, interrupted, started } = yield* hanging
      const fiber = yield* Effect.forkChild(Effect.exit(Race.within(effect, limits(60_000, signal))))
      yield* Deferred.await(started)
      signal.fire()
      assert.strictEqual(failure(yield* Fiber.join(fiber)), "signal")
      assert.isTrue(yield* Ref.get(interrupted))

      const ran = yield* Ref.make(0)
      const count = Ref.update(ran, (n) => n + 1)
      assert.strictEqual(failure(yield* Effect.exit(Race.within(count, limits(60_000, signal)))), "signal")
      assert.strictEqual(failure(yield* Effect.exit(Race.within(count, limits(0)))), "time")
      assert.strictEqual(yield* Ref.get(ran), 0)
    }))

  it.live("a limit beyond what a timer takes (about 24.8 days) is no limit, not an immediate timeout", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Race.within(Effect.as(Effect.sleep("20 millis"), "done"), limits(2 ** 40)), "done")
      assert.strictEqual(yield* Race.within(Effect.as(Effect.sleep("20 millis"), "done"), limits(Number.POSITIVE_INFINITY)), "done")
    }))

  it.effect("under a TestClock: the limit follows the clock, not real time", () =>
    Effect.gen(function*() {
      const { effect, interrupted } = yield* hanging
      const fiber = yield* Effect.forkChild(Effect.exit(Race.within(effect, limits(10_000))))
      yield* TestClock.adjust("9 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.strictEqual(failure(yield* Fiber.join(fiber)), "time")
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it.live("cutoff: the current Race.Cutoff ends the race with an interruption its caller sees as a failure, and goes on", () =>
    Effect.gen(function*() {
      const cutoff = Race.makeSignal()
      const { effect, interrupted, started } = yield* hanging
      const raced = Race.within(effect, { millis: 60_000, onTime: () => Effect.fail("time" as const), cutoff: true }).pipe(
        Effect.exit,
        Effect.map((exit) => ({ exit, after: "the caller went on" })),
        Effect.provideService(Race.Cutoff, cutoff)
      )
      const fiber = yield* Effect.forkChild(raced)
      yield* Deferred.await(started)
      cutoff.fire()
      const { after, exit } = yield* Fiber.join(fiber)
      assert.strictEqual(after, "the caller went on")
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
      assert.isTrue(yield* Ref.get(interrupted))
      // Without a cutoff in context, or once it fired, nothing changes or nothing starts.
      assert.strictEqual(yield* Race.within(Effect.succeed(1), { cutoff: true }), 1)
      const late = yield* Effect.exit(Race.within(Effect.succeed(1), { cutoff: true }).pipe(Effect.provideService(Race.Cutoff, cutoff)))
      assert.isTrue(Exit.isFailure(late) && Cause.hasInterruptsOnly(late.cause))
    }))

  it.live("an outer interruption interrupts the effect", () =>
    Effect.gen(function*() {
      const { effect, interrupted, started } = yield* hanging
      const fiber = yield* Effect.forkChild(Race.within(effect, limits(60_000)))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* Ref.get(interrupted))
    }))
})
