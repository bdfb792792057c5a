/**
 * The routing loop shared by whole answers and streams: order the routes, admit each through its
 * breaker, run attempts (hedged once when enabled), log them, feed health and latency, and decide
 * after every failure with the failover policy, all within one deadline. An attempt "commits" when
 * its effect succeeds: for a whole answer that is the answer, for a stream its first content event.
 *
 * While another route remains, a route's turn (its attempts, retries and the pauses between them)
 * ends `turn` after it began: the rest of the deadline belongs to the routes after it, so a route
 * that keeps failing slowly cannot spend the whole deadline on retries while another could answer.
 */
import { Cause, Clock, Duration, Effect, Exit, Option } from "effect"
import { ProviderError } from "@switchyard/core"
import * as Deadline from "../Deadline.ts"
import * as FailoverPolicy from "../FailoverPolicy.ts"
import * as Hedge from "../Hedge.ts"
import { HedgeBudget } from "../HedgeBudget.ts"
import { LatencyStats } from "../LatencyStats.ts"
import { type Attempt, key, type Role, type Route } from "../Route.ts"
import { RouteHealth, type Admission } from "../RouteHealth.ts"
import { AttemptFailed, RoutesExhausted, type RoutingError } from "../RoutingError.ts"
import * as Strategy from "../Strategy.ts"

export interface Plan {
  readonly strategy: Strategy.Strategy
  readonly policy: FailoverPolicy.FailoverPolicy
  readonly deadline: Deadline.Deadline
  readonly hedge: Hedge.Delay | undefined
  /** Whether a committed attempt's duration is also its total latency (whole answers). */
  readonly committedIsTotal: boolean
  /** Whether a timeout counts as a failure of its route (not when the request set its own tighter limits). */
  readonly timeoutsJudgeRoutes: boolean
  /** How long a route's turn may last while another route remains; `undefined`: until the deadline. */
  readonly turn: Duration.Duration | undefined
}

export interface Committed<C> {
  readonly value: C
  readonly route: Route
  /** The attempts log; later updates (a stream's end) stay visible through the same array. */
  readonly attempts: Array<Attempt>
}

type Services = RouteHealth | LatencyStats | HedgeBudget

