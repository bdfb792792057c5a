/**
 * The `state` section of the config: where the state several instances should share lives (route
 * breakers, the hedge budget, budget and rate-limit counters, latency statistics). `memory` (the default) keeps it in this process;
 * `redis` shares it through Redis, with a local fallback while Redis is unreachable.
 *
 * ```yaml
 * state:
 *   kind: redis
 *   url: ${REDIS_URL}          # redis://[user:password@]host:port[/db], or rediss:// for TLS
 *   prefix: "switchyard:"      # key prefix (default), one per gateway sharing a Redis
 *   timeout_ms: 250            # a slower Redis call is answered locally instead (default 250)
 * ```
 */
import { Context, Duration, Effect, Layer, Schema } from "effect"
import type { SharedState } from "@switchyard/state-redis"

export const RedisState = Schema.Struct({
  kind: Schema.Literal("redis"),
  /** Held as `Redacted`: it may carry a password. */
  url: Schema.RedactedFromValue(Schema.String.check(Schema.isPattern(/^rediss?:\/\/\S+$/))),
  prefix: Schema.optionalKey(Schema.String),
  timeout_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})
export type RedisState = typeof RedisState.Type

export const StateConfig = Schema.Union([Schema.Struct({ kind: Schema.Literal("memory") }), RedisState])
export type StateConfig = typeof StateConfig.Type

type StateRedis = typeof import("@switchyard/state-redis")

/**
 * A layer made from `@switchyard/state-redis`, which is imported when the layer is first built: a
 * gateway on the default memory state never loads it, nor its Redis client.
 */
export const redisLayer = <A, E, R>(make: (stateRedis: StateRedis) => Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.unwrap(Effect.map(Effect.promise(() => import("@switchyard/state-redis")), make))

/** One layer per config value, so the router's and the budgets' stores share one connection in a build. */
const layers = new WeakMap<RedisState, Layer.Layer<SharedState.SharedState>>()

/** The Redis connection of a `redis` section (the same layer for the same section). */
export const sharedState = (config: RedisState): Layer.Layer<SharedState.SharedState> => {
  const known = layers.get(config)
  if (known !== undefined) return known
  const layer = redisLayer(({ SharedState }) =>
    SharedState.layer({
      url: config.url,
      prefix: config.prefix,
      timeout: config.timeout_ms === undefined ? undefined : Duration.millis(config.timeout_ms)
    })
  )
  layers.set(config, layer)
  return layer
}

/** Where the shared state is served from: `memory` by config, else `redis`, or `local` while Redis is unreachable. */
export type Status = "memory" | SharedState.Status

/** The shared state's status, for the health check. */
export class StateStatus extends Context.Service<StateStatus, { readonly status: Effect.Effect<Status> }>()(
  "@switchyard/gateway/StateStatus"
) {}

/** The status of a `state` section (over the same connection as its stores, in one build). */
export const statusLayer = (config: StateConfig | undefined): Layer.Layer<StateStatus> =>
  config?.kind === "redis"
    ? redisLayer(({ SharedState }) =>
      Layer.effect(StateStatus, Effect.map(SharedState.SharedState, (shared) => ({ status: shared.status })))
    ).pipe(Layer.provide(sharedState(config)))
    : Layer.succeed(StateStatus, { status: Effect.succeed<Status>("memory") })
