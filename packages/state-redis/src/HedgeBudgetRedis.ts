/**
 * The hedge budget in Redis, shared by every instance: one script call per `deposit` or `withdraw`,
 * running the same slot window and floor as `@switchyard/routing`'s pure `deposit`/`withdraw` (same
 * arithmetic in the same order, so both grant the same hedges for the same calls at the same times).
 * Times are the caller's Clock, as in memory. The key expires once it could only hold the initial
 * state again (the window passed and the floor refilled), so an idle gateway leaves nothing behind.
 */
import { Clock, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { HedgeBudget } from "@switchyard/routing"
import { SharedState } from "./SharedState.ts"

/** A number as Lua reads it back exactly. */
const exact = (n: number): string => String(n)

const step = Redis.script(
  (key: string, operation: "deposit" | "withdraw", now: number, settings: HedgeBudget.Settings, ttlMillis: number) => [
    key,
    operation,
    exact(now),
    exact(settings.ratio),
    exact(settings.minPerSecond),
    exact(settings.burst),
    exact(settings.slotMillis),
    exact(HedgeBudget.SLOTS),
    exact(HedgeBudget.EPSILON),
    exact(ttlMillis)
  ],
  {
    numberOfKeys: 1,
    lua: `
local now, ratio, minPerSecond, burst, slotMillis, slots, epsilon =
  tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local slot = math.floor(now / slotMillis)
local stored = redis.call('HMGET', KEYS[1], 'slot', 'floor', 'floorAt', 'requests', 'hedges')
local newest, floor, floorAt, requests, hedges = slot, burst, now, {}, {}
if stored[1] then
  newest, floor, floorAt = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3])
  for n in string.gmatch(stored[4], '[^,]+') do requests[#requests + 1] = tonumber(n) end
  for n in string.gmatch(stored[5], '[^,]+') do hedges[#hedges + 1] = tonumber(n) end
else
  for i = 1, slots do requests[i] = 0; hedges[i] = 0 end
end
-- advance: slide the window to now, refill the floor
local shift = math.min(slots, math.max(0, slot - newest))
for i = 1, slots do
  requests[i] = (i + shift <= slots) and requests[i + shift] or 0
  hedges[i] = (i + shift <= slots) and hedges[i + shift] or 0
end
floor = math.min(burst, floor + (math.max(0, now - floorAt) * minPerSecond) / 1000)
floorAt = math.max(now, floorAt)
newest = math.max(slot, newest)
local granted = 0
if ARGV[1] == 'deposit' then
  requests[slots] = requests[slots] + 1
else
  local seen, hedged = 0, 0
  for i = 1, slots do seen = seen + requests[i]; hedged = hedged + hedges[i] end
  if ratio * seen - hedged >= 1 - epsilon then
    hedges[slots] = hedges[slots] + 1
    granted = 1
  elseif floor >= 1 - epsilon then
    floor = math.max(0, floor - 1)
    granted = 1
  end
end
redis.call('HSET', KEYS[1], 'slot', string.format('%.17g', newest), 'floor', string.format('%.17g', floor),
  'floorAt', string.format('%.17g', floorAt), 'requests', table.concat(requests, ','), 'hedges', table.concat(hedges, ','))
redis.call('PEXPIRE', KEYS[1], ARGV[9])
return granted`
  }
).withReturnType<number>()

/** Once idle this long, the budget is the initial one again: the window slid past, the floor refilled. */
const idleMillis = (settings: HedgeBudget.Settings): number =>
  Math.ceil(Math.max(
    settings.slotMillis * HedgeBudget.SLOTS,
    settings.minPerSecond === 0 ? 0 : (settings.burst * 1000) / settings.minPerSecond
  )) + 1000

export const make = (options: HedgeBudget.Options = {}): Effect.Effect<HedgeBudget.HedgeBudgetShape, never, SharedState> =>
  Effect.gen(function*() {
    const shared = yield* SharedState
    const local = yield* shared.fallback(HedgeBudget.makeMemory(options))
    const settings = HedgeBudget.settings(options)
    const key = `${shared.prefix}hedge`
    const call = (operation: "deposit" | "withdraw", now: number) => (redis: Redis.Redis["Service"]) =>
      redis.eval(step)(key, operation, now, settings, idleMillis(settings))
    return {
      deposit: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        shared.run((redis) => Effect.asVoid(call("deposit", now)(redis)), Effect.flatMap(local, (budget) => budget.deposit))),
      withdraw: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        shared.run(
          (redis) => Effect.map(call("withdraw", now)(redis), (granted) => granted === 1),
          Effect.flatMap(local, (budget) => budget.withdraw)
        ))
    }
  })

/** The hedge budget in Redis (through `SharedState`), shared by every instance with the same prefix. */
export const layer = (options: HedgeBudget.Options = {}): Layer.Layer<HedgeBudget.HedgeBudget, never, SharedState> =>
  Layer.effect(HedgeBudget.HedgeBudget, make(options))
