/**
 * Where rate limits are counted: counters (one per limit and subject, e.g. `tpm|key=k1`) holding
 * takes over a sliding window. A request takes 1 from its requests counters (counted for one window
 * from now) and its estimated tokens from its tokens counters (held until settled, then counted for
 * one window from the settlement with the real amount; a take never settled is dropped after
 * `HOLD_LEASE_MS`). The one operation that must be atomic is
 * `acquire`: check every counter and add the take to all of them, or to none. The memory store does
 * it in one `Ref.modify` of the pure `acquire` below; `@switchyard/state-redis`'s
 * `RateLimitStoreRedis` does the same in one Lua script, for every instance sharing a Redis.
 *
 * Why not `effect/persistence`'s `RateLimiter`: its `consume` checks one key at a time (a key's
 * limit and an alias's cannot be taken together or not at all), and a consumed amount cannot be
 * settled afterwards, which a token estimate has to be once the real usage is known.
 */
import { Context, Effect, HashMap, Layer, Option, Ref } from "effect"

/** One limit for one subject. */
export interface Counter {
  /** Stable id: the limit and its subject (`rpm|key=k1`, `tpm|alias=smart`). */
  readonly key: string
  readonly limit: number
  /** The sliding window's length. */
  readonly windowMs: number
}

/** What one request takes from one counter. */
export interface Take {
  readonly counter: Counter
  readonly amount: number
  /** Counted until settled (a token reservation), rather than for one window from now. */
  readonly held: boolean
}

/** The counter that refused an acquisition. */
export interface Refusal {
  /** Its index in the takes. */
  readonly index: number
  /** What it counted at the time. */
  readonly used: number
  /**
   * Ms until enough of its window frees for the take; `undefined` when the take is larger than the
   * limit and can never fit.
   */
  readonly retryAfterMs: number | undefined
}

export interface RateLimitStoreShape {
  /**
   * Atomically adds every take (made at `now`) under `id`, unless one counter would then pass its
   * limit: then nothing is added and the first such counter is returned.
   */
  readonly acquire: (id: string, takes: ReadonlyArray<Take>, now: number) => Effect.Effect<Option.Option<Refusal>>
  /**
   * Replaces the held take `id` in the given counters by `amount`, counted for one window from
   * `now`. A take that is no longer there is left alone.
   */
  readonly settle: (id: string, counterKeys: ReadonlyArray<string>, amount: number, now: number) => Effect.Effect<void>
}

export class RateLimitStore extends Context.Service<RateLimitStore, RateLimitStoreShape>()("@switchyard/cost/RateLimitStore") {}

interface Hold {
  readonly at: number
  readonly amount: number
  readonly held: boolean
}

type Holds = ReadonlyMap<string, Hold>

/**
 * Every counter's takes by id (a persistent map: a step copies the counters it touches, not all of
 * them), and when counters that no longer count anything were last dropped.
 */
export interface State {
  readonly counters: HashMap.HashMap<string, Holds>
  readonly sweptAt: number
}

export const empty: State = { counters: HashMap.empty(), sweptAt: 0 }

/**
 * How long a take that is never settled (its request's process died, or its stream was never
 * written) may hold room: then it is dropped, as the Redis store drops it.
 */
export const HOLD_LEASE_MS = 10 * 60_000

/** How often counters with nothing left in them are dropped (model names are the client's to choose). */
const SWEEP_MS = 60_000

const counts = (hold: Hold, windowMs: number, now: number): boolean =>
  hold.held ? hold.at > now - HOLD_LEASE_MS : hold.at > now - windowMs

/** The takes of a counter that still count at `now`. */
const live = (holds: Holds | undefined, counter: Counter, now: number): Map<string, Hold> =>
  new Map([...(holds ?? [])].filter(([, hold]) => counts(hold, counter.windowMs, now)))

/** Drops, at most once a `SWEEP_MS`, the counters none of whose takes can count any more. */
const swept = (state: State, now: number): State =>
  now - state.sweptAt < SWEEP_MS
    ? state
    : {
      counters: HashMap.filter(state.counters, (holds) => [...holds.values()].some((hold) => counts(hold, Math.max(SWEEP_MS, HOLD_LEASE_MS), now))),
      sweptAt: now
    }

const sum = (holds: Iterable<Hold>): number => {
  let total = 0
  for (const hold of holds) total += hold.amount
  return total
}

/**
 * When `amount` fits in a counter whose live takes are `holds`: once enough unheld takes, oldest
 * first, have left the window. Held takes leave only when settled, at a time nobody knows: if they
 * alone leave no room, a whole window is the answer.
 */
const retryAfter = (holds: Holds, counter: Counter, amount: number, now: number): number | undefined => {
  if (amount > counter.limit) return undefined
  const passing = [...holds.values()].filter((hold) => !hold.held).sort((a, b) => a.at - b.at)
  let used = sum(holds.values())
  for (const hold of passing) {
    used -= hold.amount
    if (used + amount <= counter.limit) return Math.max(1, hold.at + counter.windowMs - now)
  }
  return counter.windowMs
}

/** One acquisition over explicit state: the refusal (if any) and the next state (pruned either way). */
export const acquire = (
  state: State,
  id: string,
  takes: ReadonlyArray<Take>,
  now: number
): readonly [Option.Option<Refusal>, State] => {
  const current = swept(state, now)
  let counters = current.counters
  const pruned = takes.map(({ counter }) => live(Option.getOrUndefined(HashMap.get(current.counters, counter.key)), counter, now))
  for (const [index, take] of takes.entries()) {
    const holds = pruned[index]!
    counters = HashMap.set(counters, take.counter.key, holds)
    const used = sum(holds.values())
    if (used + take.amount > take.counter.limit) {
      return [Option.some({ index, used, retryAfterMs: retryAfter(holds, take.counter, take.amount, now) }), { ...current, counters }]
    }
  }
  for (const [index, take] of takes.entries()) {
    counters = HashMap.set(counters, take.counter.key, new Map(pruned[index]!).set(id, { at: now, amount: take.amount, held: take.held }))
  }
  return [Option.none(), { ...current, counters }]
}

/** One settlement over explicit state. */
export const settle = (state: State, id: string, keys: ReadonlyArray<string>, amount: number, now: number): State => {
  let counters = state.counters
  for (const key of keys) {
    const holds = Option.getOrUndefined(HashMap.get(counters, key))
    if (holds?.has(id) !== true) continue
    counters = HashMap.set(counters, key, new Map(holds).set(id, { at: now, amount, held: false }))
  }
  return { ...state, counters }
}

/** Counters holding anything (what a sweep keeps). */
export const size = (state: State): number => HashMap.size(state.counters)

/** A store in memory, for one process. */
export const makeMemory: Effect.Effect<RateLimitStoreShape> = Effect.map(Ref.make(empty), (state) => ({
  acquire: (id, takes, now) => Ref.modify(state, (current) => acquire(current, id, takes, now)),
  settle: (id, keys, amount, now) => Ref.update(state, (current) => settle(current, id, keys, amount, now))
}))

/** The memory store. */
export const layerMemory: Layer.Layer<RateLimitStore> = Layer.effect(RateLimitStore, makeMemory)
