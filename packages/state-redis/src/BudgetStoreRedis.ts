/**
 * Budget counters in Redis, shared by every instance. A counter is a hash of hold id → amount
 * (`<prefix>budget:<counter>`) and, for a rolling window, a sorted set of hold ids by the time they
 * were made (`…:at`). `reserve` is one script: it drops rolling holds too old to count, checks every
 * counter, and adds the hold to all of them or to none. A calendar counter's keys expire at the end
 * of its window (`PEXPIREAT`); a rolling counter's when its newest hold has left the window.
 * Amounts travel as decimal strings that parse back to the same numbers.
 */
import { Effect, Layer, Option } from "effect"
import { Redis } from "effect/persistence"
import * as BudgetStore from "@switchyard/cost/BudgetStore"
import { SharedState } from "./SharedState.ts"

/** The hash and the sorted set of each counter key, in that order. */
const keysOf = (prefix: string, counterKeys: ReadonlyArray<string>): ReadonlyArray<string> =>
  counterKeys.flatMap((key) => [`${prefix}budget:${key}`, `${prefix}budget:${key}:at`])

/** Per counter: its limit, its rolling window (`""`: none) and its end (`""`: none). */
const counterArgs = (counters: ReadonlyArray<BudgetStore.Counter>): ReadonlyArray<string> =>
  counters.flatMap((c) => [String(c.limit), c.rollingMs === undefined ? "" : String(c.rollingMs), c.expiresAt === undefined ? "" : String(c.expiresAt)])

/** Lua helpers: `chunks` calls `f` with at most 1000 of `list` at a time (`unpack` has a limit); `sum` adds amounts. */
const helpersLua = `
local function chunks(list, f)
  for i = 1, #list, 1000 do f(unpack(list, i, math.min(i + 999, #list))) end
end
local function sum(values)
  local total = 0
  for _, v in ipairs(values) do if v then total = total + tonumber(v) end end
  return total
end
`

/** Lua: drops the holds of a rolling counter made at or before `horizon`. */
const pruneLua = `
local function prune(holds, at, horizon)
  local old = redis.call('ZRANGEBYSCORE', at, '-inf', horizon)
  if #old > 0 then
    chunks(old, function(...) redis.call('HDEL', holds, ...) end)
    redis.call('ZREMRANGEBYSCORE', at, '-inf', horizon)
  end
end
`

/** KEYS: hash and set per counter; ARGV: id, amount, now, then limit, rolling, expiresAt per counter. */
const reserveScript = Redis.script(
  (keys: ReadonlyArray<string>, id: string, amount: number, now: number, counters: ReadonlyArray<string>) => [
    ...keys,
    id,
    String(amount),
    String(now),
    ...counters
  ],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `${helpersLua}${pruneLua}
local id, amount, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local n = #KEYS / 2
for i = 1, n do
  local holds, at = KEYS[2 * i - 1], KEYS[2 * i]
  local limit, rolling = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if rolling then prune(holds, at, now - rolling) end
  local spent = sum(redis.call('HVALS', holds))
  if spent + amount > limit then return {i - 1, string.format('%.17g', spent)} end
end
for i = 1, n do
  local holds, at = KEYS[2 * i - 1], KEYS[2 * i]
  local rolling, expiresAt = tonumber(ARGV[3 * i + 2]), ARGV[3 * i + 3]
  redis.call('HSET', holds, id, ARGV[2])
  if rolling then
    redis.call('ZADD', at, now, id)
    redis.call('PEXPIREAT', holds, string.format('%.17g', now + rolling))
    redis.call('PEXPIREAT', at, string.format('%.17g', now + rolling))
  end
  if expiresAt ~= '' then redis.call('PEXPIREAT', holds, expiresAt) end
end
return false`
  }
).withReturnType<readonly [number, string] | null>()

/** KEYS: hash and set per counter; ARGV: now, then limit, rolling, expiresAt per counter. Spent per counter. */
const spentScript = Redis.script(
  (keys: ReadonlyArray<string>, now: number, counters: ReadonlyArray<string>) => [...keys, String(now), ...counters],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `${helpersLua}
local now = tonumber(ARGV[1])
local spent = {}
for i = 1, #KEYS / 2 do
  local holds, at = KEYS[2 * i - 1], KEYS[2 * i]
  local rolling = tonumber(ARGV[3 * i])
  local total = 0
  if rolling then
    local ids = redis.call('ZRANGEBYSCORE', at, '(' .. string.format('%.17g', now - rolling), '+inf')
    chunks(ids, function(...) total = total + sum(redis.call('HMGET', holds, ...)) end)
  else
    total = sum(redis.call('HVALS', holds))
  end
  spent[i] = string.format('%.17g', total)
end
return spent`
  }
).withReturnType<ReadonlyArray<string>>()

/** KEYS: hash and set per counter; ARGV: id, amount (`""`: release). */
const updateScript = Redis.script(
  (keys: ReadonlyArray<string>, id: string, amount: number | undefined) => [...keys, id, amount === undefined ? "" : String(amount)],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `
for i = 1, #KEYS / 2 do
  local holds, at = KEYS[2 * i - 1], KEYS[2 * i]
  if ARGV[2] == '' then
    redis.call('HDEL', holds, ARGV[1])
    redis.call('ZREM', at, ARGV[1])
  elseif redis.call('HEXISTS', holds, ARGV[1]) == 1 then
    redis.call('HSET', holds, ARGV[1], ARGV[2])
  end
end
return false`
  }
)

export const make: Effect.Effect<BudgetStore.BudgetStoreShape, never, SharedState> = Effect.gen(function*() {
  const shared = yield* SharedState
  const local = yield* shared.fallback(BudgetStore.makeMemory)
  const keys = (counterKeys: ReadonlyArray<string>) => keysOf(shared.prefix, counterKeys)
  const update = (id: string, counterKeys: ReadonlyArray<string>, amount: number | undefined) => (redis: Redis.Redis["Service"]) =>
    redis.eval(updateScript)(keys(counterKeys), id, amount)
  return {
    reserve: (id, counters, amount, now) =>
      shared.run(
        (redis) =>
          Effect.map(
            redis.eval(reserveScript)(keys(counters.map((c) => c.key)), id, amount, now, counterArgs(counters)),
            (refused) => Option.map(Option.fromNullishOr(refused), ([index, spent]) => ({ index, spent: Number(spent) }))
          ),
        Effect.flatMap(local, (store) => store.reserve(id, counters, amount, now))
      ),
    settle: (id, counterKeys, amount) =>
      shared.run(update(id, counterKeys, amount), Effect.flatMap(local, (store) => store.settle(id, counterKeys, amount))),
    release: (id, counterKeys) =>
      shared.run(update(id, counterKeys, undefined), Effect.flatMap(local, (store) => store.release(id, counterKeys))),
    spent: (counters, now) =>
      shared.run(
        (redis) =>
          Effect.map(
            redis.eval(spentScript)(keys(counters.map((c) => c.key)), now, counterArgs(counters)),
            (spent) => spent.map(Number)
          ),
        Effect.flatMap(local, (store) => store.spent(counters, now))
      )
  }
})

/** The budget counters in Redis (through `SharedState`), shared by every instance with the same prefix. */
export const layer: Layer.Layer<BudgetStore.BudgetStore, never, SharedState> = Layer.effect(BudgetStore.BudgetStore, make)
