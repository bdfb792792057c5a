/**
 * `GET /metrics`: the gateway's metrics in Prometheus' text format (see `GatewayMetrics`), with the
 * breaker state, read at scrape time, of every alias's route and of every route attempted since
 * start. With client keys configured, only admin keys may scrape (Prometheus sends one with
 * `authorization: { credentials: ... }`).
 */
import { Effect, Metric } from "effect"
import { HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { Gateway, GatewayMetrics, Route } from "@switchyard/gateway"
import { RouteHealth } from "@switchyard/routing"
import * as Endpoint from "./Endpoint.ts"

/** `provider/model` of every route in the aliases or in the attempts counted so far. */
const knownRoutes = Effect.gen(function*() {
  const gateway = yield* Gateway.Gateway
  const configured = gateway.aliases.flatMap(({ routes }) => routes.map(Route.label))
  const attempted = (yield* Metric.snapshot).flatMap((metric) => {
    const attributes = metric.attributes
    // `other` stands for the values past a label's bound: no route by that name.
    return metric.id === GatewayMetrics.attempts.id && attributes !== undefined && attributes["provider"] !== "other" &&
        attributes["model"] !== "other"
      ? [`${attributes["provider"]}/${attributes["model"]}`]
      : []
  })
  return [...new Set([...configured, ...attempted])]
})

export const handler = Endpoint.make({ admin: true }, () =>
  Effect.gen(function*() {
    const health = yield* RouteHealth.RouteHealth
    yield* Effect.forEach(yield* knownRoutes, (route) => Effect.flatMap(health.status(route), (status) => GatewayMetrics.breaker(route, status)), {
      discard: true
    })
    return HttpServerResponse.text(yield* PrometheusMetrics.format(), { contentType: "text/plain; version=0.0.4; charset=utf-8" })
  }))
