/**
 * Timeouts of one attempt, each capped by what is left of the request's deadline. A stream fails
 * with core's `ProviderError.Timeout` when its first event takes longer than `firstToken` or a gap
 * between events exceeds `idle`; an effect (a whole answer, a connect) when it exceeds its limit.
 * A stream's reads are also cut by a shutdown's deadline (`Race.Cutoff`, set by the server): the read
 * then fails with an interruption, which ends the stream without counting against the route.
 * The phase says which limit fired: `deadline` when the request's deadline was the tighter one. When
 * no time is left the limited effect is not started at all.
 */
import { Duration, Effect, Stream } from "effect"
import { ProviderError, Race } from "@switchyard/core"
import * as Deadline from "./Deadline.ts"

export interface Timeouts {
  /** Until the first event of a stream. */
  readonly firstToken?: Duration.Input | undefined
  /** Between two events of a stream. */
  readonly idle?: Duration.Input | undefined
  /** For a whole answer (`Router.run`) or a connect. */
  readonly total?: Duration.Input | undefined
}

export interface Context {
  /** Named in the `Timeout` error. */
  readonly provider: string
  readonly deadline?: Deadline.Deadline | undefined
}

const millisOf = (limit: Duration.Input | undefined): number =>
  limit === undefined ? Number.POSITIVE_INFINITY : Duration.toMillis(Duration.fromInputUnsafe(limit))

/** Runs `self` within `limitMillis` and the deadline, failing with a `Timeout` of the binding phase. */
const withinMillis = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  context: Context,
  phase: ProviderError.TimeoutPhase,
  limitMillis: number,
  cutoff = false
): Effect.Effect<A, E | ProviderError.Timeout, R> => {
  const deadline = context.deadline
  // Nothing is started once the time is up (`Race.within`): no request is sent only to be cancelled.
  return Race.within(self, {
    cutoff,
    millis: deadline === undefined || deadline.expiresAt === Number.POSITIVE_INFINITY
      ? limitMillis
      : (now) => Math.min(limitMillis, Math.max(0, deadline.expiresAt - now)),
    // Built only when the time is up: an error's stack trace is costly and most reads are in time.
    onTime: (millis) => {
      const binding = millis < limitMillis ? "deadline" : phase
      return Effect.fail(
        new ProviderError.Timeout({
          provider: context.provider,
          message: `${context.provider}: ${binding.replace("_", " ")} timeout after ${Duration.format(Duration.millis(millis))}`,
          phase: binding
        })
      )
    }
  })
}

/** Runs `self` within `limit` and the deadline, failing with a `Timeout` of the binding phase. */
export const within = (
  context: Context,
  phase: ProviderError.TimeoutPhase,
  limit: Duration.Input | undefined
) => {
  const limitMillis = millisOf(limit)
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ProviderError.Timeout, R> =>
    withinMillis(self, context, phase, limitMillis)
}

/** An effect (a whole answer) bounded by `total` and the deadline. */
export const effect = (context: Context, timeouts: Timeouts) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ProviderError.Timeout, R> =>
  within(context, "first_token", timeouts.total)(self)

/** A stream bounded by `firstToken` (first event), `idle` (every later gap) and the deadline. */
export const stream = (context: Context, timeouts: Timeouts) =>
<A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E | ProviderError.Timeout, R> => {
  const firstToken = millisOf(timeouts.firstToken)
  const idle = millisOf(timeouts.idle)
  return Stream.transformPull(self, (pull) =>
    Effect.sync(() => {
      // Each read also races a shutdown's deadline (`Race.Cutoff`): one race for both.
      const next = withinMillis(pull, context, "idle", idle, true)
      // After the first chunk, every pull is bounded by `idle`.
      const progress: { pull: typeof next } = {
        pull: Effect.tap(withinMillis(pull, context, "first_token", firstToken, true), () => Effect.sync(() => (progress.pull = next)))
      }
      return Effect.suspend(() => progress.pull)
    }))
}
