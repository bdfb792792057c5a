import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import { type ChatRequest, ProviderError } from "@switchyard/core"
import { MockProvider } from "@switchyard/testing"
import { FailoverPolicy, Hedge, HedgeBudget, Route, Router, RoutingError } from "../src/index.ts"

const request: ChatRequest.ChatRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }
const routeA: Route.Route = { provider: "a", model: "m" }
const routeB: Route.Route = { provider: "b", model: "m" }
const routeC: Route.Route = { provider: "c", model: "m" }
const fastAnswer = (ms: number) => MockProvider.answer({ text: ["ok"] }, { firstTokenDelay: Duration.millis(ms) })
const steady = FailoverPolicy.make({ backoff: Schedule.spaced("100 millis") })

type Mocks = Record<string, MockProvider.MockProviderShape>
const mocks = (replies: Record<string, MockProvider.Replies>) =>
  Effect.gen(function*() {
    const out: Mocks = {}
    for (const [name, r] of Object.entries(replies)) out[name] = yield* MockProvider.make(name, r)
    return out
  })
const complete = (providers: Mocks) => (route: Route.Route) => providers[route.provider]!.complete(request)
const stream = (providers: Mocks) => (route: Route.Route) => providers[route.provider]!.stream(request)

/** Forks `effect`, advances the TestClock by `ms`, joins. */
const after = <A, E>(ms: number, effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

const roles = (attempts: ReadonlyArray<Route.Attempt>) =>
  attempts.map((a) => `${a.route.provider}:${a.role}:${a.outcome}`)

describe("Router.run", () => {
  it.effect("fails over invisibly and logs every attempt", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: [[MockProvider.fail("auth")]], b: [fastAnswer(10)] })
      const router = yield* Router.Router
      const result = yield* after(100, router.run([routeA, routeB], complete(providers)))
      assert.strictEqual(result.route, routeB)
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:auth", "b:fallback:ok"])
    }).pipe(Effect.provide(Router.layerMemory())))

  it.effect("retries with backoff, honours Retry-After when it fits in the deadline", () =>
    Effect.gen(function*() {
      const limited = ProviderError.make("rate_limited", {
        provider: "a",
        message: "slow down",
        status: 429,
        retryAfter: Duration.seconds(2)
      })
      const providers = yield* mocks({ a: [[MockProvider.fail(limited)], fastAnswer(10)], b: [fastAnswer(10)] })
      const router = yield* Router.Router
      const fiber = yield* Effect.forkChild(router.run([routeA, routeB], complete(providers), { deadline: "5 seconds" }))
      yield* TestClock.adjust(1999)
      assert.strictEqual((yield* providers.a!.calls).length, 1)
      yield* TestClock.adjust(11)
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:rate_limited", "a:retry:ok"])
      assert.strictEqual(result.attempts[0]!.status, 429)
      assert.strictEqual(result.attempts[1]!.startedAt, 2000)
    }).pipe(Effect.provide(Router.layerMemory({ router: { policy: steady } }))))

  it.effect("skips a Retry-After that would break the deadline and fails over at once", () =>
    Effect.gen(function*() {
      const limited = ProviderError.make("rate_limited", {
        provider: "a",
        message: "slow down",
        retryAfter: Duration.seconds(10)
      })
      const providers = yield* mocks({ a: [[MockProvider.fail(limited)]], b: [fastAnswer(10)] })
      const router = yield* Router.Router
      const result = yield* after(10, router.run([routeA, routeB], complete(providers), { deadline: "5 seconds" }))
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:rate_limited", "b:fallback:ok"])
      assert.strictEqual(result.attempts[1]!.startedAt, 0)
    }).pipe(Effect.provide(Router.layerMemory({ router: { policy: steady } }))))

  it.effect("one deadline across attempts: each gets what is left, never a fresh full timeout", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: [[MockProvider.hang]], b: [[MockProvider.hang]], c: [fastAnswer(10)] })
      const router = yield* Router.Router
      const fiber = yield* Effect.forkChild(Effect.flip(router.run([routeA, routeB, routeC], complete(providers), {
        deadline: "1 second",
        timeouts: { total: "600 millis" }
      })))
      yield* TestClock.adjust(1000)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RoutesExhausted")
      const exhausted = error as RoutingError.RoutesExhausted
      assert.deepStrictEqual(roles(exhausted.attempts), ["a:primary:timeout", "b:fallback:timeout"])
      assert.deepStrictEqual(exhausted.attempts.map((a) => [a.startedAt, a.durationMs]), [[0, 600], [600, 400]])
      assert.strictEqual((exhausted.lastError as ProviderError.Timeout).phase, "deadline")
      assert.strictEqual((yield* providers.c!.calls).length, 0)
    }).pipe(Effect.provide(Router.layerMemory())))

  it.effect("a route that keeps failing slowly is retried only within its turn, which leaves the next route its share of the deadline", () =>
    Effect.gen(function*() {
      const slowFailure = () => [MockProvider.sleep("1200 millis"), MockProvider.fail("overloaded")]
      const providers = yield* mocks({ a: slowFailure, b: [fastAnswer(10)] })
      const router = yield* Router.Router
      // No attempt limit: the turn is half the 3 s deadline. The retry at 1.3 s is cut at 1.5 s.
      const result = yield* after(1600, router.run([routeA, routeB], complete(providers), { deadline: "3 seconds" }))
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:overloaded", "a:retry:timeout", "b:fallback:ok"])
      assert.deepStrictEqual(result.attempts.map((a) => a.startedAt), [0, 1300, 1500])
    }).pipe(Effect.provide(Router.layerMemory({ router: { policy: steady } }))))

  it.effect("the last route's retries have the whole deadline", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: (_, i) => (i < 2 ? [MockProvider.sleep("1200 millis"), MockProvider.fail("overloaded")] : fastAnswer(10)) })
      const router = yield* Router.Router
      const result = yield* after(3000, router.run([routeA], complete(providers), { deadline: "3 seconds" }))
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:overloaded", "a:retry:overloaded", "a:retry:ok"])
    }).pipe(Effect.provide(Router.layerMemory({ router: { policy: steady } }))))

  it.effect("never retries a bad request", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: [[MockProvider.fail("bad_request")]], b: [fastAnswer(10)] })
      const router = yield* Router.Router
      const error = yield* Effect.flip(router.run([routeA, routeB], complete(providers)))
      assert.strictEqual(error._tag, "AttemptFailed")
      assert.strictEqual((yield* providers.b!.calls).length, 0)
    }).pipe(Effect.provide(Router.layerMemory())))

  it.effect("context overflow goes to the configured larger-context route", () =>
    Effect.gen(function*() {
      const large: Route.Route = { provider: "b", model: "large" }
      const providers = yield* mocks({ a: [[MockProvider.fail("context_overflow")]], b: [fastAnswer(10)] })
      const router = yield* Router.Router
      const result = yield* after(10, router.run([routeA, routeC], complete(providers), {
        policy: FailoverPolicy.make({ contextFallback: { "a/m": large } })
      }))
      assert.strictEqual(result.route, large)
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:context_overflow", "b:fallback:ok"])
    }).pipe(Effect.provide(Router.layerMemory())))

  it.effect("an open breaker rejects its route; RoutesExhausted lists every attempt", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: () => [MockProvider.fail("server_error")] })
      const router = yield* Router.Router
      const policy = FailoverPolicy.make({ maxRetries: 0 })
      yield* Effect.flip(router.run([routeA], complete(providers), { policy }))
      const error = yield* Effect.flip(router.run([routeA], complete(providers), { policy }))
      assert.strictEqual(error._tag, "RoutesExhausted")
      // The skipped route is listed, with when its breaker reopens and what opened it; no call was made.
      const [skipped] = (error as RoutingError.RoutesExhausted).attempts
      assert.strictEqual(skipped?.outcome, "circuit_open")
      assert.strictEqual(skipped?.circuit?.openedBy, "server_error")
      assert.isAbove(skipped?.circuit?.reopensAt ?? 0, 0)
      assert.strictEqual((yield* providers.a!.calls).length, 1)
    }).pipe(Effect.provide(Router.layerMemory({ health: { consecutiveFailures: 1 } }))))
})

