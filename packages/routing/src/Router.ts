/**
 * The router: runs one request over a list of routes with health-aware ordering, failover and
 * retries under one deadline, and optional hedging. `run` is for whole answers; `stream` is for
 * streams and commits to the first attempt that yields a content event: before that any failure
 * fails over invisibly, after it a break surfaces as `StreamBroken` with the delivered event count.
 * While another route remains, a route's turn (its retries and their pauses included) lasts at most
 * what one whole-answer attempt may (`timeouts.total`, else half the deadline): a route that keeps
 * failing slowly never takes the time the next route needs.
 */
import { type Array as Arr, Cause, Channel, Clock, Context, Duration, Effect, Exit, Layer, Pull, Scope, Stream } from "effect"
import type { ProviderError, StreamEvent } from "@switchyard/core"
import * as Deadline from "./Deadline.ts"
import * as FailoverPolicy from "./FailoverPolicy.ts"
import type * as Hedge from "./Hedge.ts"
import * as HedgeBudget from "./HedgeBudget.ts"
import { commit } from "./internal/commit.ts"
import { execute, type Plan } from "./internal/engine.ts"
import * as LatencyStats from "./LatencyStats.ts"
import { type Attempt, key, type Role, type Route } from "./Route.ts"
import * as RouteHealth from "./RouteHealth.ts"
import { type RoutingError, StreamBroken } from "./RoutingError.ts"
import * as Strategy from "./Strategy.ts"
import * as StreamTimeouts from "./StreamTimeouts.ts"

/** Per-request settings; each overrides the router's default. */
export interface RequestOptions {
  readonly strategy?: Strategy.Strategy | undefined
  readonly policy?: FailoverPolicy.FailoverPolicy | undefined
  /** The total time for the request, every attempt and pause included (default: none). */
  readonly deadline?: Duration.Input | undefined
  readonly timeouts?: StreamTimeouts.Timeouts | undefined
  /**
   * The limits of an attempt after which no other route remains, where waiting longer is better
   * than failing (default: `timeouts`).
   */
  readonly lastRouteTimeouts?: StreamTimeouts.Timeouts | undefined
  /** When to hedge; `false` turns hedging off for this request. */
  readonly hedge?: Hedge.Delay | false | undefined
  /**
   * Whether a timeout of this request counts against its route's health (default true). A request
   * that set its own limits tighter than the configured ones passes `false`: a client's impatience
   * must not open a route's breaker for everyone else.
   */
  readonly timeoutsJudgeRoutes?: boolean | undefined
}

export interface Routed<A> {
  readonly value: A
  /** The route that answered. */
  readonly route: Route
  readonly attempts: ReadonlyArray<Attempt>
}

export interface RoutedStream {
  /** The committed stream, its first events included; a later failure is `StreamBroken`. */
  readonly stream: Stream.Stream<StreamEvent.StreamEvent, StreamBroken>
  readonly route: Route
  /** The attempts up to the commit (the committed attempt's duration is its time to first content). */
  readonly attempts: ReadonlyArray<Attempt>
}

export interface RouterShape {
  readonly run: <A>(
    routes: ReadonlyArray<Route>,
    call: (route: Route, role: Role) => Effect.Effect<A, ProviderError.ProviderError>,
    options?: RequestOptions
  ) => Effect.Effect<Routed<A>, RoutingError>
  /** The returned stream's upstream lives in the caller's scope at the latest. */
  readonly stream: (
    routes: ReadonlyArray<Route>,
    call: (route: Route, role: Role) => Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>,
    options?: RequestOptions
  ) => Effect.Effect<RoutedStream, RoutingError, Scope.Scope>
  /** The order `run` and `stream` would try `routes` in now: the strategy's, open breakers last. */
  readonly order: (routes: ReadonlyArray<Route>, options?: RequestOptions) => Effect.Effect<Array<Route>>
}

