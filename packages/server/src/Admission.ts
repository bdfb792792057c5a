/**
 * Which requests the server takes in, and when those it took must stop. At most a limit of requests
 * run at once, a stream counted until its last byte; beyond it a request is answered at once with 503
 * `too_many_concurrent_requests` and no upstream is called. Once the server drains (it is shutting
 * down), a new request is answered with 503 `shutting_down`; when the grace period is over,
 * `deadline` fires and what still runs ends with that error in its dialect (`Endpoint` for a
 * whole answer, `StreamBody` for a stream): never a silent cut, never a finished answer's frames.
 */
import { Context, Data, Duration, Effect, Ref, type Scope } from "effect"
import { Race } from "@switchyard/core"
import type { ErrorBody } from "@switchyard/translate"
import * as Held from "./internal/held.ts"

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

export interface Admission {
  /** Asks one request in; an admitted one is counted until the current scope closes. */
  readonly enter: Effect.Effect<Verdict, never, Scope.Scope>
  readonly draining: Effect.Effect<boolean>
  /** Fires when a shutdown's grace period is over: what still runs must end. */
  readonly deadline: Race.Signal
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
    const deadline = Race.makeSignal()
    const idle = Race.makeSignal()
    const leaving = Ref.modify(state, (s) => {
      const next = leave(s)
      return [next.draining && next.inFlight === 0, next] as const
    }).pipe(Effect.flatMap((last) => (last ? Effect.sync(idle.fire) : Effect.void)))
    return {
      enter: Held.acquire(
        Ref.modify(state, (s) => enter(s, limit)),
        (verdict) => (verdict === "admitted" ? leaving : Effect.void)
      ),
      draining: Effect.map(Ref.get(state), (s) => s.draining),
      deadline,
      drain: (grace) =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(state, (s) => ({ ...s, draining: true }))
          if (now.inFlight === 0) idle.fire()
          yield* Effect.timeoutOption(Race.awaitSignal(idle), grace)
          deadline.fire()
          yield* Effect.timeoutOption(Race.awaitSignal(idle), settle)
        })
    }
  })

/** Admits everything and never drains: what serves the routes without a Node server (`webHandler`). */
export const unlimited: Admission = {
  enter: Effect.succeed("admitted"),
  draining: Effect.succeed(false),
  deadline: Race.never,
  drain: () => Effect.void
}

/** The admission of the server serving the current request. */
export const CurrentAdmission = Context.Reference<Admission>("@switchyard/server/Admission", {
  defaultValue: () => unlimited
})

/** What ends a stream still running at a shutdown's deadline. */
export class ShuttingDown extends Data.TaggedError("ShuttingDown")<{}> {}

/** `self`, failing with `ShuttingDown` if it still runs when `signal` fires (then interrupted). */
export const cutAt = <A, E, R>(self: Effect.Effect<A, E, R>, signal: Race.Signal): Effect.Effect<A, E | ShuttingDown, R> =>
  Race.within(self, { signal, onSignal: () => Effect.fail(new ShuttingDown()) })

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
