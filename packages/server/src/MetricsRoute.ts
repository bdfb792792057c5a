/**
 * `GET /metrics`: the gateway's metrics in Prometheus' text format (see `GatewayMetrics`), with each
 * configured route's breaker state read at scrape time. With client keys configured, only admin
 * keys may scrape (Prometheus sends one with `authorization: { credentials: ... }`).
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { Gateway, GatewayMetrics, Route } from "@switchyard/gateway"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorBody from "./ErrorBody.ts"

export const handler = Endpoint.make({}, ({ client, refuse }) =>
  Effect.gen(function*() {
    if (!client.admin) return refuse(ErrorBody.forbidden("Reading metrics needs an admin key."))
    const gateway = yield* Gateway.Gateway
    const routes = yield* gateway.health
    yield* Effect.forEach(routes, ({ route, status }) => GatewayMetrics.breaker(Route.label(route), status), { discard: true })
    return HttpServerResponse.text(yield* PrometheusMetrics.format(), { contentType: "text/plain; version=0.0.4; charset=utf-8" })
  }))
