/**
 * Rate-limit counters in Redis, shared by every instance, with the memory store's semantics
 * (`@switchyard/cost`'s pure `acquire`/`settle`): a sliding window, held takes counted until
 * settled, the same refusal and the same Retry-After. A counter is four keys: a hash of take id →
 * amount (`<prefix>ratelimit:<counter>`), the times of its settled or unheld takes (`…:at`, a
 * sorted set), the times its held takes were made (`…:held`) and its running total (`…:total`).
 * `acquire` is one script: it drops the takes that left the window, checks every counter's total,
 * and adds the take to all of them or to none; `settle` is one script too.
 *
 * One difference from memory, where a process that dies takes its counters along: a held take not
 * settled within `holdLease` (its instance died mid-request) is dropped, so it cannot hold room for
 * ever. Every key expires once idle for a window or a lease, whichever is longer.
 */
import { Duration, Effect, Layer, Option } from "effect"
import { Redis } from "effect/persistence"
import * as RateLimitStore from "@switchyard/cost/RateLimitStore"
import { SharedState } from "./SharedState.ts"

export interface Options {
  /**
   * How long a held take may wait for its settlement before it is dropped (default 10 minutes);
   * keep it above the longest window.
   */
  readonly holdLease?: Duration.Input | undefined
}

/** Each counter's four keys, in this order: its takes, their times, held takes' times, its total. */
const keysOf = (prefix: string, counterKeys: ReadonlyArray<string>): ReadonlyArray<string> =>
  counterKeys.flatMap((key) => {
    const base = `${prefix}ratelimit:${key}`
    return [base, `${base}:at`, `${base}:held`, `${base}:total`]
  })

/** A number as Lua reads it back exactly, and back from Lua's `%.17g`. */
const exact = (n: number): string => String(n)

/**
 * Lua shared by the scripts: `counter(i)` is the i-th counter's keys; `drop` removes takes and takes
 * their amounts off the total (which goes with the last take); `keep` makes every key live at least
 * `ttl` more ms (it never shortens one).
 */
const helpersLua = `
local function counter(i) return KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i] end
local function fmt(n) return string.format('%.17g', n) end
local function drop(takes, at, held, total, ids)
  for i = 1, #ids, 1000 do
    local some = {unpack(ids, i, math.min(i + 999, #ids))}
    for _, amount in ipairs(redis.call('HMGET', takes, unpack(some))) do
      if amount then redis.call('INCRBYFLOAT', total, -tonumber(amount)) end
    end
    redis.call('HDEL', takes, unpack(some))
    redis.call('ZREM', at, unpack(some))
    redis.call('ZREM', held, unpack(some))
  end
  if redis.call('HLEN', takes) == 0 then redis.call('DEL', total) end
end
local function keep(i, ttl)
  for _, key in ipairs({counter(i)}) do
    if redis.call('PEXPIRE', key, ttl, 'GT') == 0 then redis.call('PEXPIRE', key, ttl, 'NX') end
  end
end
`

/**
 * KEYS: four per counter; ARGV: id, now, lease, ttl, then amount, held (`1`/`0`), limit, window per
 * take. Returns nil, or the refusing counter's index, what it counted and its Retry-After (`""`: never).
 */
