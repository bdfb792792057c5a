/**
 * The `routing` section of the config, and the router settings it means: strategy, one deadline per
 * request, stream timeouts, hedging, retries, circuit breakers and larger-context fallbacks. Every
 * duration is in milliseconds. A model alias may override the strategy, deadline and hedge.
 *
 * ```yaml
 * routing:
 *   strategy: priority            # priority | weighted | latency | price
 *   deadline_ms: 60000            # the whole request, every attempt and pause included
 *   first_token_ms: 15000         # per attempt, capped by what is left of the deadline
 *   idle_ms: 20000                # the longest gap between two stream events
 *   attempt_ms: 30000             # a whole answer's attempt while another route could answer
 *   last_first_token_ms: 60000    # first token and attempt on the last route (defaults: docs/routing.md)
 *   last_attempt_ms: 120000
 *   hedge: { adaptive: { quantile: 0.95, min_ms: 250, max_ms: 3000 } }   # or { delay_ms: 800 }
 *   hedge_budget: { ratio: 0.1, min_per_second: 1, window_ms: 10000 }   # hedges ≤ 10% of requests + 1/s
 *   retries: { max: 2, base_ms: 500, cap_ms: 5000 }
 *   breaker: { consecutive_failures: 5, cooldown_ms: 30000 }
 *   on: { auth: fail }            # per error category: retry | failover | fallback | fail
 *   context_fallback: { openai/gpt-4.1-mini: { provider: openai, model: gpt-4.1 } }
 * ```
 */
import { Duration, Layer, Schema } from "effect"
import type { ProviderError } from "@switchyard/core"
import { FailoverPolicy, Hedge, type HedgeBudget, RouteHealth, Router, Strategy } from "@switchyard/routing"
import * as StateConfig from "./StateConfig.ts"

const Millis = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const HedgeConfig = Schema.Union([
  Schema.Struct({ delay_ms: Millis }),
  Schema.Struct({
    adaptive: Schema.Struct({
      quantile: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0.5, maximum: 0.999 }))),
      min_ms: Millis,
      max_ms: Millis
    })
  })
])
export type HedgeConfig = typeof HedgeConfig.Type

export const StrategyName = Schema.Literals(["priority", "weighted", "latency", "price"])

/** Settings a model alias may override. */
export const RequestRouting = Schema.Struct({
  strategy: Schema.optionalKey(StrategyName),
  deadline_ms: Schema.optionalKey(Millis),
  /** Until a stream's first event, while another route could still answer. */
  first_token_ms: Schema.optionalKey(Millis),
  /** Until a stream's first event on the last route (default: `first_token_ms` when that is set). */
  last_first_token_ms: Schema.optionalKey(Millis),
  idle_ms: Schema.optionalKey(Millis),
  /** A whole (non-streamed) answer's attempt, while another route could still answer. */
  attempt_ms: Schema.optionalKey(Millis),
  /** A whole answer's attempt on the last route (default: `attempt_ms` when set, else the deadline). */
  last_attempt_ms: Schema.optionalKey(Millis),
  hedge: Schema.optionalKey(Schema.NullOr(HedgeConfig))
})
export type RequestRouting = typeof RequestRouting.Type

/**
 * What holds when the config says nothing (docs/routing.md gives the reasons):
 * - `deadline_ms` 300 000: a backstop so no request hangs forever, long enough for a non-streamed
 *   answer of a reasoning model;
 * - `first_token_ms` 10 000: a stream that has not started in 10 s fails over while a fallback exists
 *   (well within the 15 s users wait), and `last_first_token_ms` 60 000: a lone or last route is given
 *   longer, as failing it helps nobody;
 * - `idle_ms` 30 000: longer than any provider's keep-alive gap (Anthropic pings every ~15 s);
 * - `attempt_ms` 60 000 (at most half the deadline): a whole answer cannot be told from a silent
 *   route before it arrives, so a fallback waits at most a minute; the last route has the deadline.
 *   It is also a route's turn, retries included, while another route remains.
 */
