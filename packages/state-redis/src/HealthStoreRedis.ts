/**
 * Route breaker states in Redis, one JSON value per route key, so every instance sees a breaker
 * opened by any of them and only one instance gets the half-open probe.
 *
 * `modify` is an optimistic read-modify-write: `GET`, apply the pure transition in JavaScript, then
 * a compare-and-set script writes the new state only if the key still holds what was read, else
 * returns what it holds now and the transition is applied again. This is `WATCH`/`MULTI`/`EXEC`
 * without the dedicated connection `WATCH` needs (the shared, multiplexed one serves), and the
 * breaker logic stays in one place (`@switchyard/routing`'s pure `admit`/`record`), where a Lua copy
 * of it would have to be kept in step. Most calls change nothing (an admission to a closed circuit,
 * a success on one): those are one `GET` and no write. The transitions passed in must be pure: a
 * conflict runs them again.
 *
 * A value that does not decode (written by another version) counts as the initial state and is
 * replaced by the next write. A key expires a day after its last write (`TTL_MS`): route keys come
 * from the models clients ask for, and a state a day old is a closed breaker's anyway.
 */
import { Effect, Layer, Option, Schema } from "effect"
import { Redis } from "effect/persistence"
import { HealthStore } from "@switchyard/routing"
import { SharedState } from "./SharedState.ts"

const StoredState = Schema.fromJsonString(Schema.Union([
  Schema.Struct({
    _tag: Schema.tag("Closed"),
    generation: Schema.Number,
    consecutive: Schema.Number,
    recent: Schema.Array(Schema.Boolean),
    coolingUntil: Schema.optionalKey(Schema.Number)
  }),
  Schema.Struct({
    _tag: Schema.tag("Open"),
    generation: Schema.Number,
    reopensAt: Schema.Number,
    reason: Schema.optionalKey(Schema.String)
  }),
  Schema.Struct({ _tag: Schema.tag("HalfOpen"), generation: Schema.Number, probeSince: Schema.optionalKey(Schema.Number) })
]))

const decodeStored = Schema.decodeUnknownOption(StoredState)

/** The state a stored value holds (`null`: none stored). */
const decode = (stored: string | null): HealthStore.BreakerState => {
  const state = stored === null ? Option.none() : decodeStored(stored)
  if (Option.isNone(state)) return HealthStore.initial
  // JSON drops an undefined `probeSince`; the state type has the key.
  return state.value._tag === "HalfOpen"
    ? { _tag: "HalfOpen", generation: state.value.generation, probeSince: state.value.probeSince }
    : state.value
}

const encode = (state: HealthStore.BreakerState): string => JSON.stringify(state)

/** How long a route's state is kept after its last write. */
export const TTL_MS = 24 * 60 * 60 * 1000

/**
 * Writes ARGV[2] (to expire in ARGV[3] ms) if the key holds ARGV[1] (`""`: nothing) and returns
 * nil; else returns what it holds.
 */
const compareAndSet = Redis.script((key: string, expected: string, next: string) => [key, expected, next, String(TTL_MS)], {
  numberOfKeys: 1,
  lua: `
local current = redis.call('GET', KEYS[1]) or ''
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return false
end
return current`
}).withReturnType<string | null>()

export const make: Effect.Effect<HealthStore.HealthStoreShape, never, SharedState> = Effect.gen(function*() {
  const shared = yield* SharedState
  const local = yield* shared.fallback(HealthStore.makeMemory())
  const keyOf = (key: string) => `${shared.prefix}health:${key}`

  const modifyRemote = <A>(redis: Redis.Redis["Service"], key: string, f: (state: HealthStore.BreakerState) => readonly [A, HealthStore.BreakerState]) => {
    const attempt = (stored: string | null): Effect.Effect<A, Redis.RedisError> => {
      const [result, next] = f(decode(stored))
      const written = encode(next)
      if (written === (stored ?? encode(HealthStore.initial))) return Effect.succeed(result)
      return redis.eval(compareAndSet)(keyOf(key), stored ?? "", written).pipe(
        Effect.flatMap((held) => (held === null ? Effect.succeed(result) : attempt(held === "" ? null : held)))
      )
    }
    return Effect.flatMap(redis.send<string | null>("GET", keyOf(key)), attempt)
  }

  return {
    get: (key) =>
      shared.run(
        (redis) => Effect.map(redis.send<string | null>("GET", keyOf(key)), decode),
        Effect.flatMap(local, (store) => store.get(key))
      ),
    modify: (key, f) =>
      shared.run((redis) => modifyRemote(redis, key, f), Effect.flatMap(local, (store) => store.modify(key, f)))
  }
})

/** The breaker states in Redis (through `SharedState`). */
export const layer: Layer.Layer<HealthStore.HealthStore, never, SharedState> = Layer.effect(HealthStore.HealthStore, make)
