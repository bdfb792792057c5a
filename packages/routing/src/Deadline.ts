/**
 * One total deadline per request, on the Effect `Clock`: every attempt, retry pause and hedge gets
 * only what is left, so a request never takes "30 s + 30 s".
 */
import { Clock, Duration, Effect } from "effect"

export interface Deadline {
  /** Clock milliseconds. */
  readonly startedAt: number
  /** Clock milliseconds; `Infinity` for no deadline. */
  readonly expiresAt: number
}

/** A deadline `total` from now (`undefined`: none). */
export const make = (total: Duration.Input | undefined): Effect.Effect<Deadline> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({
    startedAt: now,
    expiresAt: total === undefined ? Number.POSITIVE_INFINITY : now + Duration.toMillis(total)
  }))

/** What is left (zero once expired; `Duration.infinity` without a deadline). */
export const remaining = (deadline: Deadline): Effect.Effect<Duration.Duration> =>
  Effect.map(Clock.currentTimeMillis, (now) =>
    deadline.expiresAt === Number.POSITIVE_INFINITY
      ? Duration.infinity
      : Duration.millis(Math.max(0, deadline.expiresAt - now)))

export const isExpired = (deadline: Deadline): Effect.Effect<boolean> =>
  Effect.map(Clock.currentTimeMillis, (now) => now >= deadline.expiresAt)