describe("Router hedging", () => {
  const hedging = Router.layerMemory({ router: { hedge: Hedge.fixed("100 millis") }, hedgeBudget: { ratio: 1, burst: 1 } })

  it.effect("hedges at the delay and not before; the first success wins and the loser is interrupted", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: [fastAnswer(1000)], b: [fastAnswer(50)] })
      const router = yield* Router.Router
      const fiber = yield* Effect.forkChild(router.run([routeA, routeB], complete(providers)))
      yield* TestClock.adjust(99)
      assert.strictEqual((yield* providers.b!.calls).length, 0)
      yield* TestClock.adjust(1)
      assert.strictEqual((yield* providers.b!.calls).length, 1)
      yield* TestClock.adjust(50)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.route, routeB)
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:cancelled", "b:hedge:ok"])
      const [primary] = yield* providers.a!.calls
      assert.strictEqual(primary!.outcome, "interrupted")
      assert.strictEqual(primary!.endedAt, 150)
    }).pipe(Effect.provide(hedging)))

  it.effect("a primary that answers before the delay starts no hedge", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: [fastAnswer(90)], b: [fastAnswer(10)] })
      const router = yield* Router.Router
      const result = yield* after(500, router.run([routeA, routeB], complete(providers)))
      assert.strictEqual(result.route, routeA)
      assert.strictEqual((yield* providers.b!.calls).length, 0)
    }).pipe(Effect.provide(hedging)))

  it.effect("the primary can still win; the hedge is then interrupted", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: [fastAnswer(150)], b: [fastAnswer(500)] })
      const router = yield* Router.Router
      const result = yield* after(500, router.run([routeA, routeB], complete(providers)))
      assert.deepStrictEqual(roles(result.attempts), ["a:primary:ok", "b:hedge:cancelled"])
      assert.strictEqual((yield* providers.b!.calls)[0]!.outcome, "interrupted")
    }).pipe(Effect.provide(hedging)))

  it.effect("the budget limits hedges to its ratio of requests", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: () => fastAnswer(200), b: () => fastAnswer(10) })
      const router = yield* Router.Router
      const winners: Array<string> = []
      for (let i = 0; i < 10; i++) {
        winners.push((yield* after(300, router.run([routeA, routeB], complete(providers)))).route.provider)
      }
      assert.strictEqual(winners.filter((w) => w === "b").length, 2)
    }).pipe(Effect.provide(Router.layerMemory({
      router: { hedge: Hedge.fixed("100 millis") },
      hedgeBudget: { ratio: 0.25, minPerSecond: 0 }
    }))))

  it.effect("default budget: a fresh router hedges its first slow request; a refused hedge is noted on the running attempt", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: () => fastAnswer(400), b: () => fastAnswer(10) })
      const router = yield* Router.Router
      const first = yield* after(500, router.run([routeA, routeB], complete(providers)))
      assert.deepStrictEqual(roles(first.attempts), ["a:primary:cancelled", "b:hedge:ok"])
      assert.isUndefined(first.attempts[0]!.hedge)
      // 0.5 s later: the floor holds half a hedge and 2 requests earn 0.2: refused, the primary answers.
      const second = yield* after(500, router.run([routeA, routeB], complete(providers)))
      assert.deepStrictEqual(roles(second.attempts), ["a:primary:ok"])
      assert.strictEqual(second.attempts[0]!.hedge, "skipped_budget")
      assert.strictEqual((yield* providers.b!.calls).length, 1)
      // Another 0.5 s: the floor has refilled.
      const third = yield* after(500, router.run([routeA, routeB], complete(providers)))
      assert.deepStrictEqual(roles(third.attempts), ["a:primary:cancelled", "b:hedge:ok"])
    }).pipe(Effect.provide(Router.layerMemory({ router: { hedge: Hedge.fixed("100 millis") } }))))

  it.effect("a single route spends no budget and gets no note", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: () => fastAnswer(400) })
      const router = yield* Router.Router
      const only = yield* after(500, router.run([routeA], complete(providers)))
      assert.isUndefined(only.attempts[0]!.hedge)
      const budget = yield* HedgeBudget.HedgeBudget
      assert.isTrue(yield* budget.withdraw)
    }).pipe(Effect.provide(Router.layerMemory({ router: { hedge: Hedge.fixed("100 millis") } }))))

  it.effect("adaptive delay: the primary route's p95 time to first token, clamped", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({ a: () => fastAnswer(40), b: () => fastAnswer(10) })
      const router = yield* Router.Router
      const delay = Hedge.adaptive({ min: "50 millis", max: "1 second" })
      for (let i = 0; i < 5; i++) yield* after(100, router.run([routeA, routeB], complete(providers), { hedge: false }))
      // p95 of 40 ms clamps to 50 ms: a 70 ms primary started at 500 ms is hedged at 550 ms.
      const slow = yield* mocks({ a: [fastAnswer(70)], b: [fastAnswer(10)] })
      const result = yield* after(100, router.run([routeA, routeB], complete(slow), { hedge: delay }))
      assert.strictEqual(result.route, routeB)
      assert.strictEqual((yield* slow.b!.calls)[0]!.startedAt, 550)
    }).pipe(Effect.provide(hedging)))
})

