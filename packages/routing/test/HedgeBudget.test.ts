import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { HedgeBudget } from "../src/index.ts"

/** Deposits `requests` evenly over `seconds` of TestClock, trying a withdraw after each; the grants. */
const load = (budget: HedgeBudget.HedgeBudgetShape, requests: number, seconds: number) =>
  Effect.gen(function*() {
    const step = (seconds * 1000) / requests
    let granted = 0
    for (let i = 0; i < requests; i++) {
      yield* budget.deposit
      if (yield* budget.withdraw) granted++
      yield* TestClock.adjust(step)
    }
    return granted
  })

describe("HedgeBudget (memory, TestClock)", () => {
  it.effect("a fresh budget grants a hedge at once, then refuses until earned", () =>
    Effect.gen(function*() {
      const budget = yield* HedgeBudget.makeMemory()
      yield* budget.deposit
      assert.isTrue(yield* budget.withdraw)
      assert.isFalse(yield* budget.withdraw)
    }))

  it.effect("sustained load: 1000 requests over 10 s grant ≤ ratio × requests + floor × seconds, and close to it", () =>
    Effect.gen(function*() {
      const budget = yield* HedgeBudget.makeMemory({ ratio: 0.1, minPerSecond: 1 })
      const granted = yield* load(budget, 1000, 10)
      const bound = 0.1 * 1000 + 1 * 10
      assert.isAtMost(granted, bound)
      assert.isAtLeast(granted, bound - 2)
    }))

  it.effect("over a minute of varying load the cap holds, and only requests in the window count", () =>
    Effect.gen(function*() {
      const budget = yield* HedgeBudget.makeMemory({ ratio: 0.1, minPerSecond: 1, window: "10 seconds" })
      let granted = 0
      let requests = 0
      for (const [n, seconds] of [[2000, 10], [50, 20], [500, 30]] as const) {
        granted += yield* load(budget, n, seconds)
        requests += n
      }
      assert.isAtMost(granted, 0.1 * requests + 1 * 60 + 1)
      // A burst of requests earns nothing once it has left the window: only the floor remains.
      const quiet = yield* HedgeBudget.makeMemory({ ratio: 0.1, minPerSecond: 1, window: "10 seconds" })
      for (let i = 0; i < 100; i++) yield* quiet.deposit
      yield* TestClock.adjust("11 seconds")
      assert.isTrue(yield* quiet.withdraw)
      assert.isFalse(yield* quiet.withdraw)
    }))

  it.effect("the floor refills at minPerSecond, up to burst", () =>
    Effect.gen(function*() {
      const budget = yield* HedgeBudget.makeMemory({ ratio: 0.1, minPerSecond: 2, burst: 3 })
      for (let i = 0; i < 3; i++) assert.isTrue(yield* budget.withdraw)
      assert.isFalse(yield* budget.withdraw)
      yield* TestClock.adjust(499)
      assert.isFalse(yield* budget.withdraw)
      yield* TestClock.adjust(1)
      assert.isTrue(yield* budget.withdraw)
      assert.isFalse(yield* budget.withdraw)
      // Quiet for a minute: at most `burst` saved up.
      yield* TestClock.adjust("60 seconds")
      for (let i = 0; i < 3; i++) assert.isTrue(yield* budget.withdraw)
      assert.isFalse(yield* budget.withdraw)
    }))

  it.effect("minPerSecond 0: the ratio alone, so a fresh budget cannot hedge", () =>
    Effect.gen(function*() {
      const budget = yield* HedgeBudget.makeMemory({ ratio: 0.5, minPerSecond: 0 })
      yield* budget.deposit
      assert.isFalse(yield* budget.withdraw)
      yield* budget.deposit
      assert.isTrue(yield* budget.withdraw)
      assert.isFalse(yield* budget.withdraw)
    }))
})

describe("HedgeBudget pure steps", () => {
  it("deposit and withdraw are pure: the state they were given is unchanged", () => {
    const s0 = HedgeBudget.initial({}, 0)
    const s1 = HedgeBudget.deposit(s0, 10)
    const [granted, s2] = HedgeBudget.withdraw(s1, 20)
    assert.isTrue(granted)
    assert.deepStrictEqual(s0.requests, Array.from({ length: HedgeBudget.SLOTS }, () => 0))
    assert.strictEqual(s1.floor, 1)
    assert.strictEqual(s2.floor, 0)
    assert.isFalse(HedgeBudget.withdraw(s2, 30)[0])
    // Memory stays bounded: the slot arrays keep their length whatever the traffic and time.
    let s = s2
    for (let t = 30; t < 100_000; t += 7) s = HedgeBudget.deposit(s, t)
    assert.strictEqual(s.requests.length, HedgeBudget.SLOTS)
    assert.strictEqual(s.hedges.length, HedgeBudget.SLOTS)
  })
})
