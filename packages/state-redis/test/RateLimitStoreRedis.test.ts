/**
 * Rate-limit counters in Redis: the memory store's answers on the same scripted sequence, one limit
 * held by two instances under concurrent requests, settlement freeing room across instances, and
 * the lease that drops a take its instance never settled.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option } from "effect"
import { RateLimits, RateLimitStore } from "@switchyard/cost"
import { RateLimitStoreRedis } from "../src/index.ts"
import { instance, keysUnder, testPrefix, url } from "./redis.ts"

const storeOn = (prefix: string, options: RateLimitStoreRedis.Options = {}) =>
  Effect.map(instance(RateLimitStoreRedis.layer(options), { url, prefix }), (context) => Context.get(context, RateLimitStore.RateLimitStore))

const counter = (key: string, limit: number, windowMs = 60_000): RateLimitStore.Counter => ({ key, limit, windowMs })

type Step =
  | { readonly op: "acquire"; readonly id: string; readonly takes: ReadonlyArray<RateLimitStore.Take>; readonly at: number }
  | { readonly op: "settle"; readonly id: string; readonly keys: ReadonlyArray<string>; readonly amount: number; readonly at: number }

/**
 * A scripted sequence over an rpm and a tpm counter: requests every 1.7 s with estimates from a
 * fixed pseudo-random walk, each settled (to a share of its estimate) three requests later.
 */
const script = (): ReadonlyArray<Step> => {
  const rpm = counter("rpm|key=k", 12)
  const tpm = counter("tpm|key=k", 6000)
  const alias = counter("rpm|alias=smart", 20)
  const steps: Array<Step> = []
  let seed = 7
  const next = () => (seed = (seed * 48271) % 2147483647)
  for (let i = 0; i < 120; i++) {
    const at = 1_000_000 + i * 1700
    const estimate = 200 + (next() % 1800)
    steps.push({
      op: "acquire",
      id: `r${i}`,
      takes: [
        { counter: rpm, amount: 1, held: false },
        { counter: alias, amount: 1, held: false },
        { counter: tpm, amount: estimate, held: true }
      ],
      at
    })
    if (i >= 3) steps.push({ op: "settle", id: `r${i - 3}`, keys: [tpm.key], amount: next() % 900, at: at + 1 })
  }
  return steps
}

const run = (store: RateLimitStore.RateLimitStoreShape, steps: ReadonlyArray<Step>) =>
  Effect.forEach(steps, (step) =>
    step.op === "acquire"
      ? Effect.map(store.acquire(step.id, step.takes, step.at), Option.getOrNull)
      : Effect.as(store.settle(step.id, step.keys, step.amount, step.at), null))