export const defaults = {
  deadline_ms: 300_000,
  first_token_ms: 10_000,
  last_first_token_ms: 60_000,
  idle_ms: 30_000,
  attempt_ms: 60_000
} as const satisfies RequestRouting

/**
 * `settings` over the defaults. A limit set without its last-route twin applies to the last route
 * too: whoever set `first_token_ms: 300` meant it for every attempt.
 */
export const withDefaults = (settings: RequestRouting): RequestRouting => ({
  ...defaults,
  ...settings,
  attempt_ms: settings.attempt_ms ?? Math.min(defaults.attempt_ms, (settings.deadline_ms ?? defaults.deadline_ms) / 2),
  last_first_token_ms: settings.last_first_token_ms ?? settings.first_token_ms ?? defaults.last_first_token_ms,
  ...(settings.last_attempt_ms ?? settings.attempt_ms) === undefined
    ? {}
    : { last_attempt_ms: settings.last_attempt_ms ?? settings.attempt_ms }
})

const Action = Schema.Literals(["retry", "failover", "fallback", "fail"])

export const RoutingConfig = Schema.Struct({
  ...RequestRouting.fields,
  hedge_budget: Schema.optionalKey(Schema.Struct({
    /** Hedges per request seen in the window (default 0.1). */
    ratio: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
    /** Hedges per second allowed whatever the traffic (default 1; 0: none beyond the ratio). */
    min_per_second: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
    /** Floor hedges saved up while quiet (default max(1, min_per_second)). */
    burst: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
    /** How far back requests count towards the ratio (default 10000). */
    window_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
  })),
  retries: Schema.optionalKey(Schema.Struct({
    max: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
    base_ms: Schema.optionalKey(Millis),
    cap_ms: Schema.optionalKey(Millis)
  })),
  breaker: Schema.optionalKey(Schema.Struct({
    consecutive_failures: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
    cooldown_ms: Schema.optionalKey(Millis)
  })),
  on: Schema.optionalKey(Schema.Record(Schema.String, Action)),
  context_fallback: Schema.optionalKey(Schema.Record(Schema.String, Schema.Struct({ provider: Schema.String, model: Schema.String })))
})
export type RoutingConfig = typeof RoutingConfig.Type

const millis = (ms: number) => Duration.millis(ms)

const hedgeDelay = (hedge: HedgeConfig): Hedge.Delay =>
  "delay_ms" in hedge
    ? Hedge.fixed(millis(hedge.delay_ms))
    : Hedge.adaptive({ quantile: hedge.adaptive.quantile, min: millis(hedge.adaptive.min_ms), max: millis(hedge.adaptive.max_ms) })

const timeouts = (firstToken: number | undefined, idle: number | undefined, total: number | undefined) => ({
  ...(firstToken === undefined ? {} : { firstToken: millis(firstToken) }),
  ...(idle === undefined ? {} : { idle: millis(idle) }),
  ...(total === undefined ? {} : { total: millis(total) })
})

/**
 * The per-request router options of a settings block; `price` orders routes by a price function
 * (the cost service's price of a fixed usage).
 */
export const requestOptions = (
  settings: RequestRouting,
  price: (route: { provider: string; model: string }) => number
): Router.RequestOptions => ({
  ...(settings.strategy === undefined ? {} : {
    strategy: settings.strategy === "priority"
      ? Strategy.priority
      : settings.strategy === "weighted"
      ? Strategy.weighted
      : settings.strategy === "latency"
      ? Strategy.lowestLatency()
      : Strategy.lowestPrice(price)
  }),
  ...(settings.deadline_ms === undefined ? {} : { deadline: millis(settings.deadline_ms) }),
  timeouts: timeouts(settings.first_token_ms, settings.idle_ms, settings.attempt_ms),
  lastRouteTimeouts: timeouts(
    settings.last_first_token_ms ?? settings.first_token_ms,
    settings.idle_ms,
    settings.last_attempt_ms ?? settings.attempt_ms
  ),
  ...(settings.hedge === undefined ? {} : { hedge: settings.hedge === null ? false : hedgeDelay(settings.hedge) })
})

