/**
 * An effect raced against a time limit and a one-shot signal, at the cost of one fiber.
 *
 * `Effect.timeout` and `Effect.raceFirst` fork a fiber for each side, and the timer side runs
 * `Effect.sleep` in its fiber; a stream with timeouts pays that on every pull, a request on every
 * attempt. Here the raced effect runs in one child fiber and the caller waits on a callback that the
 * child's end, a plain `setTimeout` or the signal's listener resumes. Under a clock other than the
 * live one (a `TestClock`), the timer is that clock's `sleep` in a fiber of its own, so tests that
 * move time keep working and go through the same race.
 */
import { Cause, Clock, Context, Duration, Effect, Fiber } from "effect"

/**
 * Something that happens once (a shutdown's deadline, the last request leaving). Plain callbacks
 * listen to it, so waiting for it in a race costs no fiber of its own.
 */
export interface Signal {
  readonly fired: () => boolean
  /** Calls `listener` when the signal fires (at once if it has); the result stops listening. */
  readonly listen: (listener: () => void) => () => void
}

const noop = () => {}

/** A signal that never fires. */
export const never: Signal = { fired: () => false, listen: () => noop }

/** A signal and the function that fires it. */
export const makeSignal = (): Signal & { readonly fire: () => void } => {
  let listeners: Set<() => void> | undefined = new Set()
  return {
    fired: () => listeners === undefined,
    listen: (listener) => {
      if (listeners === undefined) {
        listener()
        return noop
      }
      const own = listeners
      own.add(listener)
      return () => own.delete(listener)
    },
    fire: () => {
      const fired = listeners
      listeners = undefined
      fired?.forEach((listener) => listener())
    }
  }
}

/**
 * What cuts whatever a request still waits on: a server's shutdown deadline (never, outside one).
 * A race with `cutoff` listens to it too, so that a stream's read needs one race for its timeout and
 * the deadline, not one each.
 */
export const Cutoff = Context.Reference<Signal>("@switchyard/core/Race/Cutoff", { defaultValue: () => never })

/** Completes when `signal` fires. */
export const awaitSignal = (signal: Signal): Effect.Effect<void> =>
  Effect.callback((resume) => {
    const stop = signal.listen(() => resume(Effect.void))
    return Effect.sync(stop)
  })

/** The longest delay a timer takes (about 24.8 days); a longer limit is no limit. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** The failure of a race the `Cutoff` ended: an interruption, as a value. */
const cutByCutoff = (): Effect.Effect<never> => Effect.failCause(Cause.interrupt())

/** The clock a fiber has when nothing replaced it. */
const liveClock = Effect.runSync(Effect.clockWith(Effect.succeed))

/**
 * Calls `fire` after `millis` of `clock`'s time: a plain timer under the live clock, else the clock's
 * `sleep` in a fiber with `context` (a `TestClock`'s time moves when the test says). The result stops it.
 */
const startTimer = (clock: Clock.Clock, context: Context.Context<never>, millis: number, fire: () => void): () => void => {
  if (clock === liveClock) {
    const timer = setTimeout(fire, millis)
    return () => clearTimeout(timer)
  }
  const fiber = Effect.runForkWith(context)(Effect.andThen(clock.sleep(Duration.millis(millis)), Effect.sync(fire)))
  return () => fiber.interruptUnsafe()
}

export interface Limits<E2, E3> {
  /**
   * The time limit in milliseconds, or a function of the clock's time when the race starts (for a
   * limit that is what is left of a deadline); none when absent, infinite or over about 24.8 days.
   */
  readonly millis?: number | ((now: number) => number) | undefined
  /** What the race ends with when the time is up, given the limit it had. */
  readonly onTime?: ((millis: number) => Effect.Effect<never, E2>) | undefined
  readonly signal?: Signal | undefined
  /** What the race ends with when the signal fires first. */
  readonly onSignal?: (() => Effect.Effect<never, E3>) | undefined
  /**
   * Also races the current `Cutoff` (when no `signal` is given): when it fires first, `self` is
   * interrupted and the race fails with that interruption, as a failure its callers see (their
   * fiber is not interrupted), so that what waits above can end in its own way.
   */
  readonly cutoff?: boolean | undefined
}

/**
 * `self`, unless the time limit passes or the signal fires first: then `self` is interrupted and
 * the race ends with `onTime` or `onSignal`. Nothing is started when the time is already up
 * (a limit of 0 or less) or the signal has fired.
 */
export const within = <A, E, R, E2 = never, E3 = never>(
  self: Effect.Effect<A, E, R>,
  limits: Limits<E2, E3>
): Effect.Effect<A, E | E2 | E3, R> => {
  const { onTime } = limits
  const limit = limits.millis
  const given = limits.signal !== undefined && limits.signal !== never && limits.onSignal !== undefined
  const cutoff = limits.cutoff === true && !given
  if ((limit === undefined || onTime === undefined) && !given && !cutoff) return self
  if (typeof limit === "number" && !(limit <= MAX_TIMER_MILLIS) && !given && !cutoff) return self
  return Effect.withFiber((parent) => {
    const signal = cutoff ? parent.getRef(Cutoff) : limits.signal
    const onSignal = cutoff ? cutByCutoff : limits.onSignal
    const signalled = signal !== undefined && signal !== never && onSignal !== undefined
    if (signalled && signal.fired()) return onSignal()
    const clock = parent.getRef(Clock.Clock)
    const millis = typeof limit === "function" ? limit(clock.currentTimeMillisUnsafe()) : limit
    const timed = millis !== undefined && millis <= MAX_TIMER_MILLIS && onTime !== undefined
    if (!timed && !signalled) return self
    if (timed && millis <= 0) return onTime(millis)
    return Effect.flatMap(Effect.forkChild(self, { startImmediately: true }), (fiber) => {
      const done = fiber.pollUnsafe()
      if (done !== undefined) return done
      return Effect.callback<A, E | E2 | E3>((resume) => {
        // The fiber still runs, so its observer cannot be called before the timer and the listener
        // are set.
        const stop = () => {
          stopTimer()
          stopListening()
          stopObserving()
        }
        const cut = (after: () => Effect.Effect<never, E2 | E3>) => {
          stop()
          resume(Effect.andThen(Fiber.interrupt(fiber), after()))
        }
        const stopObserving = fiber.addObserver((exit) => {
          stop()
          resume(exit)
        })
        const stopTimer = timed ? startTimer(clock, parent.context as Context.Context<never>, millis, () => cut(() => onTime(millis))) : noop
        const stopListening = signalled && !signal.fired() ? signal.listen(() => cut(onSignal)) : noop
        // Fired while `self` started.
        if (signalled && signal.fired()) cut(onSignal)
        return Effect.suspend(() => {
          stop()
          return Fiber.interrupt(fiber)
        })
      })
    })
  })
}
