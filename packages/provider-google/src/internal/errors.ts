/**
 * Google's errors: `{"error": {code, message, status, details}}`, sometimes wrapped in a one-element
 * array (`[{"error": ...}]`), as an HTTP error body or inside a 200 stream. Core's `ErrorClassifier`
 * reads both shapes and knows the `google.rpc.Code` names (RESOURCE_EXHAUSTED → rate_limited with the
 * wait from `RetryInfo.retryDelay`, INVALID_ARGUMENT → bad_request, UNAVAILABLE → overloaded,
 * PERMISSION_DENIED / UNAUTHENTICATED → auth, NOT_FOUND → not_found, INTERNAL → server_error,
 * DEADLINE_EXCEEDED → timeout); what Google words differently is below.
 * https://ai.google.dev/gemini-api/docs/troubleshooting and https://ai.google.dev/gemini-api/docs/rate-limits
 */
import { Effect, Stream } from "effect"
import { type ChatRequest, type Embeddings, ErrorClassifier, JsonValue, type Provider, ProviderError } from "@switchyard/core"

/**
 * A bad key is a 400 INVALID_ARGUMENT ("API key not valid", reason `API_KEY_INVALID`); an oversized
 * prompt says "The input token count (N) exceeds the maximum number of tokens allowed (M)".
 */
export const errorRules: ErrorClassifier.Rules = {
  patterns: [
    [/API key not valid|API_KEY_INVALID|API key expired/i, "auth"],
    [/input token count.*exceeds|exceeds the maximum number of tokens/i, "context_overflow"]
  ]
}

/**
 * A RESOURCE_EXHAUSTED that waiting will not cure, although it carries a retry delay: a quota of 0 on
 * the project's tier ("Quota exceeded for metric: …, limit: 0") or a spent daily quota (a
 * `QuotaFailure` violation `…PerDay…`, reset at midnight Pacific time).
 */
const hardQuota = /limit: 0\b|PerDay/

/** A rate limit that is really a spent quota becomes `QuotaExceeded` (not retryable); others are kept. */
export const refine = (error: ProviderError.ProviderError): ProviderError.ProviderError =>
  error._tag === "RateLimited" && hardQuota.test(`${error.message}\n${error.body ?? ""}`)
    ? ProviderError.make("quota_exceeded", {
      provider: error.provider,
      message: error.message,
      status: error.status,
      retryAfter: error.retryAfter,
      providerCode: error.providerCode,
      param: error.param,
      body: error.body
    })
    : error

/** An error object received in a stream or a response body, its `code` as the status. */
export const errorOf = (provider: string, body: JsonValue.JsonObject): ProviderError.ProviderError => {
  const code = JsonValue.number(JsonValue.record(body["error"])?.["code"])
  return refine(ErrorClassifier.classify({
    provider,
    status: code !== undefined && code >= 400 && code < 600 ? code : undefined,
    body: JSON.stringify(body)
  }, errorRules))
}

/**
 * The provider with `refine` applied to its HTTP errors too. Core classifies those with `errorRules`
 * alone, whose strong code RESOURCE_EXHAUSTED no message rule can override.
 */
export const refineProvider = (provider: Provider.ProviderShape): Provider.ProviderShape => {
  const embed = provider.embed
  const countTokens = provider.countTokens
  return {
    ...provider,
    complete: (request) => provider.complete(request).pipe(Effect.mapError(refine)),
    stream: (request) => provider.stream(request).pipe(Stream.mapError(refine)),
    ...(embed === undefined ? {} : { embed: (request: Embeddings.EmbeddingRequest) => embed(request).pipe(Effect.mapError(refine)) }),
    ...(countTokens === undefined
      ? {}
      : { countTokens: (request: ChatRequest.ChatRequest) => countTokens(request).pipe(Effect.mapError(refine)) })
  }
}
