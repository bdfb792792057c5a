/**
 * Latency statistics pooled in Redis (`LatencyStats.makePooled` over a Redis `Pool`): every instance
 * keeps its own histograms, pushes what it observed each second and reads a merged copy of every
 * instance's last `window` (default 5 minutes) of observations, refreshed each second. Requests
 * never wait on Redis; while it is unreachable each instance reads its own histograms.
 *
 * In Redis, the observations of a route key and kind in one time slot (a tenth of the window) are a
 * hash bucket → count, `<prefix>latency:<kind>:<key>:<slot>`, expiring once the slot left the
 * window; `<prefix>latency:routes` is a sorted set of the route keys and kinds by their last push.
 * A push is one script (`HINCRBY` per bucket); a pull is a `ZREVRANGEBYSCORE` and one script summing
 * the window's slots, each weighted by its age when a half-life is set. The merged copy holds at most
 * `maxRoutes` route keys (default 4,096), those pushed last. Observations an instance
 * makes while Redis is unreachable stay in its own histograms only.
 */
import { Duration, Effect, Layer, Option, type Scope } from "effect"
import { Redis } from "effect/persistence"
import { LatencyStats } from "@switchyard/routing"
import { SharedState } from "./SharedState.ts"

export interface Options extends LatencyStats.PooledOptions {
  /** How far back the merged copy reaches (default 5 minutes). */
  readonly window?: Duration.Input | undefined
}

/** A route key and kind as stored: `<kind>:<key>` (a kind has no colon; a key may). */
const idOf = (counts: { readonly key: string; readonly kind: LatencyStats.Kind }): string => `${counts.kind}:${counts.key}`

const parseId = (id: string): { readonly key: string; readonly kind: LatencyStats.Kind } => {
  const colon = id.indexOf(":")
  return { kind: id.slice(0, colon) as LatencyStats.Kind, key: id.slice(colon + 1) }
}

/** KEYS: the routes set, then one slot hash per route; ARGV: now, ttl, horizon, then id, n and n bucket/count pairs per route. */
const pushScript = Redis.script(
  (keys: ReadonlyArray<string>, now: number, ttl: number, horizon: number, counts: ReadonlyArray<LatencyStats.Counts>) => [
    ...keys,
    String(now),
    String(ttl),
    String(horizon),
    ...counts.flatMap((c) => [idOf(c), String(c.buckets.length), ...c.buckets.flatMap(([bucket, count]) => [String(bucket), String(count)])])
  ],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `
local now, ttl, horizon = ARGV[1], ARGV[2], ARGV[3]
local a = 4
for r = 2, #KEYS do
  local id, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  for _ = 1, n do
    redis.call('HINCRBY', KEYS[r], ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  redis.call('PEXPIRE', KEYS[r], ttl)
  redis.call('ZADD', KEYS[1], now, id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', horizon)
redis.call('PEXPIRE', KEYS[1], ttl)
return false`
  }
)

/** KEYS: per route, its slot hashes (the same slots for each); ARGV: each slot's weight. Per route: bucket, weight, ... */
const pullScript = Redis.script(
  (keys: ReadonlyArray<string>, weights: ReadonlyArray<number>) => [...keys, ...weights.map(String)],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `
local slots = #ARGV
local result = {}
for r = 1, #KEYS / slots do
  local sums, order = {}, {}
  for s = 1, slots do
    local weight = tonumber(ARGV[s])
    local flat = redis.call('HGETALL', KEYS[(r - 1) * slots + s])
    for j = 1, #flat, 2 do
      local bucket = flat[j]
      if sums[bucket] == nil then
        sums[bucket] = 0
        order[#order + 1] = bucket
      end
      sums[bucket] = sums[bucket] + weight * tonumber(flat[j + 1])
    end
  end
  local out = {}
  for _, bucket in ipairs(order) do
    out[#out + 1] = bucket
    out[#out + 1] = string.format('%.17g', sums[bucket])
  end
  result[r] = out
end
return result`
  }
).withReturnType<ReadonlyArray<ReadonlyArray<string>>>()

/** Pairs from a flat `[a, b, a, b, ...]` list of numbers. */
const pairs = (flat: ReadonlyArray<string>): ReadonlyArray<readonly [number, number]> =>
  Array.from({ length: flat.length / 2 }, (_, i) => [Number(flat[2 * i]), Number(flat[2 * i + 1])] as const)

export const make = (options: Options = {}): Effect.Effect<LatencyStats.LatencyStatsShape, never, SharedState | Scope.Scope> =>
  Effect.gen(function*() {
    const shared = yield* SharedState
    const windowMs = Duration.toMillis(Duration.fromInputUnsafe(options.window ?? "5 minutes"))
    const slotMs = Math.max(1, Math.ceil(windowMs / 10))
    const halfLifeMs = options.halfLife === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(options.halfLife))
    const ttl = windowMs + slotMs + 1000
    /** The merged copy holds the route keys pushed last, as many as one instance keeps (two kinds each). */
    const maxIds = 2 * (options.maxRoutes ?? LatencyStats.defaultMaxRoutes)
    const routes = `${shared.prefix}latency:routes`
    const slotKey = (id: string, slot: number) => `${shared.prefix}latency:${id}:${slot}`
    /** A slot's weight at `now`: 1, or halved every half-life since its middle. */
    const weight = (slot: number, now: number) =>
      halfLifeMs === undefined ? 1 : Math.pow(0.5, Math.max(0, now - (slot + 0.5) * slotMs) / halfLifeMs)

    const pull = (redis: Redis.Redis["Service"], now: number) =>
      Effect.gen(function*() {
        const ids = yield* redis.send<ReadonlyArray<string>>("ZREVRANGEBYSCORE", routes, "+inf", String(now - windowMs), "LIMIT", "0", String(maxIds))
        if (ids.length === 0) return []
        const first = Math.floor((now - windowMs) / slotMs)
        const slots = Array.from({ length: Math.floor(now / slotMs) - first + 1 }, (_, i) => first + i)
        const sums = yield* redis.eval(pullScript)(
          ids.flatMap((id) => slots.map((slot) => slotKey(id, slot))),
          slots.map((slot) => weight(slot, now))
        )
        return ids.map((id, i): LatencyStats.Counts => ({ ...parseId(id), buckets: pairs(sums[i]!) }))
      })

    const pool: LatencyStats.Pool = {
      push: (counts, now) =>
        shared.run(
          (redis) =>
            Effect.asVoid(redis.eval(pushScript)(
              [routes, ...counts.map((c) => slotKey(idOf(c), Math.floor(now / slotMs)))],
              now,
              ttl,
              now - windowMs,
              counts
            )),
          Effect.void
        ),
      pull: (now) => shared.run((redis) => Effect.map(pull(redis, now), Option.some), Effect.succeed(Option.none()))
    }
    return yield* LatencyStats.makePooled(pool, options)
  })

/** Latency statistics pooled in Redis (through `SharedState`) with every instance of the same prefix. */
export const layer = (options: Options = {}): Layer.Layer<LatencyStats.LatencyStats, never, SharedState> =>
  Layer.effect(LatencyStats.LatencyStats, make(options))