const limits = ["deadline_ms", "first_token_ms", "last_first_token_ms", "idle_ms", "attempt_ms", "last_attempt_ms"] as const

/** Whether `request` sets any time limit tighter than `configured` (an unset one is unlimited). */
export const tightens = (request: RequestRouting, configured: RequestRouting): boolean =>
  limits.some((limit) => {
    const asked = request[limit]
    return asked !== undefined && asked < (configured[limit] ?? Number.POSITIVE_INFINITY)
  })

/** The failover policy of the section (defaults where it says nothing). */
export const policy = (config: RoutingConfig): FailoverPolicy.FailoverPolicy =>
  FailoverPolicy.make({
    ...(config.on === undefined ? {} : { actions: config.on as Partial<Record<ProviderError.Category, FailoverPolicy.Action>> }),
    ...(config.retries?.max === undefined ? {} : { maxRetries: config.retries.max }),
    ...(config.retries?.base_ms === undefined && config.retries?.cap_ms === undefined ? {} : {
      backoff: FailoverPolicy.equalJitter(millis(config.retries?.base_ms ?? 500), millis(config.retries?.cap_ms ?? 5000))
    }),
    ...(config.context_fallback === undefined ? {} : { contextFallback: config.context_fallback })
  })

export const healthOptions = (config: RoutingConfig): RouteHealth.Options => ({
  ...(config.breaker?.consecutive_failures === undefined ? {} : { consecutiveFailures: config.breaker.consecutive_failures }),
  ...(config.breaker?.cooldown_ms === undefined ? {} : { cooldown: millis(config.breaker.cooldown_ms) })
})

export const hedgeBudgetOptions = (config: RoutingConfig): HedgeBudget.Options => {
  const budget = config.hedge_budget ?? {}
  return {
    ...(budget.ratio === undefined ? {} : { ratio: budget.ratio }),
    ...(budget.min_per_second === undefined ? {} : { minPerSecond: budget.min_per_second }),
    ...(budget.burst === undefined ? {} : { burst: budget.burst }),
    ...(budget.window_ms === undefined ? {} : { window: millis(budget.window_ms) })
  }
}

/** The routing settings a model alias overrides (its keys other than `routes`). */
export const requestRouting = (alias: RequestRouting): RequestRouting => {
  const { attempt_ms, deadline_ms, first_token_ms, hedge, idle_ms, last_attempt_ms, last_first_token_ms, strategy } = alias
  return {
    ...(strategy === undefined ? {} : { strategy }),
    ...(deadline_ms === undefined ? {} : { deadline_ms }),
    ...(attempt_ms === undefined ? {} : { attempt_ms }),
    ...(last_attempt_ms === undefined ? {} : { last_attempt_ms }),
    ...(last_first_token_ms === undefined ? {} : { last_first_token_ms }),
    ...(first_token_ms === undefined ? {} : { first_token_ms }),
    ...(idle_ms === undefined ? {} : { idle_ms }),
    ...(hedge === undefined ? {} : { hedge })
  }
}

/**
 * The router of a config. Breakers, the hedge budget and latency statistics stay in this process,
 * unless `state` is `redis`: then every instance with the same Redis and prefix shares them.
 */
export const layer = (config: RoutingConfig | undefined, state?: StateConfig.StateConfig) => {
  const router = { policy: policy(config ?? {}) }
  const health = healthOptions(config ?? {})
  const hedgeBudget = hedgeBudgetOptions(config ?? {})
  if (state?.kind !== "redis") return Router.layerMemory({ router, health, hedgeBudget })
  return Router.layer(router).pipe(
    Layer.provideMerge(StateConfig.redisLayer(({ HealthStoreRedis, HedgeBudgetRedis, LatencyStatsRedis }) =>
      Layer.mergeAll(
        RouteHealth.layer(health).pipe(Layer.provide(HealthStoreRedis.layer)),
        LatencyStatsRedis.layer(),
        HedgeBudgetRedis.layer(hedgeBudget)
      )
    )),
    Layer.provide(StateConfig.sharedState(state))
  )
}
