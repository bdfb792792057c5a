/**
 * What every gateway answer says about its routing: the request id, the route that answered and
 * every attempt, as headers; and the error answer for a gateway failure in a client's dialect.
 */
import { Effect } from "effect"
import { type Gateway, type GatewayError, Route } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as ErrorResponse from "./ErrorResponse.ts"

export const newRequestId = (): string => `req_${crypto.randomUUID().replaceAll("-", "")}`

/**
 * `x-request-id`, `x-switchyard-provider`, `x-switchyard-model`, and `x-switchyard-attempts`:
 * `provider/model:role=outcome` per attempt, in start order, with `(hedge skipped: budget)` after
 * the outcome of an attempt whose hedge the budget refused.
 */
export const make = (
  requestId: string,
  route: Route.Route | undefined,
  attempts: ReadonlyArray<Route.Attempt>
): Record<string, string> => ({
  "x-request-id": requestId,
  ...(route === undefined ? {} : { "x-switchyard-provider": route.provider, "x-switchyard-model": route.model }),
  "x-switchyard-attempts": attempts.map(attemptLabel).join(", ")
})

const hedgeNotes: Record<NonNullable<Route.Attempt["hedge"]>, string> = { skipped_budget: "hedge skipped: budget" }

/** `provider/model:role=outcome`, then `(note)` when the attempt carries a hedge note. */
const attemptLabel = (a: Route.Attempt): string =>
  `${Route.label(a.route)}:${a.role}=${a.outcome}${a.hedge === undefined ? "" : `(${hedgeNotes[a.hedge]})`}`

/**
 * The headers of an answer held to an output contract: the routing ones, `x-switchyard-contract`
 * (`route=outcome` per route tried) and `x-switchyard-repairs` (the repairs applied, if any).
 */
export const conformed = (requestId: string, answer: Gateway.ConformedAnswer): Record<string, string> => ({
  ...make(requestId, answer.route, answer.attempts),
  "x-switchyard-contract": answer.conformance.map((a) => `${a.route}=${a.outcome}`).join(", "),
  ...(answer.repairs.length === 0 ? {} : { "x-switchyard-repairs": answer.repairs.map((r) => r.split(":")[0]).join(", ") })
})

/** The error response for a gateway failure, with the attempts in the headers too. */
export const failure = (requestId: string, render: ErrorBody.Render = ErrorBody.renderOpenAi) =>
(error: GatewayError.GatewayError) =>
  Effect.succeed(ErrorResponse.toResponse(
    ErrorResponse.fromGatewayError(error),
    make(requestId, undefined, error._tag === "RoutesExhausted" ? error.attempts : []),
    render
  ))