/**
 * A committed stream, in one stage: its first events, then the rest of the attempt's pull. The events
 * that reached the consumer are counted for a break's `StreamBroken`; `done` runs at a normal end; the
 * attempt's scope (its upstream connection) is closed when the stream ends, however it ends.
 */
const committedStream = (committed: {
  readonly head: ReadonlyArray<StreamEvent.StreamEvent>
  readonly rest: Pull.Pull<ReadonlyArray<StreamEvent.StreamEvent>, ProviderError.ProviderError>
  readonly scope: Scope.Closeable
  readonly attempts: ReadonlyArray<Attempt>
  readonly done: Effect.Effect<void>
}): Stream.Stream<StreamEvent.StreamEvent, StreamBroken> =>
  Stream.fromChannel(Channel.fromTransform((_, streamScope) =>
    Effect.map(
      Scope.addFinalizer(streamScope, Scope.close(committed.scope, Exit.void)),
      () => {
        // The head not yet delivered, and how many events were.
        const progress: { head: ReadonlyArray<StreamEvent.StreamEvent> | undefined; delivered: number } = {
          head: committed.head.length > 0 ? committed.head : undefined,
          delivered: 0
        }
        const deliver = (events: ReadonlyArray<StreamEvent.StreamEvent>) => {
          progress.delivered += events.length
          return Effect.succeed(events as Arr.NonEmptyReadonlyArray<StreamEvent.StreamEvent>)
        }
        const rest = Pull.matchEffect(committed.rest, {
          onSuccess: deliver,
          onFailure: (cause) => {
            const error = Cause.findErrorOption(cause)
            return error._tag === "Some"
              ? Effect.fail(new StreamBroken({ error: error.value, delivered: progress.delivered, attempts: committed.attempts }))
              : Effect.failCause(cause as Cause.Cause<never>)
          },
          onDone: () => Effect.andThen(committed.done, Cause.done())
        })
        const pull: Pull.Pull<Arr.NonEmptyReadonlyArray<StreamEvent.StreamEvent>, StreamBroken> = Effect.suspend(() => {
          const head = progress.head
          if (head === undefined) return rest
          progress.head = undefined
          return deliver(head)
        })
        return pull
      }
    )
  ))

/**
 * A whole answer has no first token to watch, so a silent route is only noticed by a limit on the
 * attempt: `total` when set, else half the request's deadline while another route could still answer
 * (the other half is left for it), else the deadline alone.
 */
const wholeAnswerTimeouts = (
  timeouts: StreamTimeouts.Timeouts,
  deadline: Deadline.Deadline,
  last: boolean
): StreamTimeouts.Timeouts =>
  timeouts.total !== undefined || last || deadline.expiresAt === Number.POSITIVE_INFINITY
    ? timeouts
    : { ...timeouts, total: Duration.millis((deadline.expiresAt - deadline.startedAt) / 2) }

export class Router extends Context.Service<Router, RouterShape>()("@switchyard/routing/Router") {}

export type Options = RequestOptions

