/**
 * Caps hedging, shaped like Finagle's retry budget: hedges may reach `ratio` × the requests seen in
 * the last `window`, plus a floor of `minPerSecond` hedges per second that is always there (a
 * bucket of at most `burst` floor hedges, full at start). Over any run of T seconds with N requests,
 * hedges ≤ ratio × N + minPerSecond × T + burst: a slow provider cannot make hedging double the
 * load, yet a fresh or quiet gateway still hedges its first slow request.
 *
 * The state is a plain value stepped by pure functions (`deposit`, `withdraw`) at Clock times; the
 * memory service holds it in a `Ref`. Requests and ratio hedges are counted in `SLOTS` time slots
 * of `window / SLOTS`, so memory stays bounded whatever the traffic.
 */
import { Clock, Context, Duration, Effect, Layer, Ref } from "effect"

export interface HedgeBudgetShape {
  /** Counts one request (call once per routed request). */
  readonly deposit: Effect.Effect<void>
  /** Takes one hedge from the budget, if there is one. */
  readonly withdraw: Effect.Effect<boolean>
}

export class HedgeBudget extends Context.Service<HedgeBudget, HedgeBudgetShape>()("@switchyard/routing/HedgeBudget") {}

export interface Options {
  /** Hedges per request seen in the window, at most (default 0.1: at most 10% extra load). */
  readonly ratio?: number | undefined
  /** Hedges per second allowed whatever the traffic (default 1; 0 turns the floor off). */
  readonly minPerSecond?: number | undefined
  /** Floor hedges that can be saved up while quiet, all available at start (default max(1, minPerSecond)). */
  readonly burst?: number | undefined
  /** How far back requests count towards `ratio` (default 10 seconds). */
  readonly window?: Duration.Input | undefined
}

/** Time slots per window: the window slides in steps of `window / SLOTS`. */
export const SLOTS = 10

export interface Settings {
  readonly ratio: number
  readonly minPerSecond: number
  readonly burst: number
  readonly slotMillis: number
}

export interface State {
  readonly settings: Settings
  /** Absolute number (`floor(now / slotMillis)`) of the newest slot. */
  readonly slot: number
  /** Requests per slot, oldest first (`SLOTS` entries). */
  readonly requests: ReadonlyArray<number>
  /** Hedges granted from the ratio per slot, oldest first (`SLOTS` entries). */
  readonly hedges: ReadonlyArray<number>
  /** Floor hedges available, in `[0, burst]`. */
  readonly floor: number
  /** Clock milliseconds the floor was last refilled at. */
  readonly floorAt: number
}

/** Tolerance of the `≥ 1` comparisons, against floating-point drift of the fractional floor. */
export const EPSILON = 1e-9

export const settings = (options: Options = {}): Settings => {
  const minPerSecond = Math.max(0, options.minPerSecond ?? 1)
  const windowMillis = Duration.toMillis(Duration.fromInputUnsafe(options.window ?? "10 seconds"))
  return {
    ratio: Math.max(0, options.ratio ?? 0.1),
    minPerSecond,
    burst: minPerSecond === 0 ? 0 : Math.max(1, options.burst ?? minPerSecond),
    slotMillis: Math.max(1, windowMillis / SLOTS)
  }
}

/** A fresh budget at `now`: nothing seen, the floor full. */
export const initial = (options: Options, now: number): State => {
  const s = settings(options)
  const zeros = Array.from({ length: SLOTS }, () => 0)
  return { settings: s, slot: Math.floor(now / s.slotMillis), requests: zeros, hedges: zeros, floor: s.burst, floorAt: now }
}

/** Slides the window to `now` (dropping expired slots) and refills the floor. */
const advance = (state: State, now: number): State => {
  const { burst, minPerSecond, slotMillis } = state.settings
  const slot = Math.floor(now / slotMillis)
  const shift = Math.min(SLOTS, Math.max(0, slot - state.slot))
  const slide = (counts: ReadonlyArray<number>) =>
    shift === 0 ? counts : [...counts.slice(shift), ...Array.from({ length: shift }, () => 0)]
  const elapsed = Math.max(0, now - state.floorAt)
  return {
    ...state,
    slot: Math.max(slot, state.slot),
    requests: slide(state.requests),
    hedges: slide(state.hedges),
    floor: Math.min(burst, state.floor + (elapsed * minPerSecond) / 1000),
    floorAt: Math.max(now, state.floorAt)
  }
}

const bumpNewest = (counts: ReadonlyArray<number>): ReadonlyArray<number> =>
  counts.map((n, i) => (i === counts.length - 1 ? n + 1 : n))

const sum = (counts: ReadonlyArray<number>): number => counts.reduce((a, b) => a + b, 0)

/** Counts one request at `now`. */
export const deposit = (state: State, now: number): State => {
  const s = advance(state, now)
  return { ...s, requests: bumpNewest(s.requests) }
}

/** Grants one hedge at `now` from the ratio allowance, else from the floor, else refuses. */
export const withdraw = (state: State, now: number): readonly [boolean, State] => {
  const s = advance(state, now)
  if (s.settings.ratio * sum(s.requests) - sum(s.hedges) >= 1 - EPSILON) {
    return [true, { ...s, hedges: bumpNewest(s.hedges) }]
  }
  if (s.floor >= 1 - EPSILON) return [true, { ...s, floor: Math.max(0, s.floor - 1) }]
  return [false, s]
}

export const makeMemory = (options: Options = {}): Effect.Effect<HedgeBudgetShape> =>
  Effect.gen(function*() {
    const ref = yield* Ref.make(initial(options, yield* Clock.currentTimeMillis))
    return {
      deposit: Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(ref, (s) => deposit(s, now))),
      withdraw: Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.modify(ref, (s) => withdraw(s, now)))
    }
  })

export const layerMemory = (options: Options = {}): Layer.Layer<HedgeBudget> =>
  Layer.effect(HedgeBudget, makeMemory(options))
