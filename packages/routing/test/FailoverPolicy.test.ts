import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Random, Schedule } from "effect"
import { ProviderError } from "@switchyard/core"
import { FailoverPolicy } from "../src/index.ts"

const route = { provider: "a", model: "small" }
const error = (category: ProviderError.Category, retryAfter?: Duration.Input) =>
  ProviderError.make(category, {
    provider: "a",
    message: category,
    retryAfter: retryAfter === undefined ? undefined : Duration.fromInputUnsafe(retryAfter)
  })
const decide = (policy: FailoverPolicy.FailoverPolicy, e: ProviderError.ProviderError, retries = 0, remaining: Duration.Input = "1 minute") =>
  FailoverPolicy.decide(policy, { error: e, route, retries, remaining: Duration.fromInputUnsafe(remaining) })

describe("FailoverPolicy", () => {
  it.effect("defaults by category", () =>
    Effect.gen(function*() {
      const policy = FailoverPolicy.make({ contextFallback: { "a/small": { provider: "a", model: "large" } } })
      assert.strictEqual((yield* decide(policy, error("server_error")))._tag, "Retry")
      assert.strictEqual((yield* decide(policy, error("timeout")))._tag, "Failover")
      assert.strictEqual((yield* decide(policy, error("auth")))._tag, "Failover")
      assert.strictEqual((yield* decide(policy, error("bad_request")))._tag, "Fail")
      assert.strictEqual((yield* decide(policy, error("content_filter")))._tag, "Fail")
      assert.deepStrictEqual(yield* decide(policy, error("context_overflow")), {
        _tag: "Fallback",
        route: { provider: "a", model: "large" }
      })
      // Without a configured larger model, the next route of the request is tried.
      assert.strictEqual((yield* decide(FailoverPolicy.defaults, error("context_overflow")))._tag, "Failover")
      assert.strictEqual((yield* decide(policy, error("server_error"), 2))._tag, "Failover")
    }))

  it.effect("default backoff, equal jitter: the n-th pause is in [250, 500) × 2^n ms and they vary", () =>
    Effect.gen(function*() {
      const delays: Array<number> = []
      for (let i = 0; i < 50; i++) {
        for (const retries of [0, 1]) {
          const d = yield* decide(FailoverPolicy.defaults, error("overloaded"), retries)
          assert.strictEqual(d._tag, "Retry")
          if (d._tag === "Retry") {
            assert.isAtLeast(Duration.toMillis(d.delay), 250 * 2 ** retries)
            assert.isBelow(Duration.toMillis(d.delay), 500 * 2 ** retries)
            delays.push(Duration.toMillis(d.delay))
          }
        }
      }
      assert.isAbove(new Set(delays).size, 50)
      // A third retry is a failover: at most 3 attempts on a route.
      assert.strictEqual((yield* decide(FailoverPolicy.defaults, error("rate_limited"), 2))._tag, "Failover")
    }).pipe(Random.withSeed(1)))

  it.effect("full jitter: every pause is below base × 2^n", () =>
    Effect.gen(function*() {
      const policy = FailoverPolicy.make({ backoff: FailoverPolicy.fullJitter("200 millis", "5 seconds") })
      for (let i = 0; i < 50; i++) {
        const d = yield* decide(policy, error("overloaded"), 1)
        assert.isTrue(d._tag === "Retry" && Duration.toMillis(d.delay) < 400)
      }
    }).pipe(Random.withSeed(2)))

  it.effect("Retry-After is waited when it fits in the time left, else the request fails over", () =>
    Effect.gen(function*() {
      const policy = FailoverPolicy.make({ backoff: Schedule.spaced("100 millis") })
      assert.deepStrictEqual(yield* decide(policy, error("rate_limited", "3 seconds"), 0, "5 seconds"), {
        _tag: "Retry",
        delay: Duration.seconds(3)
      })
      assert.strictEqual((yield* decide(policy, error("rate_limited", "3 seconds"), 0, "2 seconds"))._tag, "Failover")
      assert.strictEqual((yield* decide(policy, error("rate_limited"), 0, "50 millis"))._tag, "Failover")
    }))
})
