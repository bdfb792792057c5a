/**
 * Budget counters in Redis: the memory store's behaviour (one suite over both stores), and one
 * budget shared by two instances under concurrent reservations.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Option, type Scope } from "effect"
import * as BudgetStore from "@switchyard/cost/BudgetStore"
import { BudgetStoreRedis } from "../src/index.ts"
import { instance, keysUnder, testPrefix, url } from "./redis.ts"

const redisStore = Effect.gen(function*() {
  const context = yield* instance(BudgetStoreRedis.layer, { url, prefix: yield* testPrefix })
  return Context.get(context, BudgetStore.BudgetStore)
})

const now = Date.UTC(2030, 0, 1)

const suite = (name: string, makeStore: Effect.Effect<BudgetStore.BudgetStoreShape, never, Scope.Scope>) =>
  describe(name, () => {
    it.live("holds add up across counters; a reservation over any limit adds to none and names the first", () =>
      Effect.gen(function*() {
        const store = yield* makeStore
        const day = { key: "day|k", limit: 10, expiresAt: now + 86_400_000 }
        const hour = { key: "hour|k", limit: 4, rollingMs: 3_600_000 }
        assert.isTrue(Option.isNone(yield* store.reserve("r1", [day, hour], 2.5, now)))
        assert.isTrue(Option.isNone(yield* store.reserve("r2", [day, hour], 1.25, now + 1)))
        assert.deepStrictEqual(yield* store.reserve("r3", [day, hour], 0.5, now + 2), Option.some({ index: 1, spent: 3.75 }))
        assert.deepStrictEqual(yield* store.spent([day, hour], now + 3), [3.75, 3.75])
      }))

    it.live("settle replaces an open hold's amount, release removes it, neither touches other counters' absent holds", () =>
      Effect.gen(function*() {
        const store = yield* makeStore
        const a = { key: "a", limit: 10 }
        const b = { key: "b", limit: 10 }
        yield* store.reserve("r1", [a], 4, now)
        yield* store.reserve("r2", [a, b], 3, now)
        yield* store.settle("r1", ["a", "b"], 0.123456789)
        assert.deepStrictEqual(yield* store.spent([a, b], now), [3.123456789, 3])
        yield* store.release("r2", ["a", "b"])
        assert.deepStrictEqual(yield* store.spent([a, b], now), [0.123456789, 0])
      }))

    it.live("a rolling window counts only holds made within it, and frees room as they leave it", () =>
      Effect.gen(function*() {
        const store = yield* makeStore
        const minute = { key: "minute", limit: 5, rollingMs: 60_000 }
        yield* store.reserve("r1", [minute], 3, now)
        yield* store.reserve("r2", [minute], 2, now + 30_000)
        assert.isTrue(Option.isSome(yield* store.reserve("r3", [minute], 1, now + 59_999)))
        assert.deepStrictEqual(yield* store.spent([minute], now + 60_000), [2])
        assert.isTrue(Option.isNone(yield* store.reserve("r3", [minute], 3, now + 60_000)))
        assert.deepStrictEqual(yield* store.spent([minute], now + 60_000), [5])
      }))
  })

suite("BudgetStore (memory)", BudgetStore.makeMemory)
suite("BudgetStoreRedis", redisStore)

describe("BudgetStoreRedis shared by two instances", () => {
  it.live("200 concurrent reservations spread over both grant exactly up to the limit, all counters or none", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = Context.get(yield* instance(BudgetStoreRedis.layer, { url, prefix }), BudgetStore.BudgetStore)
      const b = Context.get(yield* instance(BudgetStoreRedis.layer, { url, prefix }), BudgetStore.BudgetStore)
      const month = { key: "month|team", limit: 50, expiresAt: now + 30 * 86_400_000 }
      const hour = { key: "hour|key", limit: 30, rollingMs: 3_600_000 }
      const wide = { key: "month|org", limit: 1000, expiresAt: now + 30 * 86_400_000 }
      const results = yield* Effect.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).reserve(`r${i}`, [month, hour, wide], 1, now + i)),
        { concurrency: "unbounded" }
      )
      const granted = results.filter(Option.isNone).length
      assert.strictEqual(granted, 30)
      assert.deepStrictEqual(yield* a.spent([month, hour, wide], now + 200), [30, 30, 30])
      assert.deepStrictEqual(yield* b.spent([month, hour, wide], now + 200), [30, 30, 30])
      const refusals = results.flatMap((r) => (Option.isSome(r) ? [r.value] : []))
      assert.isTrue(refusals.every((refusal) => refusal.index === 1 && refusal.spent === 30))
    }))

  it.live("a calendar counter's keys expire at the end of its window", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const store = Context.get(yield* instance(BudgetStoreRedis.layer, { url, prefix }), BudgetStore.BudgetStore)
      const ending = { key: "day|k", limit: 10, expiresAt: Date.now() + 300 }
      yield* store.reserve("r1", [ending], 1, Date.now())
      assert.strictEqual((yield* keysUnder(prefix)).length, 2, "its holds and their total")
      yield* Effect.sleep("500 millis")
      assert.strictEqual((yield* keysUnder(prefix)).length, 0)
    }))
})

