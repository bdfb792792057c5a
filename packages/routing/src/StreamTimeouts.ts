/**
 * Timeouts of one attempt, each capped by what is left of the request's deadline. A stream fails
 * with core's `ProviderError.Timeout` when its first event takes longer than `firstToken` or a gap
 * between events exceeds `idle`; an effect (a whole answer, a connect) when it exceeds its limit.
 * The phase says which limit fired: `deadline` when the request's deadline was the tighter one. When
 * no time is left the limited effect is not started at all.
 */
import { Duration, Effect, Stream } from "effect"
import { ProviderError } from "@switchyard/core"
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

/** Runs `self` within `limit` and the deadline, failing with a `Timeout` of the binding phase. */
export const within = (
  context: Context,
  phase: ProviderError.TimeoutPhase,
  limit: Duration.Input | undefined
) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ProviderError.Timeout, R> =>
  Effect.gen(function*() {
    const own = limit === undefined ? Duration.infinity : Duration.fromInputUnsafe(limit)
    const left = context.deadline === undefined ? Duration.infinity : yield* Deadline.remaining(context.deadline)
    const [duration, binding] = Duration.isLessThan(left, own) ? [left, "deadline" as const] : [own, phase]
    if (!Duration.isFinite(duration)) return yield* self
    // Built only when the time is up: an error's stack trace is costly and most pulls are in time.
    const expired = Effect.suspend(() =>
      Effect.fail(
        new ProviderError.Timeout({
          provider: context.provider,
          message: `${context.provider}: ${binding.replace("_", " ")} timeout after ${Duration.format(duration)}`,
          phase: binding
        })
      )
    )
    // Nothing is started once the time is up: no request is sent only to be cancelled.
    if (Duration.isZero(duration)) return yield* expired
    return yield* Effect.timeoutOrElse(self, { duration, orElse: () => expired })
  })

/** An effect (a whole answer) bounded by `total` and the deadline. */
export const effect = (context: Context, timeouts: Timeouts) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ProviderError.Timeout, R> =>
  within(context, "first_token", timeouts.total)(self)

/** A stream bounded by `firstToken` (first event), `idle` (every later gap) and the deadline. */
export const stream = (context: Context, timeouts: Timeouts) =>
<A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E | ProviderError.Timeout, R> =>
  Stream.transformPull(self, (pull) =>
    Effect.sync(() => {
      let first = true
      return Effect.suspend(() =>
        within(context, first ? "first_token" : "idle", first ? timeouts.firstToken : timeouts.idle)(pull)
      ).pipe(Effect.tap(() => Effect.sync(() => (first = false))))
    }))
