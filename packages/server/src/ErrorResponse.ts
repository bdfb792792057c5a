/**
 * Gateway failures as the errors clients see (`ErrorBody`), and any of them as an HTTP response: the
 * status, the body in the route's dialect, and `Retry-After` when the error says when to come back.
 */
import { Duration } from "effect"
import { HttpServerResponse } from "effect/http"
import type { GatewayError, Route } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"

const attemptsOf = (attempts: ReadonlyArray<Route.Attempt>) =>
  attempts.map((a) => ({
    provider: a.route.provider,
    model: a.route.model,
    role: a.role,
    outcome: a.outcome,
    status: a.status ?? null,
    duration_ms: a.durationMs
  }))

/** A gateway failure as the client sees it: the provider's error after failover, with every attempt. */
export const fromGatewayError = (error: GatewayError.GatewayError): ErrorBody.HttpError => {
  switch (error._tag) {
    case "UnknownModel":
      return {
        status: 404,
        body: { message: error.message, type: "not_found", code: "model_not_found", param: "model", provider: null, retryable: false }
      }
    case "RoutesExhausted": {
      const last = ErrorBody.fromProviderError(error.last)
      return { ...last, body: { ...last.body, message: error.message, attempts: attemptsOf(error.attempts) } }
    }
    case "BudgetExceeded":
      // Not retryable by a client's retry loop (a window may end hours later), but `Retry-After`
      // says when a calendar window ends.
      return {
        status: 429,
        body: { message: error.message, type: "budget_exceeded", code: "budget_exceeded", param: null, provider: null, retryable: false },
        retryAfter: error.retryAfterMs === undefined ? undefined : Duration.millis(error.retryAfterMs)
      }
    case "RateLimited":
      // The gateway's own limit, not a provider's 429 (type `rate_limited`, with its provider): no
      // upstream was called.
      return {
        status: 429,
        body: {
          message: error.message,
          type: "rate_limit_exceeded",
          code: "rate_limited",
          param: null,
          provider: null,
          retryable: error.retryAfterMs !== undefined
        },
        retryAfter: error.retryAfterMs === undefined ? undefined : Duration.millis(error.retryAfterMs)
      }
  }
}

/** The cost ledger failed to answer (its store is down). */
export const ledgerUnavailable = (message: string): ErrorBody.HttpError => ({
  status: 500,
  body: { message, type: "server_error", code: "ledger_unavailable", param: null, provider: null, retryable: true }
})

/** The error as a JSON response in `render`'s dialect, with `Retry-After` when it says when to come back. */
export const toResponse = (
  error: ErrorBody.HttpError,
  headers: Record<string, string> = {},
  render: ErrorBody.Render = ErrorBody.renderOpenAi
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(render(error), {
    status: error.status,
    headers: error.retryAfter === undefined
      ? headers
      : { ...headers, "retry-after": String(Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))) }
  })
