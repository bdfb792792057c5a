/**
 * Routes and attempts, as the routing package defines them: where a request can go (a configured
 * provider and its upstream model), and what happened each time it went somewhere.
 */
import { Route } from "@switchyard/routing"

export type Route = Route.Route
export type Attempt = Route.Attempt

/** `provider/model`. */
export const label = Route.key