export const execute = <C>(
  routes: ReadonlyArray<Route>,
  /**
   * `last`: no other route remains after this attempt (it may be given longer limits); `turn`: when
   * the attempt must have committed by (the end of its route's turn, at most the request's deadline).
   */
  attempt: (route: Route, role: Role, last: boolean, turn: Deadline.Deadline) => Effect.Effect<C, ProviderError.ProviderError>,
  plan: Plan
): Effect.Effect<Committed<C>, RoutingError, Services> =>
  Effect.gen(function*() {
    const health = yield* RouteHealth
    const stats = yield* LatencyStats
    const budget = yield* HedgeBudget
    yield* budget.deposit

    const attempts: Array<Attempt> = []
    /** Written by attempts and the hedge starter (closures), read by the loop. */
    const state: { lastError: ProviderError.ProviderError | undefined; hedged: boolean } = {
      lastError: undefined,
      hedged: false
    }
    const queue: Array<{ route: Route; role: Role }> = (yield* Strategy.order(plan.strategy, routes))
      .map((route, i) => ({ route, role: i === 0 ? "primary" : "fallback" }))

    /** The end of a route's turn beginning now: the deadline for the last route, else `plan.turn` from now. */
    const turnFromNow = Effect.map(Clock.currentTimeMillis, (now): Deadline.Deadline =>
      queue.length === 0 || plan.turn === undefined ? plan.deadline : {
        startedAt: now,
        expiresAt: Math.min(plan.deadline.expiresAt, now + Duration.toMillis(plan.turn))
      })

    /**
     * One attempt, logged, with its outcome reported to the breaker and the statistics. `slot`, when
     * given, receives the attempt's index in the log (for the hedge starter to annotate).
     */
    const guarded = (route: Route, role: Role, admission: Admission, turn: Deadline.Deadline, slot?: { index: number }) =>
      Effect.gen(function*() {
        const startedAt = yield* Clock.currentTimeMillis
        const index = attempts.push({ route, role, outcome: "cancelled", startedAt, durationMs: 0 }) - 1
        if (slot !== undefined) slot.index = index
        /** Records the end of the attempt, keeping a hedge note set while it ran. */
        const settle = (entry: Attempt) => {
          const hedge = attempts[index]?.hedge
          attempts[index] = hedge === undefined ? entry : { ...entry, hedge }
        }
        return yield* attempt(route, role, queue.length === 0, turn).pipe(
          Effect.map((value) => [value, route] as const),
          Effect.onExit((exit) =>
            Effect.gen(function*() {
              const durationMs = (yield* Clock.currentTimeMillis) - startedAt
              const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : Option.none()
              if (Exit.isSuccess(exit)) {
                settle({ route, role, outcome: "ok", startedAt, durationMs })
                yield* health.record(key(route), admission, "success")
                yield* stats.observe(key(route), "ttft", durationMs)
                if (plan.committedIsTotal) yield* stats.observe(key(route), "total", durationMs)
              } else if (Option.isSome(error)) {
                const e = error.value
                state.lastError = e
                settle({ route, role, outcome: e.category, status: e.status, startedAt, durationMs })
                if (e.category === "rate_limited") {
                  // Busy, not down: the route cools down for its Retry-After instead of counting towards opening.
                  yield* health.record(key(route), admission, "ignored")
                  yield* health.cool(key(route), e.retryAfter)
                } else {
                  const judged = e.retryable && (plan.timeoutsJudgeRoutes || e.category !== "timeout")
                  yield* health.record(key(route), admission, judged ? "failure" : "ignored", e.category)
                }
              } else {
                settle({ route, role, outcome: "cancelled", startedAt, durationMs })
                yield* health.record(key(route), admission, "ignored")
              }
            })
          )
        )
      })

    /**
     * The next admitted route from the queue; a refused one is logged (`circuit_open`, or
     * `cooling_down` after a rate limit) and skipped.
     */
    const nextAdmitted = Effect.gen(function*() {
      while (queue.length > 0) {
        const next = queue.shift()!
        const admission = yield* health.admit(key(next.route))
        if (admission._tag !== "Rejected") return Option.some({ ...next, admission })
        attempts.push({
          route: next.route,
          role: next.role,
          outcome: admission.cooling === true ? "cooling_down" : "circuit_open",
          startedAt: yield* Clock.currentTimeMillis,
          durationMs: 0,
          circuit: { reopensAt: admission.reopensAt, openedBy: admission.reason }
        })
      }
      return Option.none()
    })

    /**
     * Called when the attempt logged at `running.index` outlived the hedge delay: a hedge on the
     * next admitted route, if there is one and the budget grants it. A budget refusal is noted on
     * the running attempt and logged.
     */
    const startHedge = (running: { index: number }) =>
      Effect.gen(function*() {
        if (state.hedged || queue.length === 0) return Option.none()
        if (!(yield* budget.withdraw)) {
          const current = attempts[running.index]
          if (current !== undefined) {
            attempts[running.index] = { ...current, hedge: "skipped_budget" }
            yield* Effect.logInfo("hedge skipped: budget").pipe(
              Effect.annotateLogs({ route: key(current.route), role: current.role })
            )
          }
          return Option.none()
        }
        const next = yield* nextAdmitted
        if (Option.isNone(next)) return Option.none()
        state.hedged = true
        return Option.some(guarded(next.value.route, "hedge", next.value.admission, yield* turnFromNow))
      })

    const run = (route: Route, role: Role, admission: Admission, turn: Deadline.Deadline) =>
      Effect.gen(function*() {
        if (plan.hedge === undefined || state.hedged) return yield* guarded(route, role, admission, turn)
        const delay = yield* Hedge.delayFor(plan.hedge, key(route))
        const running = { index: -1 }
        return yield* Hedge.race(guarded(route, role, admission, turn, running), delay, startHedge(running))
      })

    const expired = (): ProviderError.ProviderError =>
      new ProviderError.Timeout({ provider: "router", message: "The request deadline passed", phase: "deadline" })

    while (true) {
      if (yield* Deadline.isExpired(plan.deadline)) {
        if (state.lastError?.category !== "timeout") state.lastError = expired()
        break
      }
      const next = yield* nextAdmitted
      if (Option.isNone(next)) break
      const { route } = next.value
      let { admission, role } = next.value
      const turn = yield* turnFromNow
      for (let retries = 0;; retries++) {
        const hedgedBefore = state.hedged
        const exit = yield* Effect.exit(run(route, role, admission, turn))
        if (Exit.isSuccess(exit)) return { value: exit.value[0], route: exit.value[1], attempts }
        // A defect is no provider's answer: it ends the request as it is, as an interruption does.
        if (Exit.isFailure(exit) && Cause.hasDies(exit.cause)) return yield* Effect.die(Cause.squash(exit.cause))
        if (Option.isNone(Exit.findErrorOption(exit)) || state.lastError === undefined) return yield* Effect.interrupt
        // A retry, its pause included, must fit in what is left of the route's turn.
        const remaining = yield* Deadline.remaining(turn)
        const decision = yield* FailoverPolicy.decide(plan.policy, { error: state.lastError, route, retries, remaining })
        if (decision._tag === "Fail") return yield* new AttemptFailed({ error: state.lastError, attempts })
        if (decision._tag === "Fallback") queue.unshift({ route: decision.route, role: "fallback" })
        // After a hedged round both routes have failed: move on rather than retry one of them.
        if (decision._tag !== "Retry" || state.hedged !== hedgedBefore) break
        yield* Effect.sleep(decision.delay)
        // The pause was the route's own Retry-After (or longer): its cooldown lets this retry through.
        const again = yield* health.admit(key(route), { throughCooldown: true })
        if (again._tag === "Rejected") break
        admission = again
        role = "retry"
      }
    }
    return yield* new RoutesExhausted({ attempts, lastError: state.lastError })
  })
