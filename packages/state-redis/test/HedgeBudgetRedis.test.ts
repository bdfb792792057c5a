/**
 * The hedge budget in Redis grants the same hedges as the memory budget for the same calls at the
 * same (TestClock) times, and is shared by the instances that use it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { HedgeBudget } from "@switchyard/routing"
import { HedgeBudgetRedis } from "../src/index.ts"
import { instance, testPrefix, url } from "./redis.ts"

interface Call {
  /** Milliseconds the clock moves before the call. */
  readonly after: number
  readonly operation: "deposit" | "withdraw"
}

/** Mostly requests close together, some pauses across slots, windows and floor refills. */
const script = (seed: number): ReadonlyArray<Call> =>
  fc.sample(
    fc.array(
      fc.record({
        after: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 60 }) },
          { weight: 2, arbitrary: fc.integer({ min: 100, max: 1500 }) },
          { weight: 1, arbitrary: fc.integer({ min: 2000, max: 15_000 }) }
        ),
        operation: fc.constantFrom("deposit" as const, "deposit" as const, "withdraw" as const)
      }),
      { minLength: 400, maxLength: 400 }
    ),
    { seed, numRuns: 1 }
  )[0]!

/** Runs the calls on both budgets side by side, moving the TestClock; each withdraw's answers. */
const replay = (budgets: ReadonlyArray<HedgeBudget.HedgeBudgetShape>, calls: ReadonlyArray<Call>) =>
  Effect.forEach(calls, (call) =>
    Effect.gen(function*() {
      yield* TestClock.adjust(call.after)
      if (call.operation === "withdraw") return yield* Effect.forEach(budgets, (budget) => budget.withdraw)
      yield* Effect.forEach(budgets, (budget) => budget.deposit)
      return undefined
    })).pipe(Effect.map((answers) => answers.filter((answer) => answer !== undefined)))

const cases: ReadonlyArray<readonly [string, HedgeBudget.Options, number]> = [
  ["defaults", {}, 1],
  ["ratio 0.3, 2/s, burst 3, 3 s window", { ratio: 0.3, minPerSecond: 2, burst: 3, window: "3 seconds" }, 2],
  ["no floor", { ratio: 0.2, minPerSecond: 0, window: "1 second" }, 3],
  ["fractional floor", { ratio: 0.05, minPerSecond: 0.7, burst: 2, window: "1234 millis" }, 4]
]

describe("HedgeBudgetRedis", () => {
  for (const [name, options, seed] of cases) {
    it.effect(`agrees with the memory budget call for call: ${name}`, () =>
      Effect.gen(function*() {
        const memoryBudget = yield* HedgeBudget.makeMemory(options)
        const context = yield* instance(HedgeBudgetRedis.layer(options), { url, prefix: yield* testPrefix })
        const answers = yield* replay([memoryBudget, Context.get(context, HedgeBudget.HedgeBudget)], script(seed))
        const memory = answers.map(([inMemory]) => inMemory)
        assert.deepStrictEqual(answers.map(([, inRedis]) => inRedis), memory)
        assert.isAbove(memory.filter(Boolean).length, 0)
        assert.isAbove(memory.filter((granted) => !granted).length, 0)
      }))
  }

  it.effect("two instances draw from one budget", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const options = { ratio: 0.5, minPerSecond: 0 }
      const a = Context.get(yield* instance(HedgeBudgetRedis.layer(options), { url, prefix }), HedgeBudget.HedgeBudget)
      const b = Context.get(yield* instance(HedgeBudgetRedis.layer(options), { url, prefix }), HedgeBudget.HedgeBudget)
      yield* Effect.repeat(a.deposit, { times: 3 })
      // 4 requests seen by A allow 2 hedges in all, wherever they are asked for.
      assert.deepStrictEqual([yield* b.withdraw, yield* a.withdraw, yield* b.withdraw], [true, true, false])
    }))
})
