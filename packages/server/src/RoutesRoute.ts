/**
 * `GET /v1/routes`: every configured alias with each of its routes, and every other route the
 * ledger saw in the window (`alias: null`): the route's circuit breaker (`closed`, `open`,
 * `half_open`) and its figures from the ledger over the window (`since`, default the last 15
 * minutes): attempts, errors, error rate, p50/p95/p99 latency, computed by the ledger's store
 * (`Ledger.figures`: no row is read out). A route's figures
 * are over all its attempts, whatever alias asked for them, as its breaker is. Admin keys only.
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { Gateway, Ledger, Route } from "@switchyard/gateway"
import { RouteHealth } from "@switchyard/routing"
import * as Figures from "./Figures.ts"
import * as LedgerQuery from "./LedgerQuery.ts"

export const handler = LedgerQuery.route(({ now, params }) =>
  Effect.gen(function*() {
    const from = yield* LedgerQuery.since(params, now, 15 * 60_000)
    const gateway = yield* Gateway.Gateway
    const health = yield* RouteHealth.RouteHealth
    const rows = yield* Ledger.figures({ from, to: now + 1, groupBy: ["provider", "model"] })
    const ledgered = rows.map((row) => ({ route: { provider: row.group.provider ?? "", model: row.group.model ?? "" }, figures: row.figures }))
    const byRoute = new Map(ledgered.map(({ figures, route }) => [Route.label(route), figures]))
    const configured = gateway.aliases.flatMap(({ alias, routes }) => routes.map((route) => ({ alias, route })))
    const named = new Set(configured.map(({ route }) => Route.label(route)))
    const seen = ledgered.filter(({ route }) => !named.has(Route.label(route))).map(({ route }) => ({ alias: null, route }))
    const data = yield* Effect.forEach([...configured, ...seen], ({ alias, route }) =>
      Effect.map(health.status(Route.label(route)), (breaker) => ({
        alias,
        route: Route.label(route),
        provider: route.provider,
        model: route.model,
        breaker,
        ...Figures.json(byRoute.get(Route.label(route)) ?? Figures.none)
      })))
    return HttpServerResponse.jsonUnsafe({
      object: "list",
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      data
    })
  }))
