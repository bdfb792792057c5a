/**
 * Where budget spend is kept: counters (one per budget, subject and window) holding reservations. The
 * one operation that must be atomic is `reserve`: check every counter and add the hold to all of
 * them, or to none. The memory store does it in one `Ref.modify`; a Redis store would do it in one
 * Lua script (counters as hashes of hold id → amount, rolling windows as sorted sets by time).
 */
import { Context, Effect, Layer, Option, Ref } from "effect"

/** One budget's window for one subject: the unit spend is counted and limited in. */
export interface Counter {
  /** Stable id: the budget, the subject, and the window start for a calendar window. */
  readonly key: string
  /** USD. */
  readonly limit: number
  /** For a rolling window: only holds made within this many ms before `now` count. */
  readonly rollingMs?: number | undefined
  /** For a calendar window: its end (epoch ms), after which the counter can be dropped. */
  readonly expiresAt?: number | undefined
}

/** The counter that refused a reservation, and what it had spent. */
export interface Refusal {
  readonly index: number
  readonly spent: number
}

export interface BudgetStoreShape {
  /**
   * Atomically adds a hold of `amount` (made at `now`) under `id` to every counter, unless one of
   * them would then pass its limit: then nothing is added and the first such counter is returned.
   */
  readonly reserve: (
    id: string,
    counters: ReadonlyArray<Counter>,
    amount: number,
    now: number
  ) => Effect.Effect<Option.Option<Refusal>>
  /** Replaces the amount of hold `id` in the given counters (the actual cost, once known). */
  readonly settle: (id: string, counterKeys: ReadonlyArray<string>, amount: number) => Effect.Effect<void>
  /** Removes hold `id` from the given counters. */
  readonly release: (id: string, counterKeys: ReadonlyArray<string>) => Effect.Effect<void>
  /** What each counter has spent at `now` (settled costs and open reservations). */
  readonly spent: (counters: ReadonlyArray<Counter>, now: number) => Effect.Effect<ReadonlyArray<number>>
}

export class BudgetStore extends Context.Service<BudgetStore, BudgetStoreShape>()("@switchyard/cost/BudgetStore") {}

interface Hold {
  readonly at: number
  readonly amount: number
}

interface Slot {
  readonly expiresAt: number | undefined
  readonly holds: ReadonlyMap<string, Hold>
}

type State = ReadonlyMap<string, Slot>

const spentIn = (slot: Slot | undefined, counter: Counter, now: number): number => {
  if (slot === undefined) return 0
  let sum = 0
  for (const hold of slot.holds.values()) {
    if (counter.rollingMs === undefined || hold.at > now - counter.rollingMs) sum += hold.amount
  }
  return sum
}

/** Drops calendar counters whose window is over and rolling holds too old to count. */
const prune = (state: State, counters: ReadonlyArray<Counter>, now: number): Map<string, Slot> => {
  const next = new Map<string, Slot>()
  for (const [key, slot] of state) if (slot.expiresAt === undefined || slot.expiresAt > now) next.set(key, slot)
  for (const counter of counters) {
    const slot = next.get(counter.key)
    if (slot === undefined || counter.rollingMs === undefined) continue
    const horizon = now - counter.rollingMs
    next.set(counter.key, { ...slot, holds: new Map([...slot.holds].filter(([, hold]) => hold.at > horizon)) })
  }
  return next
}

const updateHold = (
  state: State,
  id: string,
  keys: ReadonlyArray<string>,
  f: (hold: Hold) => Hold | undefined
): State => {
  const next = new Map(state)
  for (const key of keys) {
    const slot = next.get(key)
    const hold = slot?.holds.get(id)
    if (slot === undefined || hold === undefined) continue
    const holds = new Map(slot.holds)
    const updated = f(hold)
    if (updated === undefined) holds.delete(id)
    else holds.set(id, updated)
    next.set(key, { ...slot, holds })
  }
  return next
}

/** A store in memory, for one process. */
export const makeMemory: Effect.Effect<BudgetStoreShape> = Effect.gen(function*() {
  const state = yield* Ref.make<State>(new Map())
  return {
    reserve: (id, counters, amount, now) =>
      Ref.modify(state, (current): readonly [Option.Option<Refusal>, State] => {
        const pruned = prune(current, counters, now)
        for (const [index, counter] of counters.entries()) {
          const spent = spentIn(pruned.get(counter.key), counter, now)
          if (spent + amount > counter.limit) return [Option.some({ index, spent }), pruned]
        }
        for (const counter of counters) {
          const slot = pruned.get(counter.key)
          const holds = new Map(slot?.holds ?? [])
          holds.set(id, { at: now, amount })
          pruned.set(counter.key, { expiresAt: counter.expiresAt, holds })
        }
        return [Option.none(), pruned]
      }),
    settle: (id, keys, amount) =>
      Ref.update(state, (current) => updateHold(current, id, keys, (hold) => ({ ...hold, amount }))),
    release: (id, keys) => Ref.update(state, (current) => updateHold(current, id, keys, () => undefined)),
    spent: (counters, now) =>
      Effect.map(Ref.get(state), (current) =>
        counters.map((counter) => spentIn(current.get(counter.key), counter, now)))
  }
})

/** The memory store. */
export const layerMemory: Layer.Layer<BudgetStore> = Layer.effect(BudgetStore, makeMemory)
