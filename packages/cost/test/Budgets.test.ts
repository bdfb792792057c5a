import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Budgets } from "../src/index.ts"

const smart = (apiKeyId: string | null = "key-a"): Budgets.Subject => ({ apiKeyId, modelAlias: "smart" })

/** The service from `Budgets.layerMemory(config)`. */
const budgets = (config: Budgets.Config) =>
  Effect.gen(function*() {
    return yield* Budgets.Budgets
  }).pipe(Effect.provide(Budgets.layerMemory(config)))

/** The refusal, failing the test when the effect succeeds. */
const exceeded = <A>(effect: Effect.Effect<A, Budgets.BudgetExceeded>) => Effect.flip(effect)

describe("Budgets", () => {
  it.effect("200 concurrent reservations cannot slip past a limit", () =>
    Effect.gen(function*() {
      const b = yield* budgets([{ model: "smart", limit_usd: 25, window: "daily" }])
      const results = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i),
        (i) => Effect.exit(Effect.andThen(Effect.yieldNow, b.reserve(smart(`key-${i}`), 1))),
        { concurrency: "unbounded" }
      )
      const granted = results.filter(Exit.isSuccess)
      assert.strictEqual(granted.length, 25)
      const refusals = results.filter(Exit.isFailure)
      assert.strictEqual(refusals.length, 175)
      const [status] = yield* b.status(smart())
      assert.strictEqual(status!.spent, 25)
    }))

  it.effect("a reservation is all or nothing across the budgets that apply", () =>
    Effect.gen(function*() {
      const b = yield* budgets([
        { name: "smart-daily", model: "smart", limit_usd: 10, window: "daily" },
        { name: "per-key", key: "*", limit_usd: 3, window: "daily" }
      ])
      const first = yield* Effect.forEach(
        Array.from({ length: 6 }, () => smart("key-a")),
        (subject) => Effect.exit(b.reserve(subject, 1)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(first.filter(Exit.isSuccess).length, 3)
      // The three refused by key-a's budget took nothing from the model's: seven dollars are left.
      const second = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => smart(`other-${i % 4}`)),
        (subject) => Effect.exit(b.reserve(subject, 1)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(second.filter(Exit.isSuccess).length, 7)
      const refusal = yield* exceeded(b.reserve(smart("fresh-key"), 1))
      assert.strictEqual(refusal.budget, "smart-daily")
      assert.deepStrictEqual([refusal.limit, refusal.spent, refusal.requested], [10, 10, 1])
    }))

  it.effect("BudgetExceeded says which budget, its limit, the spend, the window and when it resets", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-24T15:00:00Z"))
      const b = yield* budgets([{ key: "key-a", limit_usd: 5, window: "daily" }])
      yield* b.reserve(smart(), 4)
      const error = yield* exceeded(b.reserve(smart(), 2))
      assert.strictEqual(error._tag, "BudgetExceeded")
      assert.strictEqual(error.budget, "key=key-a daily")
      assert.deepStrictEqual([error.limit, error.spent, error.requested], [5, 4, 2])
      assert.strictEqual(error.window, "daily")
      assert.strictEqual(error.resetsAt, Date.parse("2026-11-25T00:00:00Z"))
      assert.include(error.message, "key=key-a daily")
    }))

  it.effect("settle replaces the reservation by the actual cost; release frees it; an unknown cost keeps it", () =>
    Effect.gen(function*() {
      const b = yield* budgets([{ model: "smart", limit_usd: 10, window: "monthly" }])
      const spent = Effect.map(b.status(smart()), ([s]) => s!.spent)
      const big = yield* b.reserve(smart(), 6)
      assert.strictEqual(yield* spent, 6)
      yield* b.settle(big, Option.some(0.5))
      assert.strictEqual(yield* spent, 0.5)
      const failed = yield* b.reserve(smart(), 9)
      assert.strictEqual(yield* spent, 9.5)
      yield* b.release(failed)
      assert.strictEqual(yield* spent, 0.5)
      const unknown = yield* b.reserve(smart(), 2)
      yield* b.settle(unknown, Option.none())
      assert.strictEqual(yield* spent, 2.5)
      // An actual cost above the reservation counts in full and can take the budget past its limit.
      const under = yield* b.reserve(smart(), 1)
      yield* b.settle(under, Option.some(8))
      assert.strictEqual(yield* spent, 10.5)
      const error = yield* exceeded(b.reserve(smart(), 0))
      assert.strictEqual(error.spent, 10.5)
    }))

  it.effect("a daily budget starts over at midnight UTC", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-24T23:59:00Z"))
      const b = yield* budgets([{ model: "smart", limit_usd: 1, window: "daily" }])
      yield* b.reserve(smart(), 1)
      yield* exceeded(b.reserve(smart(), 0.01))
      yield* TestClock.adjust("59 seconds")
      yield* exceeded(b.reserve(smart(), 0.01))
      yield* TestClock.adjust("1 second")
      yield* b.reserve(smart(), 1)
    }))

  it.effect("a monthly budget starts over on the 1st (UTC)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-30T12:00:00Z"))
      const b = yield* budgets([{ model: "smart", limit_usd: 1, window: "monthly" }])
      yield* b.reserve(smart(), 1)
      const error = yield* exceeded(b.reserve(smart(), 1))
      assert.strictEqual(error.resetsAt, Date.parse("2026-12-01T00:00:00Z"))
      yield* TestClock.setTime(Date.parse("2026-12-01T00:00:00Z"))
      yield* b.reserve(smart(), 1)
    }))

  it.effect("a rolling window forgets spend older than its length", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-24T10:00:00Z"))
      const b = yield* budgets([{ model: "smart", limit_usd: 3, window: { rolling_seconds: 60 } }])
      yield* b.reserve(smart(), 2)
      yield* TestClock.adjust("30 seconds")
      yield* b.reserve(smart(), 1)
      const error = yield* exceeded(b.reserve(smart(), 1))
      assert.strictEqual(error.window, "rolling 60s")
      assert.strictEqual(error.resetsAt, undefined)
      yield* TestClock.adjust("30 seconds")
      // The first $2 is now 60 s old: out of the window.
      yield* b.reserve(smart(), 2)
      yield* exceeded(b.reserve(smart(), 0.5))
    }))

  it.effect("which subjects a budget covers: one alias, each key, all keys together, keyless use", () =>
    Effect.gen(function*() {
      const b = yield* budgets([
        { name: "each-key", key: "*", limit_usd: 2, window: "daily" },
        { name: "all-keys-on-cheap", model: "cheap", limit_usd: 3, window: "daily" }
      ])
      yield* b.reserve(smart("key-a"), 2)
      yield* b.reserve(smart("key-b"), 2)
      assert.strictEqual((yield* exceeded(b.reserve(smart("key-a"), 1))).budget, "each-key")
      // Keyless use is not limited by key budgets.
      yield* b.reserve(smart(null), 100)
      assert.deepStrictEqual(yield* b.status(smart(null)), [])
      yield* b.reserve({ apiKeyId: "key-c", modelAlias: "cheap" }, 2)
      const refusal = yield* exceeded(b.reserve({ apiKeyId: "key-d", modelAlias: "cheap" }, 2))
      assert.strictEqual(refusal.budget, "all-keys-on-cheap")
      const status = yield* b.status({ apiKeyId: "key-c", modelAlias: "cheap" })
      assert.deepStrictEqual(
        status.map((s) => [s.budget, s.spent, s.limit]),
        [["each-key", 2, 2], ["all-keys-on-cheap", 2, 3]]
      )
    }))

  it.effect("two budgets with the same name, subject and window share one counter and the lower limit", () =>
    Effect.gen(function*() {
      const b = yield* budgets([
        { model: "smart", limit_usd: 5, window: "daily" },
        { model: "smart", limit_usd: 3, window: "daily" }
      ])
      yield* b.reserve(smart(), 2)
      const status = yield* b.status(smart())
      assert.deepStrictEqual(status.map((s) => [s.budget, s.spent, s.limit]), [["model=smart daily", 2, 3]])
      assert.strictEqual((yield* exceeded(b.reserve(smart(), 2))).limit, 3)
    }))

  it("the config schema: a budget needs a model or a key, a positive rolling window", () => {
    const decode = Schema.decodeUnknownResult(Budgets.Config)
    assert.strictEqual(decode([{ limit_usd: 5, window: "daily" }])._tag, "Failure")
    assert.strictEqual(decode([{ key: "*", limit_usd: 5, window: { rolling_seconds: 0 } }])._tag, "Failure")
    assert.strictEqual(decode([{ key: "*", limit_usd: 5, window: "weekly" }])._tag, "Failure")
    const valid = [
      { model: "smart", limit_usd: 50, window: "daily" },
      { key: "*", limit_usd: 5, window: { rolling_seconds: 3600 } }
    ]
    assert.strictEqual(decode(valid)._tag, "Success")
  })
})
