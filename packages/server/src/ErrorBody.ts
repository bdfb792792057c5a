/**
 * Errors as clients see them, in the OpenAI error format: `{"error": {message, type, code, param}}`,
 * where `type` is the normalized category, plus `provider`, `retryable` and, after failover, every
 * attempt. The status and `Retry-After` header follow the error, so SDKs raise their matching class
 * (429 → RateLimitError) and back off as asked.
 */
import { Duration, Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { ProviderError } from "@switchyard/core"
import type { GatewayError, Route } from "@switchyard/gateway"
import type { Conform } from "@switchyard/prompts"

export interface ErrorBody {
  readonly message: string
  readonly type: string
  readonly code: string | null
  readonly param: string | null
  readonly provider: string | null
  readonly retryable: boolean
  readonly attempts?: ReadonlyArray<{
    readonly provider: string
    readonly model: string
    readonly role: string
    readonly outcome: string
    readonly status: number | null
    readonly duration_ms: number
  }>
}

export interface HttpError {
  readonly status: number
  readonly body: ErrorBody
  readonly retryAfter?: Duration.Duration | undefined
}

export const fromProviderError = (error: ProviderError.ProviderError): HttpError => ({
  status: ProviderError.httpStatus(error),
  body: {
    message: error.message,
    type: error.category,
    code: error.providerCode ?? error.category,
    param: error.param ?? null,
    provider: error.provider,
    retryable: error.retryable
  },
  retryAfter: error.retryAfter
})

const attemptsOf = (attempts: ReadonlyArray<Route.Attempt>) =>
  attempts.map((a) => ({
    provider: a.route.provider,
    model: a.route.model,
    role: a.role,
    outcome: a.outcome,
    status: a.status ?? null,
    duration_ms: a.durationMs
  }))

export const fromGatewayError = (error: GatewayError.GatewayError): HttpError => {
  switch (error._tag) {
    case "UnknownModel":
      return {
        status: 404,
        body: { message: error.message, type: "not_found", code: "model_not_found", param: "model", provider: null, retryable: false }
      }
    case "RoutesExhausted": {
      const last = fromProviderError(error.last)
      return { ...last, body: { ...last.body, message: error.message, attempts: attemptsOf(error.attempts) } }
    }
    case "BudgetExceeded":
      return {
        status: 429,
        body: { message: error.message, type: "budget_exceeded", code: "budget_exceeded", param: null, provider: null, retryable: false }
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

/**
 * No route's answer honoured the response format: 422, with what each route got wrong; `param` is
 * the request field that asked for the format.
 */
export const fromContractFailed = (failure: Conform.ContractFailed, param = "response_format"): HttpError => ({
  status: 422,
  body: { message: failure.message, type: "contract_failed", code: "contract_failed", param, provider: null, retryable: false }
})

/**
 * Runs a request translation that throws an `HttpError` for what it cannot translate; anything
 * else it throws becomes a 400 with its message.
 */
export const translating = <A>(translate: () => A): Effect.Effect<A, HttpError> =>
  Effect.try({
    try: translate,
    catch: (e) =>
      typeof e === "object" && e !== null && "status" in e && "body" in e ? e as HttpError : badRequest(String(e))
  })

/** A request the gateway itself refuses; `param` names the field. */
export const badRequest = (message: string, param: string | null = null, code = "invalid_request"): HttpError => ({
  status: 400,
  body: { message, type: "bad_request", code, param, provider: null, retryable: false }
})

export const notFound = (message: string): HttpError => ({
  status: 404,
  body: { message, type: "not_found", code: "not_found", param: null, provider: null, retryable: false }
})

/** The cost ledger failed to answer (its store is down). */
export const ledgerUnavailable = (message: string): HttpError => ({
  status: 500,
  body: { message, type: "server_error", code: "ledger_unavailable", param: null, provider: null, retryable: true }
})

/** How a client dialect wraps an error body. */
export type Render = (error: HttpError) => unknown

/** OpenAI's `{"error": {...}}`. */
export const renderOpenAi: Render = (error) => ({ error: error.body })

export const toResponse = (
  error: HttpError,
  headers: Record<string, string> = {},
  render: Render = renderOpenAi
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(render(error), {
    status: error.status,
    headers: error.retryAfter === undefined
      ? headers
      : { ...headers, "retry-after": String(Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))) }
  })