describe("RateLimitStoreRedis", () => {
  it.live("answers a scripted sequence exactly as the memory store does", () =>
    Effect.gen(function*() {
      const steps = script()
      const memory = yield* run(yield* RateLimitStore.makeMemory, steps)
      const redis = yield* run(yield* storeOn(yield* testPrefix), steps)
      const refusals = memory.filter((r) => r !== null)
      // The sequence exercises every kind of refusal: rpm, tpm held, tpm after settling.
      assert.isAbove(refusals.length, 10)
      assert.isTrue(refusals.some((r) => r.index === 0) && refusals.some((r) => r.index === 2))
      assert.isTrue(refusals.some((r) => r.retryAfterMs === 60_000) && refusals.some((r) => r.retryAfterMs! < 60_000))
      assert.deepStrictEqual(redis, memory)
    }))

  it.live("a take larger than the limit never fits; a refused acquisition takes from no counter", () =>
    Effect.gen(function*() {
      const store = yield* storeOn(yield* testPrefix)
      const a = counter("a", 2)
      const b = counter("b", 1000)
      const both = (id: string, tokens: number, at: number) =>
        store.acquire(id, [{ counter: a, amount: 1, held: false }, { counter: b, amount: tokens, held: true }], at)
      assert.deepStrictEqual(yield* both("r1", 1001, 0), Option.some({ index: 1, used: 0, retryAfterMs: undefined }))
      assert.isTrue(Option.isNone(yield* both("r2", 900, 10)))
      assert.deepStrictEqual(yield* both("r3", 200, 20), Option.some({ index: 1, used: 900, retryAfterMs: 60_000 }))
      // r1 and r3 took nothing from `a`: one more request fits.
      assert.isTrue(Option.isNone(yield* both("r4", 100, 30)))
      assert.deepStrictEqual(yield* both("r5", 0, 40), Option.some({ index: 0, used: 2, retryAfterMs: 59_970 }))
    }))

  it.live("a held take its instance never settles is dropped after the lease; idle keys expire", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const store = yield* storeOn(prefix, { holdLease: "200 millis" })
      const tpm = counter("tpm", 100, 100)
      const now = Date.now()
      assert.isTrue(Option.isNone(yield* store.acquire("r1", [{ counter: tpm, amount: 100, held: true }], now)))
      assert.isTrue(Option.isSome(yield* store.acquire("r2", [{ counter: tpm, amount: 1, held: false }], now + 199)))
      assert.isTrue(Option.isNone(yield* store.acquire("r2", [{ counter: tpm, amount: 1, held: false }], now + 200)))
      yield* Effect.sleep("1500 millis")
      assert.deepStrictEqual(yield* keysUnder(prefix), [])
    }))
})

const limitsOn = (prefix: string, options: RateLimits.Options) =>
  Effect.map(
    instance(RateLimits.layer(options).pipe(Layer.provide(RateLimitStoreRedis.layer())), { url, prefix }),
    (context) => Context.get(context, RateLimits.RateLimits)
  )

const keyed = (apiKeyId: string): RateLimits.Subject => ({ apiKeyId, modelAlias: "smart" })

describe("RateLimitStoreRedis shared by two instances", () => {
  it.live("200 concurrent requests spread over both grant exactly the limit (rpm 50 → 50)", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const options = { defaults: { key: { rpm: 50 }, alias: { rpm: 1000 } } }
      const a = yield* limitsOn(prefix, options)
      const b = yield* limitsOn(prefix, options)
      const results = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i),
        (i) => Effect.exit((i % 2 === 0 ? a : b).acquire(keyed("k1"), Effect.succeed(0))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Exit.isSuccess).length, 50)
      for (const limits of [a, b]) {
        assert.deepInclude(yield* Effect.flip(limits.acquire(keyed("k1"), Effect.succeed(0))), { scope: "key", used: 50 })
      }
      // The alias counter took exactly the granted requests too (all or none).
      const alias = yield* Effect.flip(a.acquire({ apiKeyId: "k2", modelAlias: "smart", key: { rpm: 10_000 } }, Effect.succeed(0)).pipe(
        Effect.repeat({ times: 950 })
      ))
      assert.deepInclude(alias, { scope: "alias", used: 1000 })
    }))

  it.live("a token reservation on one instance is seen by the other, and settling it frees room there", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const options = { defaults: { key: { tpm: 1000 } } }
      const a = yield* limitsOn(prefix, options)
      const b = yield* limitsOn(prefix, options)
      const permit = yield* a.acquire(keyed("k1"), Effect.succeed(800))
      const refused = yield* Effect.flip(b.acquire(keyed("k1"), Effect.succeed(300)))
      assert.deepInclude(refused, { unit: "tokens", used: 800, requested: 300, retryAfterMs: 60_000 })
      yield* a.settle(permit, 100)
      assert.strictEqual((yield* b.acquire(keyed("k1"), Effect.succeed(900))).reserved, 900)
      const full = yield* Effect.flip(a.acquire(keyed("k1"), Effect.succeed(1)))
      assert.strictEqual(full.used, 1000)
    }))
})
