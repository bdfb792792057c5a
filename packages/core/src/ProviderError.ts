/**
 * Every way a provider call can fail, as one tagged union. Each member carries its normalized
 * `category` and a literal `retryable`, so `if (error.retryable)` narrows the type. The raw body is kept
 * for debugging with secrets redacted (see `Redact`).
 */
import { Data, Duration } from "effect"

/** What every provider error carries. */
export interface ProviderErrorFields {
  /** The configured provider name (for example `openai`, `groq`). */
  readonly provider: string
  readonly message: string
  /** The HTTP status, when the failure came with one. */
  readonly status?: number | undefined
  /** How long the provider asked us to wait, from headers or body. */
  readonly retryAfter?: Duration.Duration | undefined
  /** The provider's own error code or type (`insufficient_quota`, `overloaded_error`, ...). */
  readonly providerCode?: string | undefined
  /** The parameter the provider blamed, when it said. */
  readonly param?: string | undefined
  /** The raw body, secrets redacted, truncated. */
  readonly body?: string | undefined
}

/** Which phase of a call ran out of time. */
export type TimeoutPhase = "connect" | "first_token" | "idle" | "deadline"

export class RateLimited extends Data.TaggedError("RateLimited")<ProviderErrorFields> {
  readonly category = "rate_limited" as const
  readonly retryable = true as const
}
export class QuotaExceeded extends Data.TaggedError("QuotaExceeded")<ProviderErrorFields> {
  readonly category = "quota_exceeded" as const
  readonly retryable = false as const
}
export class ContextOverflow extends Data.TaggedError("ContextOverflow")<ProviderErrorFields> {
  readonly category = "context_overflow" as const
  readonly retryable = false as const
}
export class BadRequest extends Data.TaggedError("BadRequest")<ProviderErrorFields> {
  readonly category = "bad_request" as const
  readonly retryable = false as const
}
export class AuthFailed extends Data.TaggedError("AuthFailed")<ProviderErrorFields> {
  readonly category = "auth" as const
  readonly retryable = false as const
}
export class NotFound extends Data.TaggedError("NotFound")<ProviderErrorFields> {
  readonly category = "not_found" as const
  readonly retryable = false as const
}
export class Timeout extends Data.TaggedError("Timeout")<ProviderErrorFields & { readonly phase: TimeoutPhase }> {
  readonly category = "timeout" as const
  readonly retryable = true as const
}
export class Overloaded extends Data.TaggedError("Overloaded")<ProviderErrorFields> {
  readonly category = "overloaded" as const
  readonly retryable = true as const
}
export class ServerError extends Data.TaggedError("ServerError")<ProviderErrorFields> {
  readonly category = "server_error" as const
  readonly retryable = true as const
}
export class ContentFiltered extends Data.TaggedError("ContentFiltered")<ProviderErrorFields> {
  readonly category = "content_filter" as const
  readonly retryable = false as const
}
/** A stream that broke after it started: cut, stalled, or ended with a malformed tail. */
export class StreamInterrupted extends Data.TaggedError("StreamInterrupted")<ProviderErrorFields> {
  readonly category = "stream_interrupted" as const
  readonly retryable = true as const
}
export class UnknownProviderError extends Data.TaggedError("UnknownProviderError")<ProviderErrorFields> {
  readonly category = "unknown" as const
  readonly retryable = false as const
}

export type ProviderError =
  | RateLimited
  | QuotaExceeded
  | ContextOverflow
  | BadRequest
  | AuthFailed
  | NotFound
  | Timeout
  | Overloaded
  | ServerError
  | ContentFiltered
  | StreamInterrupted
  | UnknownProviderError

export type Category = ProviderError["category"]

/** Every category, in a stable order (for docs, metrics and exhaustive tests). */
export const categories: ReadonlyArray<Category> = [
  "rate_limited",
  "quota_exceeded",
  "context_overflow",
  "bad_request",
  "auth",
  "not_found",
  "timeout",
  "overloaded",
  "server_error",
  "content_filter",
  "stream_interrupted",
  "unknown"
]

/** Builds the error of a category. Timeouts made here are `deadline` timeouts. */
export const make = (category: Category, fields: ProviderErrorFields): ProviderError => {
  switch (category) {
    case "rate_limited":
      return new RateLimited(fields)
    case "quota_exceeded":
      return new QuotaExceeded(fields)
    case "context_overflow":
      return new ContextOverflow(fields)
    case "bad_request":
      return new BadRequest(fields)
    case "auth":
      return new AuthFailed(fields)
    case "not_found":
      return new NotFound(fields)
    case "timeout":
      return new Timeout({ ...fields, phase: "deadline" })
    case "overloaded":
      return new Overloaded(fields)
    case "server_error":
      return new ServerError(fields)
    case "content_filter":
      return new ContentFiltered(fields)
    case "stream_interrupted":
      return new StreamInterrupted(fields)
    case "unknown":
      return new UnknownProviderError(fields)
  }
}

const tags = new Set<string>([
  "RateLimited",
  "QuotaExceeded",
  "ContextOverflow",
  "BadRequest",
  "AuthFailed",
  "NotFound",
  "Timeout",
  "Overloaded",
  "ServerError",
  "ContentFiltered",
  "StreamInterrupted",
  "UnknownProviderError"
])

export const isProviderError = (u: unknown): u is ProviderError =>
  typeof u === "object" && u !== null && "_tag" in u && tags.has((u as { _tag: string })._tag) && "category" in u

/** The HTTP status a gateway answers with for an error of this category. */
export const httpStatus = (error: ProviderError): number => {
  switch (error.category) {
    case "rate_limited":
    case "quota_exceeded":
      return 429
    case "context_overflow":
    case "bad_request":
    case "content_filter":
      return 400
    case "auth":
      return error.status === 403 ? 403 : 401
    case "not_found":
      return 404
    case "timeout":
      return 504
    case "overloaded":
      return 503
    case "server_error":
    case "stream_interrupted":
    case "unknown":
      return 502
  }
}
