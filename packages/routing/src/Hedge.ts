/**
 * Hedged requests: when the primary attempt has not produced its first result by the hedge delay,
 * a second attempt starts on the next admitted route; the first success wins and the loser is
 * interrupted (its finalizers run, closing its upstream connection). The delay is fixed, or
 * adaptive: the primary route's p95 time to first token, clamped to `[min, max]`.
 */
import { Duration, Effect, Fiber, Option } from "effect"
import { LatencyStats } from "./LatencyStats.ts"

export type Delay =
  | { readonly _tag: "Fixed"; readonly delay: Duration.Duration }
  | {
    readonly _tag: "Adaptive"
    readonly quantile: number
    readonly min: Duration.Duration
    readonly max: Duration.Duration
    /** Used before the route has statistics. */
    readonly initial: Duration.Duration
  }

export const fixed = (delay: Duration.Input): Delay => ({ _tag: "Fixed", delay: Duration.fromInputUnsafe(delay) })

export const adaptive = (options: {
  readonly quantile?: number | undefined
  readonly min: Duration.Input
  readonly max: Duration.Input
  readonly initial?: Duration.Input | undefined
}): Delay => ({
  _tag: "Adaptive",
  quantile: options.quantile ?? 0.95,
  min: Duration.fromInputUnsafe(options.min),
  max: Duration.fromInputUnsafe(options.max),
  initial: Duration.fromInputUnsafe(options.initial ?? options.max)
})

/** The hedge delay for a primary attempt on the route `key`. */
export const delayFor = (delay: Delay, key: string): Effect.Effect<Duration.Duration, never, LatencyStats> => {
  if (delay._tag === "Fixed") return Effect.succeed(delay.delay)
  return Effect.gen(function*() {
    const stats = yield* LatencyStats
    const observed = yield* stats.quantile(key, "ttft", delay.quantile)
    return Option.match(observed, {
      onNone: () => delay.initial,
      onSome: (d) => Duration.clamp(d, { minimum: delay.min, maximum: delay.max })
    })
  })
}

/**
 * Runs `primary`; if it is still running after `delay`, asks `hedge` for a second attempt and races
 * the two with `Effect.race` (first success wins, the loser is interrupted). Without a hedge (no
 * budget, no admitted route) it keeps waiting for the primary. A primary that fails before the
 * delay fails at once.
 */
export const race = <A, E, R, E2, R2>(
  primary: Effect.Effect<A, E, R>,
  delay: Duration.Duration,
  hedge: Effect.Effect<Option.Option<Effect.Effect<A, E, R>>, E2, R2>
): Effect.Effect<A, E | E2, R | R2> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(primary)
    const early = yield* Effect.timeoutOption(Effect.exit(Fiber.join(fiber)), delay)
    if (Option.isSome(early)) return yield* early.value
    const second = yield* hedge
    if (Option.isNone(second)) return yield* Fiber.join(fiber)
    return yield* Effect.race(
      Fiber.join(fiber),
      Effect.tap(second.value, () => Fiber.interrupt(fiber))
    )
  })