const acquireScript = Redis.script(
  (keys: ReadonlyArray<string>, id: string, now: number, lease: number, ttl: number, takes: ReadonlyArray<RateLimitStore.Take>) => [
    ...keys,
    id,
    exact(now),
    exact(lease),
    exact(ttl),
    ...takes.flatMap((t) => [exact(t.amount), t.held ? "1" : "0", exact(t.counter.limit), exact(t.counter.windowMs)])
  ],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `${helpersLua}
local id, now, lease, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local function take(i)
  local base = 4 * i
  return tonumber(ARGV[base + 1]), ARGV[base + 2] == '1', tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
end
-- when the amount fits: once enough unheld takes, oldest first, left the window (held ones only when settled)
local function retryAfter(takes, at, used, amount, limit, window)
  if amount > limit then return '' end
  local passing = redis.call('ZRANGE', at, 0, -1, 'WITHSCORES')
  for j = 1, #passing, 2 do
    used = used - tonumber(redis.call('HGET', takes, passing[j]))
    if used + amount <= limit then return fmt(math.max(1, tonumber(passing[j + 1]) + window - now)) end
  end
  return fmt(window)
end
local n = #KEYS / 4
for i = 1, n do
  local takes, at, held, total = counter(i)
  local amount, _, limit, window = take(i)
  drop(takes, at, held, total, redis.call('ZRANGEBYSCORE', at, '-inf', now - window))
  drop(takes, at, held, total, redis.call('ZRANGEBYSCORE', held, '-inf', now - lease))
  local used = tonumber(redis.call('GET', total) or '0')
  if used + amount > limit then return {i - 1, fmt(used), retryAfter(takes, at, used, amount, limit, window)} end
end
for i = 1, n do
  local takes, at, held, total = counter(i)
  local amount, isHeld = take(i)
  redis.call('HSET', takes, id, fmt(amount))
  redis.call('ZADD', isHeld and held or at, now, id)
  redis.call('INCRBYFLOAT', total, amount)
  keep(i, ttl)
end
return false`
  }
).withReturnType<readonly [number, string, string] | null>()

/** KEYS: four per counter; ARGV: id, amount, now, ttl. Only takes the counter still has change. */
const settleScript = Redis.script(
  (keys: ReadonlyArray<string>, id: string, amount: number, now: number, ttl: number) => [...keys, id, exact(amount), exact(now), exact(ttl)],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `${helpersLua}
local id, amount, now, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
for i = 1, #KEYS / 4 do
  local takes, at, held, total = counter(i)
  local previous = redis.call('HGET', takes, id)
  if previous then
    redis.call('HSET', takes, id, fmt(amount))
    redis.call('INCRBYFLOAT', total, amount - tonumber(previous))
    redis.call('ZREM', held, id)
    redis.call('ZADD', at, now, id)
    keep(i, ttl)
  end
end
return false`
  }
)

/** The longest a counter's keys can hold a take that still counts, plus a margin. */
const idleMillis = (windowMs: number, leaseMs: number): number => Math.ceil(Math.max(windowMs, leaseMs)) + 1000

export const make = (options: Options = {}): Effect.Effect<RateLimitStore.RateLimitStoreShape, never, SharedState> =>
  Effect.gen(function*() {
    const shared = yield* SharedState
    const local = yield* shared.fallback(RateLimitStore.makeMemory)
    const leaseMs = Duration.toMillis(Duration.fromInputUnsafe(options.holdLease ?? "10 minutes"))
    const keys = (counterKeys: ReadonlyArray<string>) => keysOf(shared.prefix, counterKeys)
    return {
      acquire: (id, takes, now) =>
        shared.run(
          (redis) =>
            Effect.map(
              redis.eval(acquireScript)(
                keys(takes.map((t) => t.counter.key)),
                id,
                now,
                leaseMs,
                idleMillis(Math.max(...takes.map((t) => t.counter.windowMs)), leaseMs),
                takes
              ),
              (refused) =>
                Option.map(Option.fromNullishOr(refused), ([index, used, retryAfterMs]) => ({
                  index,
                  used: Number(used),
                  retryAfterMs: retryAfterMs === "" ? undefined : Number(retryAfterMs)
                }))
            ),
          Effect.flatMap(local, (store) => store.acquire(id, takes, now))
        ),
      // The window is not known here: the keys live for the lease (or longer, from `acquire`).
      settle: (id, counterKeys, amount, now) =>
        shared.run(
          (redis) => Effect.asVoid(redis.eval(settleScript)(keys(counterKeys), id, amount, now, idleMillis(0, leaseMs))),
          Effect.flatMap(local, (store) => store.settle(id, counterKeys, amount, now))
        )
    }
  })

/** The rate-limit counters in Redis (through `SharedState`), shared by every instance with the same prefix. */
export const layer = (options: Options = {}): Layer.Layer<RateLimitStore.RateLimitStore, never, SharedState> =>
  Layer.effect(RateLimitStore.RateLimitStore, make(options))
