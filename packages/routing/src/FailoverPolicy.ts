/**
 * What to do after a failed attempt, by `ProviderError` category:
 *
 * | action | categories (defaults) |
 * |---|---|
 * | `retry` the same route (exponential backoff, equal jitter), then fail over | rate_limited, overloaded, server_error |
 * | `failover` to the next route at once | timeout, stream_interrupted, quota_exceeded, not_found, auth, unknown |
 * | `fallback` to the route's larger-context model, else the next route | context_overflow |
 * | `fail` the request | bad_request, content_filter |
 *
 * A `retryAfter` from the provider is honoured (waited at least) only when it fits in the time left;
 * otherwise the request fails over at once. A pause that would not fit fails over too.
 */
import { Duration, Effect, Exit, Random, Schedule } from "effect"
import type { ProviderError } from "@switchyard/core"
import type { Route } from "./Route.ts"

export type Action = "retry" | "failover" | "fallback" | "fail"

export interface FailoverPolicy {
  readonly actions: Readonly<Record<ProviderError.Category, Action>>
  /** Retries of one route before failing over (default 2: at most 3 attempts on a route per request). */
  readonly maxRetries: number
  /** Pauses between retries of one route; its n-th delay is the n-th retry's. */
  readonly backoff: Schedule.Schedule<unknown, unknown>
  /** The larger-context model to use after a `context_overflow` on `route`. */
  readonly contextFallback: (route: Route) => Route | undefined
}

export const defaultActions: Readonly<Record<ProviderError.Category, Action>> = {
  rate_limited: "retry",
  overloaded: "retry",
  server_error: "retry",
  timeout: "failover",
  stream_interrupted: "failover",
  quota_exceeded: "failover",
  not_found: "failover",
  auth: "failover",
  unknown: "failover",
  context_overflow: "fallback",
  bad_request: "fail",
  content_filter: "fail"
}

/**
 * Exponential backoff (`base × 2^n`, capped) with equal jitter: a uniform pause in `[half, all)` of
 * that, so retries are spread out yet never back to back (a provider that just said it is overloaded
 * is not asked again at once).
 */
export const equalJitter = (base: Duration.Input, cap: Duration.Input): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(base).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (u) => Duration.times(Duration.min(duration, Duration.fromInputUnsafe(cap)), 0.5 + u / 2))
    )
  )

/** Exponential backoff (`base × 2^n`, capped) with full jitter: a uniform pause in `[0, that)`. */
export const fullJitter = (base: Duration.Input, cap: Duration.Input): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(base).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (u) => Duration.times(Duration.min(duration, Duration.fromInputUnsafe(cap)), u))
    )
  )

export interface Options {
  readonly actions?: Partial<Record<ProviderError.Category, Action>> | undefined
  readonly maxRetries?: number | undefined
  readonly backoff?: Schedule.Schedule<unknown, unknown> | undefined
  /** Larger-context fallbacks, keyed by `provider/model`, or a function. */
  readonly contextFallback?: Readonly<Record<string, Route>> | ((route: Route) => Route | undefined) | undefined
}

/**
 * 500 ms then 1 s (each between half and all of that): a retried route sees its 3 attempts spread
 * over at least 0.75 s and at most 1.5 s, after which the request fails over.
 */
export const defaultBackoff = equalJitter("500 millis", "5 seconds")

export const make = (options: Options = {}): FailoverPolicy => {
  const fallback = options.contextFallback
  return {
    actions: { ...defaultActions, ...options.actions },
    maxRetries: options.maxRetries ?? 2,
    backoff: options.backoff ?? defaultBackoff,
    contextFallback: typeof fallback === "function"
      ? fallback
      : (route) => fallback?.[`${route.provider}/${route.model}`]
  }
}

export const defaults: FailoverPolicy = make()

export type Decision =
  | { readonly _tag: "Retry"; readonly delay: Duration.Duration }
  | { readonly _tag: "Failover" }
  | { readonly _tag: "Fallback"; readonly route: Route }
  | { readonly _tag: "Fail" }

/** The `n`-th delay (from 1) of a schedule, replayed from its start. */
const nthDelay = (schedule: Schedule.Schedule<unknown, unknown>, n: number) =>
  Effect.gen(function*() {
    const step = yield* Schedule.toStep(schedule)
    let now = 0
    let delay: Duration.Duration | undefined = undefined
    for (let i = 1; i <= n; i++) {
      const result = yield* Effect.exit(step(now, undefined))
      if (Exit.isFailure(result)) return undefined
      delay = result.value[1]
      now += Duration.toMillis(delay)
    }
    return delay
  })

const failover: Decision = { _tag: "Failover" }

/** Decides after `error` on `route`, which has been retried `retries` times, with `remaining` left. */
export const decide = (
  policy: FailoverPolicy,
  input: {
    readonly error: ProviderError.ProviderError
    readonly route: Route
    readonly retries: number
    readonly remaining: Duration.Duration
  }
): Effect.Effect<Decision> =>
  Effect.gen(function*() {
    switch (policy.actions[input.error.category]) {
      case "fail":
        return { _tag: "Fail" }
      case "failover":
        return failover
      case "fallback": {
        // The route's larger-context model if one is configured, else the request's next route.
        const route = policy.contextFallback(input.route)
        return route === undefined ? failover : { _tag: "Fallback", route }
      }
      case "retry": {
        if (input.retries >= policy.maxRetries) return failover
        const backoff = yield* nthDelay(policy.backoff, input.retries + 1)
        if (backoff === undefined) return failover
        const hint = input.error.retryAfter
        const delay = hint === undefined ? backoff : Duration.max(backoff, hint)
        return Duration.isLessThan(delay, input.remaining) ? { _tag: "Retry", delay } : failover
      }
    }
  })
