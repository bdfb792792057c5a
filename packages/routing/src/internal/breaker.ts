/**
 * The circuit breaker as a pure state machine: `admit` and `record` map a state (and the time) to
 * a decision and the next state, so any store that can update one key atomically can hold it.
 * Beside it, a closed circuit can be cooling down (`cool`): a route that answered "rate limited" is
 * not down, only busy until a time, so it is refused until then without counting towards opening.
 */

export interface BreakerConfig {
  /** Open after this many retryable failures in a row. */
  readonly consecutiveFailures: number
  /** Open when the failure share of the last `window` outcomes reaches `threshold` (after `minimumCalls`). */
  readonly failureRate: { readonly threshold: number; readonly window: number; readonly minimumCalls: number } | undefined
  readonly cooldownMs: number
  /** Cooldown spread: the open time is `cooldown × (1 ± jitter)`. */
  readonly jitter: number
  /** A probe that reports nothing for this long is presumed lost and another is admitted. */
  readonly probeLeaseMs: number
}

export type BreakerState =
  | {
    readonly _tag: "Closed"
    readonly generation: number
    readonly consecutive: number
    /** Recent outcomes, oldest first, `true` for a failure (at most `failureRate.window`). */
    readonly recent: ReadonlyArray<boolean>
    /** Refused until this time (Clock ms): the route said it is rate limited. */
    readonly coolingUntil?: number | undefined
  }
  | {
    readonly _tag: "Open"
    readonly generation: number
    readonly reopensAt: number
    /** What the failure that opened it was (an error category), when the caller said. */
    readonly reason?: string | undefined
  }
  | { readonly _tag: "HalfOpen"; readonly generation: number; readonly probeSince: number | undefined }

export const initial: BreakerState = { _tag: "Closed", generation: 0, consecutive: 0, recent: [] }

/** `generation` ties an outcome to the circuit it was admitted by; stale outcomes change nothing. */
export type Admission =
  | { readonly _tag: "Allowed"; readonly generation: number }
  | { readonly _tag: "Probe"; readonly generation: number }
  | {
    readonly _tag: "Rejected"
    readonly reopensAt: number
    readonly reason?: string | undefined
    /** Refused because the route is cooling down after a rate limit, not because it is open. */
    readonly cooling?: boolean | undefined
  }

export type Verdict = "success" | "failure" | "ignored"

/** `throughCooldown`: a retry the route's own `Retry-After` was waited for is let through. */
export const admit = (
  state: BreakerState,
  now: number,
  config: BreakerConfig,
  throughCooldown = false
): readonly [Admission, BreakerState] => {
  switch (state._tag) {
    case "Closed":
      return !throughCooldown && state.coolingUntil !== undefined && now < state.coolingUntil
        ? [{ _tag: "Rejected", reopensAt: state.coolingUntil, reason: "rate_limited", cooling: true }, state]
        : [{ _tag: "Allowed", generation: state.generation }, state]
    case "Open":
      return now < state.reopensAt
        ? [{ _tag: "Rejected", reopensAt: state.reopensAt, reason: state.reason }, state]
        : [{ _tag: "Probe", generation: state.generation }, {
          _tag: "HalfOpen",
          generation: state.generation,
          probeSince: now
        }]
    case "HalfOpen":
      return state.probeSince !== undefined && now < state.probeSince + config.probeLeaseMs
        ? [{ _tag: "Rejected", reopensAt: state.probeSince + config.probeLeaseMs }, state]
        : [{ _tag: "Probe", generation: state.generation }, { ...state, probeSince: now }]
  }
}

const open = (generation: number, now: number, random: number, config: BreakerConfig, reason: string | undefined): BreakerState => ({
  _tag: "Open",
  generation: generation + 1,
  reopensAt: now + Math.round(config.cooldownMs * (1 + config.jitter * (2 * random - 1))),
  reason
})

const trips = (consecutive: number, recent: ReadonlyArray<boolean>, config: BreakerConfig): boolean => {
  if (consecutive >= config.consecutiveFailures) return true
  const rate = config.failureRate
  if (rate === undefined || recent.length < rate.minimumCalls) return false
  return recent.filter(Boolean).length / recent.length >= rate.threshold
}

/** Cools a closed circuit down until `until` (the later of two cooldowns holds). */
export const cool = (state: BreakerState, until: number): BreakerState =>
  state._tag === "Closed" ? { ...state, coolingUntil: Math.max(until, state.coolingUntil ?? 0) } : state

/** `random` in [0, 1) places the reopening inside the jitter band; `reason` names a failure. */
export const record = (
  state: BreakerState,
  generation: number,
  verdict: Verdict,
  now: number,
  random: number,
  config: BreakerConfig,
  reason?: string
): BreakerState => {
  if (generation !== state.generation) return state
  switch (state._tag) {
    case "Open":
      return state
    case "HalfOpen":
      if (verdict === "success") return { ...initial, generation: state.generation }
      if (verdict === "failure") return open(state.generation, now, random, config, reason)
      return { ...state, probeSince: undefined }
    case "Closed": {
      if (verdict === "ignored") return state
      const failed = verdict === "failure"
      const consecutive = failed ? state.consecutive + 1 : 0
      const recent = config.failureRate === undefined
        ? state.recent
        : [...state.recent, failed].slice(-config.failureRate.window)
      return trips(consecutive, recent, config)
        ? open(state.generation, now, random, config, reason)
        : { ...state, consecutive, recent }
    }
  }
}