describe("Router.stream", () => {
  it.effect("fails over invisibly before the first content event", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({
        a: [[{ _tag: "ResponseStart", id: "r", model: "m", created: 0 }, MockProvider.fail("server_error")]],
        b: [MockProvider.answer({ text: ["Hel", "lo"] })]
      })
      const router = yield* Router.Router
      const routed = yield* router.stream([routeA, routeB], stream(providers), { policy: FailoverPolicy.make({ maxRetries: 0 }) })
      const events = yield* Stream.runCollect(routed.stream)
      assert.strictEqual(routed.route, routeB)
      assert.deepStrictEqual(events.filter((e) => e._tag === "TextDelta").map((e) => e.text), ["Hel", "lo"])
    }).pipe(Effect.provide(Router.layerMemory())))

  it.effect("after the commit a break is StreamBroken with the delivered count", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({
        a: [[
          { _tag: "ResponseStart", id: "r", model: "m", created: 0 },
          { _tag: "TextDelta", choice: 0, text: "Hel" },
          MockProvider.fail("stream_interrupted")
        ]],
        b: [MockProvider.answer({ text: ["x"] })]
      })
      const router = yield* Router.Router
      const routed = yield* router.stream([routeA, routeB], stream(providers))
      const error = yield* Effect.flip(Stream.runCollect(routed.stream))
      assert.strictEqual(error._tag, "StreamBroken")
      assert.strictEqual(error.delivered, 2)
      assert.strictEqual(error.error.category, "stream_interrupted")
      assert.strictEqual((yield* providers.b!.calls).length, 0)
    }).pipe(Effect.provide(Router.layerMemory())))

  it.effect("retries before the first token stay within the route's turn; a committed stream outlives it", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({
        a: () => [MockProvider.sleep("900 millis"), MockProvider.fail("server_error")],
        b: [MockProvider.answer({ text: ["one", "two", "three"] }, { firstTokenDelay: "100 millis", chunkDelay: "1 second" })]
      })
      const router = yield* Router.Router
      const fiber = yield* Effect.forkChild(Effect.flatMap(
        router.stream([routeA, routeB, routeC], stream(providers), { deadline: "8 seconds", timeouts: { firstToken: "1 second", total: "2 seconds" } }),
        (routed) => Effect.map(Stream.runCollect(routed.stream), (events) => ({ routed, events }))
      ).pipe(Effect.scoped))
      yield* TestClock.adjust(5000)
      const { events, routed } = yield* Fiber.join(fiber)
      // a: 0–900 ms, retried 1000–1900 ms; a second retry would not fit in its 2 s turn. b commits
      // at 2 s, before its own turn ends at 3.9 s, and streams on until 4 s.
      assert.deepStrictEqual(roles(routed.attempts), ["a:primary:server_error", "a:retry:server_error", "b:fallback:ok"])
      assert.strictEqual(routed.attempts[2]!.startedAt, 1900)
      assert.deepStrictEqual(events.filter((e) => e._tag === "TextDelta").map((e) => e.text), ["one", "two", "three"])
    }).pipe(Effect.provide(Router.layerMemory({ router: { policy: steady } }))))

  it.effect("a first-token timeout fails over; the hedge loser's stream is interrupted", () =>
    Effect.gen(function*() {
      const providers = yield* mocks({
        a: [MockProvider.answer({ text: ["a"] }, { firstTokenDelay: "5 seconds" })],
        b: [MockProvider.answer({ text: ["b"] }, { firstTokenDelay: "2 seconds" })],
        c: [MockProvider.answer({ text: ["c"] }, { firstTokenDelay: "100 millis" })]
      })
      const router = yield* Router.Router
      const fiber = yield* Effect.forkChild(Effect.flatMap(
        router.stream([routeA, routeB, routeC], stream(providers), {
          timeouts: { firstToken: "1 second" },
          hedge: Hedge.fixed("500 millis")
        }),
        (routed) => Effect.map(Stream.runCollect(routed.stream), (events) => ({ routed, events }))
      ).pipe(Effect.scoped))
      yield* TestClock.adjust(2000)
      const { routed } = yield* Fiber.join(fiber)
      // a hedged by b at 500 ms; a times out at 1 s, b at 1.5 s; c answers.
      assert.deepStrictEqual(roles(routed.attempts), ["a:primary:timeout", "b:hedge:timeout", "c:fallback:ok"])
      assert.strictEqual((yield* providers.a!.calls)[0]!.outcome, "interrupted")
      assert.strictEqual((yield* providers.c!.calls)[0]!.startedAt, 1500)
    }).pipe(Effect.provide(Router.layerMemory({ hedgeBudget: { ratio: 1, burst: 1 } }))))
})
