/**
 * Which requests the server takes in, and when those it took must stop. At most a limit of requests
 * run at once, a stream counted until its last byte; beyond it a request is answered at once with 503
 * `too_many_concurrent_requests` and no upstream is called. Once the server drains (it is shutting
 * down), a new request is answered with 503 `shutting_down`; when the grace period is over,
 * `deadline` fires and what still runs ends with that error in its dialect (`Endpoint` for a
 * whole answer, `untilDeadline` for a stream): never a silent cut, never a finished answer's frames.
 */
import { Context, Data, Duration, Effect, Fiber, Ref, type Scope, Stream } from "effect"
import type { ErrorBody } from "@switchyard/translate"

/** Requests in flight, and whether the server is draining. */
export interface State {
  readonly inFlight: number
  readonly draining: boolean
}

export const initial: State = { inFlight: 0, draining: false }

/** What a request is told when it asks in. */
export type Verdict = "admitted" | "full" | "draining"

/** One request asks in: admitted unless the server drains or `limit` requests are in flight. */
export const enter = (state: State, limit: number): readonly [Verdict, State] =>
  state.draining
    ? ["draining", state]
    : state.inFlight >= limit
    ? ["full", state]
    : ["admitted", { ...state, inFlight: state.inFlight + 1 }]

/** An admitted request ended. */
export const leave = (state: State): State => ({ ...state, inFlight: state.inFlight - 1 })

/**
 * Something that happens once (the deadline, the last request leaving a draining server). Plain
 * callbacks listen to it, so waiting for it in a race costs no fiber of its own.
 */
export interface Signal {
  readonly fired: () => boolean
  /** Calls `listener` when the signal fires (at once if it has); the result stops listening. */
  readonly listen: (listener: () => void) => () => void
}

/** A signal and the function that fires it. */
export const makeSignal = (): Signal & { readonly fire: () => void } => {
  let listeners: Set<() => void> | undefined = new Set()
  return {
    fired: () => listeners === undefined,
    listen: (listener) => {
      if (listeners === undefined) {
        listener()
        return () => {}
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

/** Completes when `signal` fires. */
export const awaitSignal = (signal: Signal): Effect.Effect<void> =>
  Effect.callback((resume) => {
    const stop = signal.listen(() => resume(Effect.void))
    return Effect.sync(stop)
  })

export interface Admission {
  /** Asks one request in; an admitted one is counted until the current scope closes. */
  readonly enter: Effect.Effect<Verdict, never, Scope.Scope>
  readonly draining: Effect.Effect<boolean>
  /** Fires when a shutdown's grace period is over: what still runs must end. */
  readonly deadline: Signal
  /**
   * Stops admitting, waits up to `grace` for the requests in flight to end, then fires `deadline`
   * and waits up to `settle` for the rest to send their error and end.
   */
  readonly drain: (grace: Duration.Duration) => Effect.Effect<void>
}

/** How long requests cut at the deadline get to send their error and end. */
export const settle = Duration.seconds(2)

/** Admits `limit` requests at once. */
export const make = (limit: number): Effect.Effect<Admission> =>
  Effect.gen(function*() {
    const state = yield* Ref.make(initial)
    const deadline = makeSignal()
    const idle = makeSignal()
    const leaving = Ref.modify(state, (s) => {
      const next = leave(s)
      return [next.draining && next.inFlight === 0, next] as const
    }).pipe(Effect.flatMap((last) => (last ? Effect.sync(idle.fire) : Effect.void)))
    return {
      enter: Effect.acquireRelease(
        Ref.modify(state, (s) => enter(s, limit)),
        (verdict) => (verdict === "admitted" ? leaving : Effect.void)
      ),
      draining: Effect.map(Ref.get(state), (s) => s.draining),
      deadline,
      drain: (grace) =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(state, (s) => ({ ...s, draining: true }))
          if (now.inFlight === 0) idle.fire()
          yield* Effect.timeoutOption(awaitSignal(idle), grace)
          deadline.fire()
          yield* Effect.timeoutOption(awaitSignal(idle), settle)
        })
    }
  })

/** Admits everything and never drains: what serves the routes without a Node server (`webHandler`). */
export const unlimited: Admission = {
  enter: Effect.succeed("admitted"),
  draining: Effect.succeed(false),
  deadline: { fired: () => false, listen: () => () => {} },
  drain: () => Effect.void
}

/** The admission of the server serving the current request. */
export const CurrentAdmission = Context.Reference<Admission>("@switchyard/server/Admission", {
  defaultValue: () => unlimited
})

/** What ends a stream still running at a shutdown's deadline. */
export class ShuttingDown extends Data.TaggedError("ShuttingDown")<{}> {}

/**
 * `self`, failing with `ShuttingDown` if it still runs when `signal` fires (then interrupted). It
 * runs in one child fiber and the signal is a plain callback: `Effect.raceFirst` would fork a fiber
 * for each side.
 */
export const cutAt = <A, E, R>(self: Effect.Effect<A, E, R>, signal: Signal): Effect.Effect<A, E | ShuttingDown, R> =>
  Effect.suspend(() => {
    if (signal.fired()) return Effect.fail(new ShuttingDown())
    return Effect.flatMap(Effect.forkChild(self, { startImmediately: true }), (fiber) => {
      const done = fiber.pollUnsafe()
      if (done !== undefined) return done
      return Effect.callback<A, E | ShuttingDown>((resume) => {
        // The fiber is still running: its observer cannot be called before the listener is set,
        // but the listener is called at once if the signal fired meanwhile.
        const stopObserving = fiber.addObserver((exit) => {
          stopListening()
          resume(exit)
        })
        const stopListening = signal.listen(() => {
          stopObserving()
          resume(Effect.andThen(Fiber.interrupt(fiber), Effect.fail(new ShuttingDown())))
        })
        return Effect.suspend(() => {
          stopListening()
          stopObserving()
          return Fiber.interrupt(fiber)
        })
      })
    })
  })

/**
 * `self`, failing with `ShuttingDown` if it still runs at `admission`'s deadline: each pull is cut at
 * the deadline (`Stream.interruptWhen` would merge the stream with the deadline's, a fiber for each
 * and a queue between them). Without a deadline that can fire (`unlimited`), `self` as it is.
 */
export const untilDeadline = <A, E, R>(self: Stream.Stream<A, E, R>, admission: Admission): Stream.Stream<A, E | ShuttingDown, R> =>
  admission === unlimited ? self : Stream.transformPull(self, (pull) => Effect.succeed(cutAt(pull, admission.deadline)))

const refusal = (code: string, message: string): ErrorBody.HttpError => ({
  status: 503,
  body: { message, type: "overloaded", code, param: null, provider: null, retryable: true },
  retryAfter: Duration.seconds(1)
})

/** The answer to a request the server did not admit, or cut at the deadline. */
export const refused = (verdict: Exclude<Verdict, "admitted">): ErrorBody.HttpError =>
  verdict === "full"
    ? refusal("too_many_concurrent_requests", "This gateway instance is serving as many requests as it is allowed; retry shortly.")
    : refusal("shutting_down", "This gateway instance is shutting down; retry, another instance will answer.")
