/**
 * The Redis connection the shared stores use, and whether they are using it. Every store call goes
 * through `run`: on Redis while it answers within `timeout`, else on a local store of this instance.
 *
 * - The client (node-redis through `@effect/platform-node`'s `NodeRedis`) is built in the
 *   background and reconnects forever, so the gateway starts, and serves, while Redis is down. Its
 *   offline queue is off: while disconnected a command fails at once instead of waiting, and is
 *   never sent later behind the caller's back.
 * - A failed or late command turns the status to `local`: later calls go to the local stores at
 *   once, without trying Redis. Every `retryEvery` a `PING` checks whether Redis is back; when it
 *   answers, the status is `redis` again. Each transition is logged once, as a warning.
 * - Each outage starts from fresh local stores, and what they held is dropped when Redis is back:
 *   Redis's state is the one that counts, the outage's local state is not merged into it.
 * - A command that times out may still run on Redis later (it was sent): a budget hold reserved
 *   that way stays until its window ends, and a breaker outcome may count although the caller saw
 *   the local store answer.
 */
import { Cause, Context, Duration, Effect, Fiber, Layer, Redacted, Ref, References, Schedule, type Scope, SynchronizedRef } from "effect"
import { Redis } from "effect/persistence"
import * as NodeRedis from "@effect/platform-node/NodeRedis"

/** Where the shared state is served from right now. */
export type Status = "redis" | "local"

export interface SharedStateShape {
  readonly status: Effect.Effect<Status>
  /** Prepended to every key, so several gateways (or tests) can share one Redis. */
  readonly prefix: string
  /** `remote` on Redis within the timeout; `local` instead while Redis is unreachable, or when `remote` fails. */
  readonly run: <A>(
    remote: (redis: Redis.Redis["Service"]) => Effect.Effect<A, Redis.RedisError>,
    local: Effect.Effect<A>
  ) => Effect.Effect<A>
  /** The local store of the current outage: `make` builds a fresh one for each outage. */
  readonly fallback: <S>(make: Effect.Effect<S>) => Effect.Effect<Effect.Effect<S>>
}

export class SharedState extends Context.Service<SharedState, SharedStateShape>()("@switchyard/state-redis/SharedState") {}

export interface Options {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string | Redacted.Redacted<string>
  /** Key prefix (default `"switchyard:"`). */
  readonly prefix?: string | undefined
  /** The longest a Redis call may take before the local store answers instead (default 250 ms). */
  readonly timeout?: Duration.Input | undefined
  /** How often to check whether Redis is back while serving locally (default 1 second). */
  readonly retryEvery?: Duration.Input | undefined
  /** How long building the layer waits for a first connection before starting locally (default 1 second). */
  readonly connectWait?: Duration.Input | undefined
}

/** The connection as the stores see it; `outage` counts the times Redis was lost. */
export interface Connection {
  readonly status: Status
  readonly outage: number
}

/** Before the first connection: local, in no outage yet. */
export const initial: Connection = { status: "local", outage: 0 }

/** `lost`: a Redis call failed or timed out; `reached`: Redis answered a check. */
export const step = (connection: Connection, event: "lost" | "reached"): Connection =>
  event === "reached"
    ? { ...connection, status: "redis" }
    : connection.status === "local"
    ? connection
    : { status: "local", outage: connection.outage + 1 }

/** Reconnection delays: 100 ms doubling up to 2 s, forever (node-redis' default gives up on socket timeouts). */
const reconnectDelay = (retries: number): number => Math.min(100 * 2 ** retries, 2000)

export const make = (options: Options): Effect.Effect<SharedStateShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const prefix = options.prefix ?? "switchyard:"
    const timeout = Duration.fromInputUnsafe(options.timeout ?? "250 millis")
    const connection = yield* Ref.make(initial)
    const client = yield* Ref.make<Redis.Redis["Service"] | undefined>(undefined)

    const transition = (event: "lost" | "reached", cause?: unknown) =>
      Ref.modify(connection, (current) => {
        const next = step(current, event)
        return [next.status !== current.status, next] as const
      }).pipe(Effect.flatMap((changed) =>
        !changed
          ? Effect.void
          : event === "lost"
          ? Effect.logWarning("shared state: Redis unreachable, serving from this instance's memory until it is back", cause)
          : Effect.logWarning("shared state: Redis reachable, serving from Redis")
      ), Effect.annotateLogs({ prefix }))

    /** Whether Redis answers a `PING` within the timeout. */
    const answers = Effect.gen(function*() {
      const redis = yield* Ref.get(client)
      if (redis === undefined) return false
      return yield* redis.send("PING").pipe(Effect.timeout(timeout), Effect.as(true), Effect.catch(() => Effect.succeed(false)))
    })
    const check = Effect.gen(function*() {
      if ((yield* Ref.get(connection)).status === "local" && (yield* answers)) yield* transition("reached")
    })

    const url = typeof options.url === "string" ? options.url : Redacted.value(options.url)
    const connecting = yield* Layer.build(NodeRedis.layer({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: reconnectDelay }
    })).pipe(
      // node-redis reports every failed reconnection; the transitions are logged here instead.
      Effect.provideService(References.MinimumLogLevel, "Error"),
      Effect.flatMap((context) => Ref.set(client, Context.get(context, Redis.Redis))),
      Effect.tapCause((cause) =>
        Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("shared state: the Redis client could not be made", cause)
      ),
      Effect.forkScoped
    )
    // Starting on Redis is the normal case and is not logged; starting without it is.
    yield* Fiber.await(connecting).pipe(Effect.timeoutOption(options.connectWait ?? "1 second"))
    if (yield* answers) {
      yield* Ref.update(connection, (c) => step(c, "reached"))
    } else {
      yield* Effect.logWarning("shared state: Redis unreachable at start, serving from this instance's memory until it is back").pipe(
        Effect.annotateLogs({ prefix })
      )
    }
    yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(options.retryEvery ?? "1 second")))

    const fallback = <S>(makeStore: Effect.Effect<S>) =>
      Effect.map(SynchronizedRef.make<readonly [number, S] | undefined>(undefined), (cell) =>
        Effect.flatMap(Ref.get(connection), ({ outage }) =>
          SynchronizedRef.modifyEffect(cell, (held) =>
            held !== undefined && held[0] === outage
              ? Effect.succeed([held[1], held] as const)
              : Effect.map(makeStore, (store) => [store, [outage, store] as const] as const))))

    return {
      prefix,
      status: Effect.map(Ref.get(connection), (c) => c.status),
      run: (remote, local) =>
        Effect.gen(function*() {
          const redis = yield* Ref.get(client)
          if (redis === undefined || (yield* Ref.get(connection)).status === "local") return yield* local
          return yield* remote(redis).pipe(
            Effect.timeout(timeout),
            Effect.catch((error) => Effect.andThen(transition("lost", error), local))
          )
        }),
      fallback
    }
  })

export const layer = (options: Options): Layer.Layer<SharedState> => Layer.effect(SharedState, make(options))
