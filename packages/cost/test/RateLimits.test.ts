import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { TestClock } from "effect/testing"
import { RateLimits, RateLimitStore } from "@switchyard/cost"

const counter = (key: string, limit: number): RateLimitStore.Counter => ({ key, limit, windowMs: 60_000 })

describe("RateLimitStore.acquire (the pure step)", () => {
  it("takes from every counter or from none", () => {
    const a = counter("a", 2)
    const b = counter("b", 1)
    const [first, s1] = RateLimitStore.acquire(RateLimitStore.empty, "r1", [{ counter: a, amount: 1, held: false }, { counter: b, amount: 1, held: false }], 0)
    assert.isTrue(Option.isNone(first))
    const [second, s2] = RateLimitStore.acquire(s1, "r2", [{ counter: a, amount: 1, held: false }, { counter: b, amount: 1, held: false }], 10)
    assert.deepStrictEqual(Option.map(second, (r) => r.index), Option.some(1))
    // `a` was not charged for the refused request: one more fits in it alone.
    const [third] = RateLimitStore.acquire(s2, "r3", [{ counter: a, amount: 1, held: false }], 20)
    assert.isTrue(Option.isNone(third))
  })

  it("retry-after is when the oldest take leaves the window; a take larger than the limit never fits", () => {
    const c = counter("c", 100)
    const [, s1] = RateLimitStore.acquire(RateLimitStore.empty, "r1", [{ counter: c, amount: 60, held: false }], 1_000)
    const [, s2] = RateLimitStore.acquire(s1, "r2", [{ counter: c, amount: 30, held: false }], 5_000)
    const [refused] = RateLimitStore.acquire(s2, "r3", [{ counter: c, amount: 50, held: false }], 10_000)
    // 60 + 30 used; 50 fits once r1 (made at 1 s) leaves the window at 61 s.
    assert.deepStrictEqual(Option.getOrThrow(refused), { index: 0, used: 90, retryAfterMs: 51_000 })
    const [huge] = RateLimitStore.acquire(s2, "r4", [{ counter: c, amount: 101, held: false }], 10_000)
    assert.strictEqual(Option.getOrThrow(huge).retryAfterMs, undefined)
    const [later] = RateLimitStore.acquire(s2, "r5", [{ counter: c, amount: 50, held: false }], 61_001)
    assert.isTrue(Option.isNone(later))
  })

  it("a held take counts until settled, then its real amount for a window from the settlement", () => {
    const c = counter("t", 1000)
    const [, s1] = RateLimitStore.acquire(RateLimitStore.empty, "r1", [{ counter: c, amount: 900, held: true }], 0)
    // Two minutes later the open reservation still counts.
    const [refused] = RateLimitStore.acquire(s1, "r2", [{ counter: c, amount: 200, held: false }], 120_000)
    assert.strictEqual(Option.getOrThrow(refused).used, 900)
    const s2 = RateLimitStore.settle(s1, "r1", ["t"], 100, 120_000)
    const [fits, s3] = RateLimitStore.acquire(s2, "r2", [{ counter: c, amount: 200, held: false }], 120_001)
    assert.isTrue(Option.isNone(fits))
    const [full] = RateLimitStore.acquire(s3, "r3", [{ counter: c, amount: 701, held: false }], 120_002)
    assert.strictEqual(Option.getOrThrow(full).used, 300)
  })

  it("a held take never settled stops counting after the lease (as in Redis)", () => {
    const c = counter("t", 1000)
    const [, s1] = RateLimitStore.acquire(RateLimitStore.empty, "r1", [{ counter: c, amount: 900, held: true }], 0)
    const [before] = RateLimitStore.acquire(s1, "r2", [{ counter: c, amount: 200, held: false }], RateLimitStore.HOLD_LEASE_MS - 1)
    assert.isTrue(Option.isSome(before))
    const [after] = RateLimitStore.acquire(s1, "r2", [{ counter: c, amount: 200, held: false }], RateLimitStore.HOLD_LEASE_MS + 1)
    assert.isTrue(Option.isNone(after))
  })

  it("counters with nothing left in them are dropped: model names a client makes up do not pile up", () => {
    let state = RateLimitStore.empty
    for (let i = 0; i < 10_000; i++) {
      state = RateLimitStore.acquire(state, `r${i}`, [{ counter: counter(`alias:made-up-${i}`, 5), amount: 1, held: false }], 1_000 + i)[1]
    }
    assert.strictEqual(RateLimitStore.size(state), 10_000)
    // Once every take has left its window (and a sweep is due), the next step drops them.
    state = RateLimitStore.acquire(state, "later", [{ counter: counter("alias:smart", 5), amount: 1, held: false }], 1_000 + 10_000 + RateLimitStore.HOLD_LEASE_MS)[1]
    assert.strictEqual(RateLimitStore.size(state), 1)
  })
})