export const make = (
  defaults: Options = {}
): Effect.Effect<RouterShape, never, RouteHealth.RouteHealth | LatencyStats.LatencyStats | HedgeBudget.HedgeBudget> =>
  Effect.gen(function*() {
    const health = yield* RouteHealth.RouteHealth
    const stats = yield* LatencyStats.LatencyStats
    const budget = yield* HedgeBudget.HedgeBudget
    /**
     * The router's services for a request's routing loop, added in one update of the request's
     * context (merging a whole context would copy every service of the request's, on every request).
     */
    const withServices = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.updateContext(
        self,
        (context: Context.Context<Exclude<R, RouteHealth.RouteHealth | LatencyStats.LatencyStats | HedgeBudget.HedgeBudget>>) =>
          context.pipe(
            Context.add(RouteHealth.RouteHealth, health),
            Context.add(LatencyStats.LatencyStats, stats),
            Context.add(HedgeBudget.HedgeBudget, budget)
          ) as Context.Context<R>
      )

    const plan = (options: RequestOptions, committedIsTotal: boolean) =>
      Effect.map(Deadline.make(options.deadline ?? defaults.deadline), (deadline): Plan => {
        const hedge = options.hedge ?? defaults.hedge
        // A route's turn while another remains: what one whole-answer attempt may take.
        const turn = wholeAnswerTimeouts(timeoutsOf(options, false), deadline, false).total
        return {
          strategy: options.strategy ?? defaults.strategy ?? Strategy.priority,
          policy: options.policy ?? defaults.policy ?? FailoverPolicy.defaults,
          deadline,
          hedge: hedge === false ? undefined : hedge,
          timeoutsJudgeRoutes: options.timeoutsJudgeRoutes ?? true,
          committedIsTotal,
          turn: turn === undefined ? undefined : Duration.fromInputUnsafe(turn)
        }
      })
    const timeoutsOf = (options: RequestOptions, last: boolean) => {
      const own = options.timeouts ?? defaults.timeouts ?? {}
      return last ? options.lastRouteTimeouts ?? defaults.lastRouteTimeouts ?? own : own
    }

    const run: RouterShape["run"] = (routes, call, options = {}) =>
      Effect.gen(function*() {
        const p = yield* plan(options, true)
        const result = yield* execute(routes, (route, role, last, turn) =>
          call(route, role).pipe(
            StreamTimeouts.effect(
              { provider: route.provider, deadline: turn },
              wholeAnswerTimeouts(timeoutsOf(options, last), p.deadline, last)
            )
          ), p)
        return { value: result.value, route: result.route, attempts: [...result.attempts] }
      }).pipe(withServices)

    const stream: RouterShape["stream"] = (routes, call, options = {}) =>
      Effect.gen(function*() {
        const parent = yield* Effect.scope
        const p = yield* plan(options, false)
        const result = yield* execute(routes, (route, role, last, turn) =>
          commit(
            parent,
            route.provider,
            call(route, role).pipe(
              StreamTimeouts.stream({ provider: route.provider, deadline: p.deadline }, timeoutsOf(options, last))
            )
          ).pipe(
            // The turn bounds the wait for the first content, not the committed stream.
            StreamTimeouts.within({ provider: route.provider, deadline: turn }, "first_token", undefined)
          ), p)
        const { head, rest, scope } = result.value
        const attempts = [...result.attempts]
        const startedAt = attempts[attempts.length - 1]?.startedAt ?? p.deadline.startedAt
        const done = Effect.flatMap(Clock.currentTimeMillis, (now) =>
          stats.observe(key(result.route), "total", now - startedAt))
        return {
          route: result.route,
          attempts,
          stream: committedStream({ head, rest, scope, attempts, done })
        }
      }).pipe(withServices)

    const order: RouterShape["order"] = (routes, options = {}) =>
      Strategy.order(options.strategy ?? defaults.strategy ?? Strategy.priority, routes).pipe(withServices)

    return { run, stream, order }
  })

export const layer = (
  defaults: Options = {}
): Layer.Layer<Router, never, RouteHealth.RouteHealth | LatencyStats.LatencyStats | HedgeBudget.HedgeBudget> =>
  Layer.effect(Router, make(defaults))

/** The router with in-memory breakers, statistics and hedge budget (also provided, for inspection). */
export const layerMemory = (options: {
  readonly router?: Options | undefined
  readonly health?: RouteHealth.Options | undefined
  readonly latency?: LatencyStats.Options | undefined
  readonly hedgeBudget?: HedgeBudget.Options | undefined
} = {}): Layer.Layer<Router | RouteHealth.RouteHealth | LatencyStats.LatencyStats | HedgeBudget.HedgeBudget> =>
  layer(options.router).pipe(
    Layer.provideMerge(Layer.mergeAll(
      RouteHealth.layerMemory(options.health),
      LatencyStats.layerMemory(options.latency),
      HedgeBudget.layerMemory(options.hedgeBudget)
    ))
  )
