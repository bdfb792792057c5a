/**
 * Errors as clients see them, in the OpenAI error format: `{"error": {message, type, code, param}}`,
 * where `type` is the normalized category, plus `provider`, `retryable` and, after failover, every
 * attempt. The status and `Retry-After` follow the error, so SDKs raise their matching class
 * (429 → RateLimitError) and back off as asked. Each dialect wraps the body its own way (`Render`);
 * writing it as an HTTP response is the server's.
 */
import { Duration, Effect } from "effect"
import { ProviderError } from "@switchyard/core"

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

/**
 * No route's answer honoured the response format: 422, with what each route got wrong; `param` is
 * the request field that asked for the format.
 */
export const fromContractFailed = (failure: { readonly message: string }, param = "response_format"): HttpError => ({
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

/** How a client dialect wraps an error body. */
export type Render = (error: HttpError) => unknown

/** OpenAI's `{"error": {...}}`. */
export const renderOpenAi: Render = (error) => ({ error: error.body })
