/**
 * Budget counters in Redis, shared by every instance. A counter is a hash of hold id → amount
 * (`<prefix>budget:<counter>`), its running total (`…:total`) and, for a rolling window, a sorted
 * set of hold ids by the time they were made (`…:at`). `reserve` is one script: it drops rolling
 * holds too old to count, checks every counter's total, and adds the hold to all of them or to none;
 * its cost does not grow with the holds a counter has (dropping old ones is paid once per hold). A
 * calendar counter's keys expire at the end of its window (`PEXPIREAT`); a rolling counter's when its
 * newest hold has left the window. Amounts travel as decimal strings that parse back to the same
 * numbers; totals may differ from the memory store's sums in the last digits.
 */
import { Effect, Layer, Option } from "effect"
import { Redis } from "effect/persistence"
import * as BudgetStore from "@switchyard/cost/BudgetStore"
import { SharedState } from "./SharedState.ts"

/** Each counter's three keys, in this order: its holds, their times, its total. */
const keysOf = (prefix: string, counterKeys: ReadonlyArray<string>): ReadonlyArray<string> =>
  counterKeys.flatMap((key) => [`${prefix}budget:${key}`, `${prefix}budget:${key}:at`, `${prefix}budget:${key}:total`])

/** Per counter: its limit, its rolling window (`""`: none) and its end (`""`: none). */
const counterArgs = (counters: ReadonlyArray<BudgetStore.Counter>): ReadonlyArray<string> =>
  counters.flatMap((c) => [String(c.limit), c.rollingMs === undefined ? "" : String(c.rollingMs), c.expiresAt === undefined ? "" : String(c.expiresAt)])

/**
 * Lua shared by the scripts: `counter(i)` is the i-th counter's keys; `chunks` calls `f` with at
 * most 1000 of `list` at a time (`unpack` has a limit); `add` adds a decimal amount to a total with
 * `INCRBYFLOAT`, so totals are kept in Redis's long doubles from the amounts as written; `drop`
 * removes holds and takes their amounts off the total (which goes with the last hold); `total` reads one.
 */
const helpersLua = `
local function counter(i) return KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i] end
local function chunks(list, f)
  for i = 1, #list, 1000 do f(unpack(list, i, math.min(i + 999, #list))) end
end
local function add(total, amount) redis.call('INCRBYFLOAT', total, amount) end
local function negate(amount)
  if string.sub(amount, 1, 1) == '-' then return string.sub(amount, 2) end
  return '-' .. amount
end
local function drop(holds, at, total, ids)
  chunks(ids, function(...)
    for _, amount in ipairs(redis.call('HMGET', holds, ...)) do
      if amount then add(total, negate(amount)) end
    end
    redis.call('HDEL', holds, ...)
    redis.call('ZREM', at, ...)
  end)
  if redis.call('HLEN', holds) == 0 then redis.call('DEL', total) end
end
local function total(key) return tonumber(redis.call('GET', key) or '0') end
`

/** KEYS: three per counter; ARGV: id, amount, now, then limit, rolling, expiresAt per counter. */
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
    lua: `${helpersLua}
local id, amount, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local n = #KEYS / 3
for i = 1, n do
  local holds, at, sum = counter(i)
  local limit, rolling = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if rolling then drop(holds, at, sum, redis.call('ZRANGEBYSCORE', at, '-inf', now - rolling)) end
  local spent = total(sum)
  if spent + amount > limit then return {i - 1, string.format('%.17g', spent)} end
end
for i = 1, n do
  local holds, at, sum = counter(i)
  local rolling, expiresAt = tonumber(ARGV[3 * i + 2]), ARGV[3 * i + 3]
  local previous = redis.call('HGET', holds, id)
  if previous then add(sum, negate(previous)) end
  redis.call('HSET', holds, id, ARGV[2])
  add(sum, ARGV[2])
  if rolling then
    redis.call('ZADD', at, now, id)
    local ends = string.format('%.17g', now + rolling)
    redis.call('PEXPIREAT', holds, ends)
    redis.call('PEXPIREAT', at, ends)
    redis.call('PEXPIREAT', sum, ends)
  end
  if expiresAt ~= '' then
    redis.call('PEXPIREAT', holds, expiresAt)
    redis.call('PEXPIREAT', sum, expiresAt)
  end
end
return false`
  }
).withReturnType<readonly [number, string] | null>()

/** KEYS: three per counter; ARGV: now, then limit, rolling, expiresAt per counter. Spent per counter. */
const spentScript = Redis.script(
  (keys: ReadonlyArray<string>, now: number, counters: ReadonlyArray<string>) => [...keys, String(now), ...counters],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `${helpersLua}
local now = tonumber(ARGV[1])
local spent = {}
for i = 1, #KEYS / 3 do
  local holds, at, sum = counter(i)
  local rolling = tonumber(ARGV[3 * i])
  local value = total(sum)
  if rolling then
    -- holds that left the window but are not dropped yet (reserve drops them)
    chunks(redis.call('ZRANGEBYSCORE', at, '-inf', now - rolling), function(...)
      for _, amount in ipairs(redis.call('HMGET', holds, ...)) do
        if amount then value = value - tonumber(amount) end
      end
    end)
  end
  spent[i] = string.format('%.17g', value)
end
return spent`
  }
).withReturnType<ReadonlyArray<string>>()

/** KEYS: three per counter; ARGV: id, amount (`""`: release). Only holds the counter has change. */
const updateScript = Redis.script(
  (keys: ReadonlyArray<string>, id: string, amount: number | undefined) => [...keys, id, amount === undefined ? "" : String(amount)],
  {
    numberOfKeys: (keys) => keys.length,
    lua: `${helpersLua}
for i = 1, #KEYS / 3 do
  local holds, at, sum = counter(i)
  local previous = redis.call('HGET', holds, ARGV[1])
  if previous and ARGV[2] == '' then
    drop(holds, at, sum, {ARGV[1]})
  elseif previous then
    redis.call('HSET', holds, ARGV[1], ARGV[2])
    add(sum, negate(previous))
    add(sum, ARGV[2])
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
