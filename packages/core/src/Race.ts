/**
 * An effect raced against a time limit and a one-shot signal, at the cost of one fiber; a stream's
 * reads each raced so, at the cost of one fiber for the whole stream (`reads`).
 *
 * `Effect.timeout` and `Effect.raceFirst` fork a fiber for each side, and the timer side runs
 * `Effect.sleep` in its fiber; a stream with timeouts pays that on every pull, a request on every
 * attempt. Here the raced effect runs in one child fiber and the caller waits on a callback that the
 * child's end, a plain `setTimeout` or the signal's listener resumes. Under a clock other than the
 * live one (a `TestClock`), the timer is that clock's `sleep` in a fiber of its own, so tests that
 * move time keep working and go through the same race.
 */
import { Cause, Clock, Context, Duration, Effect, Exit, Fiber, type Scope } from "effect"

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

/** The time limit of each read of `reads`. */
export interface ReadLimits<E2> {
  /**
   * The limit of a read in milliseconds (infinite or over about 24.8 days: none), given whether it
   * waits for the first chunk and the clock's time when it starts waiting.
   */
  readonly millis: (first: boolean, now: number) => number
  /** What the read ends with when its time is up, given the limit it had. */
  readonly onTime: (millis: number, first: boolean) => Effect.Effect<never, E2>
}

/** Where the reads of one stream stand (`reads`). */
interface Reading<A, E, E2> {
  /** What the reader read and no read has taken yet. */
  ahead: Exit.Exit<A, E> | undefined
  /** The read waiting for the reader. */
  waiting: ((exit: Exit.Exit<A, E>) => void) | undefined
  /** The reader, waiting for `ahead` to be taken. */
  reader: (() => void) | undefined
  fiber: Fiber.Fiber<void> | undefined
  /** Whether no chunk was taken yet. */
  first: boolean
  /** Once a time limit or the `Cutoff` ended the reads: what every later read ends with. */
  cut: Effect.Effect<never, E2> | undefined
  /** The first read's clock, context and `Cutoff`, which the later reads and the reader share. */
  shared: { readonly clock: Clock.Clock; readonly context: Context.Context<never>; readonly signal: Signal } | undefined
}

/**
 * `pull` (a stream's pull) with each read raced against `limits` and the current `Cutoff` as
 * `within` races an effect (`cutoff: true`), at the cost of one fiber for the whole stream rather
 * than one per read: a reader fiber in `scope`, started by the first read, pulls one chunk ahead,
 * and a read that finds nothing read yet waits for the reader under a plain timer. When the time is
 * up or the `Cutoff` fires, the reader is interrupted and that read and every later one end with
 * `onTime` (or the interruption, as a failure). A chunk, a failure and the end reach the reads in
 * the order read.
 */
export const reads = <A, E, R, E2>(
  pull: Effect.Effect<A, E, R>,
  scope: Scope.Scope,
  limits: ReadLimits<E2>
): Effect.Effect<A, E | E2, R> => {
  const reading: Reading<A, E, E2> = {
    ahead: undefined,
    waiting: undefined,
    reader: undefined,
    fiber: undefined,
    first: true,
    cut: undefined,
    shared: undefined
  }
  const handOver = (exit: Exit.Exit<A, E>) => {
    const waiting = reading.waiting
    if (waiting === undefined) reading.ahead = exit
    else {
      reading.waiting = undefined
      waiting(exit)
    }
  }
  // A fiber may yield between two steps: what the other side did meanwhile is checked again.
  const waitUntilTaken = Effect.callback<void>((resume) => {
    if (reading.ahead === undefined) resume(Effect.void)
    else reading.reader = () => resume(Effect.void)
  })
  const reader: Effect.Effect<void, never, R> = Effect.flatMap(Effect.exit(pull), (exit) => {
    handOver(exit)
    if (Exit.isFailure(exit)) return Effect.void
    return reading.ahead === undefined ? reader : Effect.andThen(waitUntilTaken, reader)
  })
  const take = (ahead: Exit.Exit<A, E>) => {
    reading.ahead = undefined
    if (Exit.isSuccess(ahead)) reading.first = false
    const waitingReader = reading.reader
    reading.reader = undefined
    waitingReader?.()
    return ahead
  }
  /** Ends the reads with `failure`: the reader is interrupted first. */
  const cutWith = (failure: Effect.Effect<never, E2>): Effect.Effect<never, E2> => {
    reading.cut = failure
    reading.waiting = undefined
    const fiber = reading.fiber
    return fiber === undefined ? failure : Effect.andThen(Fiber.interrupt(fiber), failure)
  }
  /** Waits for the reader's next exit, `millis` at most. */
  const wait = (clock: Clock.Clock, context: Context.Context<never>, signal: Signal, first: boolean, millis: number) =>
    Effect.callback<A, E | E2>((resume) => {
      if (reading.cut !== undefined) return resume(reading.cut)
      if (reading.ahead !== undefined) return resume(take(reading.ahead))
      const stopTimer = millis <= MAX_TIMER_MILLIS
        ? startTimer(clock, context, millis, () => {
          stopListening()
          resume(cutWith(limits.onTime(millis, first)))
        })
        : noop
      const stopListening = signal === never ? noop : signal.listen(() => {
        stopTimer()
        resume(cutWith(cutByCutoff()))
      })
      if (reading.cut !== undefined) return
      reading.waiting = (exit) => {
        stopTimer()
        stopListening()
        if (Exit.isSuccess(exit)) reading.first = false
        resume(exit)
      }
      return Effect.sync(() => {
        reading.waiting = undefined
        stopTimer()
        stopListening()
      })
    })
  const read = (clock: Clock.Clock, context: Context.Context<never>, signal: Signal): Effect.Effect<A, E | E2, R> => {
    if (reading.cut !== undefined) return reading.cut
    if (reading.ahead !== undefined) return take(reading.ahead)
    if (signal.fired()) return cutWith(cutByCutoff())
    const first = reading.first
    const millis = limits.millis(first, clock.currentTimeMillisUnsafe())
    // Nothing is started once the time is up.
    if (millis <= 0) return cutWith(limits.onTime(millis, first))
    if (reading.fiber !== undefined) return wait(clock, context, signal, first, millis)
    return Effect.flatMap(Effect.forkIn(reader, scope, { startImmediately: true }), (started) => {
      reading.fiber = started
      // The reader may have read at once.
      return reading.ahead !== undefined ? take(reading.ahead) : wait(clock, context, signal, first, millis)
    })
  }
  return Effect.withFiber((fiber) => {
    const shared = reading.shared ??= {
      clock: fiber.getRef(Clock.Clock),
      context: fiber.context as Context.Context<never>,
      signal: fiber.getRef(Cutoff)
    }
    return read(shared.clock, shared.context, shared.signal)
  })
}
