/**
 * A circuit breaker per route key. Closed: every call is allowed; N consecutive retryable failures,
 * or a failure rate over the last calls, open it. Open: calls are rejected until a jittered cooldown
 * ends. Half-open: exactly one probe is admitted; its success closes the circuit, its failure
 * reopens it, and a probe that ends without a verdict (cancelled, non-retryable error) frees the slot.
 */
import { Clock, Context, Duration, Effect, Layer, Random } from "effect"
import * as HealthStore from "./HealthStore.ts"
import * as Breaker from "./internal/breaker.ts"

export type { Admission, Verdict } from "./internal/breaker.ts"

/** A route's circuit, as strategies see it. */
export type Status = "closed" | "open" | "half_open"

export interface RouteHealthShape {
  /**
   * Asks to call the route: `Allowed`, `Probe` (the one half-open trial) or `Rejected` until
   * `reopensAt` (open, or cooling down after a rate limit unless `throughCooldown`).
   */
  readonly admit: (key: string, options?: { readonly throughCooldown?: boolean }) => Effect.Effect<Breaker.Admission>
  /**
   * Refuses the route for `retryAfter` (else the configured `rateLimitCooldown`) without opening
   * it: it is rate limited, not down.
   */
  readonly cool: (key: string, retryAfter: Duration.Duration | undefined) => Effect.Effect<void>
  /**
   * Reports how an admitted call went: `failure` for retryable failures, `success`, or `ignored`
   * (cancelled or not the route's fault), with the failure's category as `reason` (a circuit it
   * opens says why when it rejects). Outcomes of an older circuit generation change nothing.
   */
  readonly record: (
    key: string,
    admission: Breaker.Admission,
    verdict: Breaker.Verdict,
    reason?: string
  ) => Effect.Effect<void>
  readonly status: (key: string) => Effect.Effect<Status>
}

export class RouteHealth extends Context.Service<RouteHealth, RouteHealthShape>()("@switchyard/routing/RouteHealth") {}

export interface Options {
  /** Consecutive retryable failures that open the circuit (default 5). */
  readonly consecutiveFailures?: number | undefined
  /** Also open on a failure rate over the last `window` outcomes (default: off). */
  readonly failureRate?: {
    readonly threshold: number
    readonly window: number
    readonly minimumCalls?: number | undefined
  } | undefined
  /** How long the circuit stays open (default 30 seconds). */
  readonly cooldown?: Duration.Input | undefined
  /** Spread of the cooldown, as a fraction (default 0.2: 24 to 36 seconds). */
  readonly jitter?: number | undefined
  /** After this long without a verdict a probe is presumed lost (default 1 minute). */
  readonly probeLease?: Duration.Input | undefined
  /** How long a route that answered "rate limited" without `Retry-After` cools down (default 1 second). */
  readonly rateLimitCooldown?: Duration.Input | undefined
}

export const config = (options: Options = {}): Breaker.BreakerConfig => ({
  consecutiveFailures: options.consecutiveFailures ?? 5,
  failureRate: options.failureRate === undefined ? undefined : {
    threshold: options.failureRate.threshold,
    window: options.failureRate.window,
    minimumCalls: options.failureRate.minimumCalls ?? options.failureRate.window
  },
  cooldownMs: Duration.toMillis(options.cooldown ?? "30 seconds"),
  jitter: options.jitter ?? 0.2,
  probeLeaseMs: Duration.toMillis(options.probeLease ?? "1 minute")
})

export const make = (options: Options = {}): Effect.Effect<RouteHealthShape, never, HealthStore.HealthStore> =>
  Effect.gen(function*() {
    const store = yield* HealthStore.HealthStore
    const cfg = config(options)
    const coolMs = Duration.toMillis(options.rateLimitCooldown ?? "1 second")
    return {
      admit: (key, options) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          store.modify(key, (state) => Breaker.admit(state, now, cfg, options?.throughCooldown === true))),
      cool: (key, retryAfter) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const until = now + (retryAfter === undefined ? coolMs : Duration.toMillis(retryAfter))
          return store.modify(key, (state) => [undefined, Breaker.cool(state, until)] as const)
        }),
      record: (key, admission, verdict, reason) =>
        admission._tag === "Rejected" ? Effect.void : Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const random = yield* Random.next
          yield* store.modify(key, (state) =>
            [undefined, Breaker.record(state, admission.generation, verdict, now, random, cfg, reason)] as const)
        }),
      status: (key) =>
        Effect.zipWith(store.get(key), Clock.currentTimeMillis, (state, now): Status =>
          state._tag === "Closed" ? "closed" : state._tag === "Open" && now < state.reopensAt ? "open" : "half_open")
    }
  })

export const layer = (options: Options = {}): Layer.Layer<RouteHealth, never, HealthStore.HealthStore> =>
  Layer.effect(RouteHealth, make(options))

/** Breakers in process memory. */
export const layerMemory = (options: Options = {}): Layer.Layer<RouteHealth> =>
  layer(options).pipe(Layer.provide(HealthStore.layerMemory))
