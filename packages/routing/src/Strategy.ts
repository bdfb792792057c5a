/**
 * The order in which a request tries its routes. Every strategy puts routes whose breaker is open
 * last (kept, so a request still has somewhere to go when all are open); otherwise:
 *
 * - `priority`: by `priority` (lower first), then config order;
 * - `weighted`: a random order where a route's chance to come first is its share of the weights
 *   (from Effect's `Random`, so `Random.withSeed` makes it reproducible);
 * - `lowestLatency`: by a latency quantile (default time-to-first-token p50); unmeasured routes
 *   after measured ones, in config order;
 * - `lowestPrice`: by a price function (cheapest first).
 */
import { Duration, Effect, Option, Random } from "effect"
import { LatencyStats, type Kind } from "./LatencyStats.ts"
import { key, type Route } from "./Route.ts"
import { RouteHealth } from "./RouteHealth.ts"

export type Strategy =
  | { readonly _tag: "Priority" }
  | { readonly _tag: "Weighted" }
  | { readonly _tag: "LowestLatency"; readonly kind: Kind; readonly quantile: number }
  | { readonly _tag: "LowestPrice"; readonly price: (route: Route) => number }

export const priority: Strategy = { _tag: "Priority" }
export const weighted: Strategy = { _tag: "Weighted" }
export const lowestLatency = (options: { readonly kind?: Kind; readonly quantile?: number } = {}): Strategy => ({
  _tag: "LowestLatency",
  kind: options.kind ?? "ttft",
  quantile: options.quantile ?? 0.5
})
export const lowestPrice = (price: (route: Route) => number): Strategy => ({ _tag: "LowestPrice", price })

/** Stable sort by a numeric score (lower first). */
const byScore = (routes: ReadonlyArray<Route>, scores: ReadonlyArray<number>): Array<Route> =>
  routes.map((route, i) => ({ route, score: scores[i]!, i }))
    .sort((a, b) => a.score - b.score || a.i - b.i)
    .map(({ route }) => route)

const scores = (strategy: Strategy, routes: ReadonlyArray<Route>): Effect.Effect<Array<number>, never, LatencyStats> => {
  switch (strategy._tag) {
    case "Priority":
      return Effect.succeed(routes.map((r) => r.priority ?? Number.POSITIVE_INFINITY))
    case "Weighted":
      // Efraimidis–Spirakis: sorting by -u^(1/w) draws routes without replacement in proportion to weight.
      return Effect.forEach(routes, (r) =>
        Effect.map(Random.next, (u) => {
          const w = r.weight ?? 1
          return w > 0 ? -Math.pow(u, 1 / w) : Number.POSITIVE_INFINITY
        }))
    case "LowestLatency":
      return Effect.gen(function*() {
        const stats = yield* LatencyStats
        return yield* Effect.forEach(routes, (r) =>
          Effect.map(
            stats.quantile(key(r), strategy.kind, strategy.quantile),
            Option.match({ onNone: () => Number.POSITIVE_INFINITY, onSome: Duration.toMillis })
          ))
      })
    case "LowestPrice":
      return Effect.succeed(routes.map(strategy.price))
  }
}

/** The routes in the order to try them. */
export const order = (
  strategy: Strategy,
  routes: ReadonlyArray<Route>
): Effect.Effect<Array<Route>, never, LatencyStats | RouteHealth> =>
  Effect.gen(function*() {
    const health = yield* RouteHealth
    const ordered = byScore(routes, yield* scores(strategy, routes))
    const open = yield* Effect.forEach(ordered, (r) => Effect.map(health.status(key(r)), (s) => (s === "open" ? 1 : 0)))
    return byScore(ordered, open)
  })