const keyed = (apiKeyId: string, modelAlias = "smart", key?: RateLimits.Limits): RateLimits.Subject => ({ apiKeyId, modelAlias, key })

describe("RateLimits", () => {
  it.effect("exactly N of N+k concurrent requests pass an rpm of N", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits.RateLimits
      const results = yield* Effect.forEach(
        Array.from({ length: 25 }, () => keyed("k1")),
        (subject) => Effect.exit(limits.acquire(subject, Effect.die("no tokens limit: the estimate is not needed"))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Exit.isSuccess).length, 10)
      const refused = results.filter(Exit.isFailure).map((e) => e.cause)
      assert.lengthOf(refused, 15)
      // Another key has its own counter.
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(limits.acquire(keyed("k2"), Effect.succeed(0)))))
    }).pipe(Effect.provide(RateLimits.layerMemory({ defaults: { key: { rpm: 10 } } }))))

  it.effect("tpm: an estimate that does not fit is refused; settling to real usage frees room", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits.RateLimits
      const first = yield* limits.acquire(keyed("k1"), Effect.succeed(800))
      assert.strictEqual(first.reserved, 800)
      const refused = yield* Effect.flip(limits.acquire(keyed("k1"), Effect.succeed(300)))
      assert.strictEqual(refused._tag, "RateLimited")
      assert.deepInclude(refused, { scope: "key", name: "k1", unit: "tokens", limit: 1000, used: 800, requested: 300 })
      // Held until settled: a whole window is the honest answer.
      assert.strictEqual(refused.retryAfterMs, 60_000)
      yield* limits.settle(first, 120)
      const second = yield* limits.acquire(keyed("k1"), Effect.succeed(300))
      assert.strictEqual(second.reserved, 300)
      // After the window the settled usage is gone.
      yield* limits.settle(second, 300)
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual((yield* limits.acquire(keyed("k1"), Effect.succeed(1000))).reserved, 1000)
    }).pipe(Effect.provide(RateLimits.layerMemory({ defaults: { key: { tpm: 1000 } } }))))

  it.effect("a key's own limits override the default; an alias's limit is shared by every key", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits.RateLimits
      const take = (s: RateLimits.Subject) => Effect.exit(limits.acquire(s, Effect.succeed(1)))
      // key default rpm 1, but k1 has its own rpm 3.
      for (let i = 0; i < 3; i++) assert.isTrue(Exit.isSuccess(yield* take(keyed("k1", "cheap", { rpm: 3 }))))
      assert.isTrue(Exit.isFailure(yield* take(keyed("k1", "cheap", { rpm: 3 }))))
      // Alias `smart` allows 2 requests a minute, whoever asks.
      assert.isTrue(Exit.isSuccess(yield* take(keyed("a", "smart", { rpm: 100 }))))
      assert.isTrue(Exit.isSuccess(yield* take(keyed("b", "smart", { rpm: 100 }))))
      const refused = yield* Effect.flip(limits.acquire(keyed("c", "smart", { rpm: 100 }), Effect.succeed(1)))
      assert.deepInclude(refused, { scope: "alias", name: "smart", unit: "requests", limit: 2 })
      assert.isFalse(limits.applies({ apiKeyId: null, modelAlias: "cheap" }))
    }).pipe(Effect.provide(RateLimits.layerMemory({ defaults: { key: { rpm: 1 } }, aliases: { smart: { rpm: 2 } } }))))
})
