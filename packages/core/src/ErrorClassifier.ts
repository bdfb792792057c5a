/**
 * The one classifier of provider failures. It reads any body (JSON of any shape, JSON served with the
 * wrong content type, SSE-framed JSON, HTML error pages, plain text), derives `retryAfter` from headers
 * or body, and decides the category from, in order: a billing stop named in the message, the provider's
 * own code, what the message says, then the HTTP status. Providers add a small table of differences
 * (`Rules`), never a copy of this.
 */
import { Duration } from "effect"
import * as ProviderError from "./ProviderError.ts"
import { redact, redactBody } from "./Redact.ts"

/** A failed HTTP exchange, or an error event inside a stream (status absent or 200). */
export interface HttpFailure {
  readonly provider: string
  readonly status?: number | undefined
  /** Response headers, names lower-cased. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body: string
  /** Secrets to mask in the kept body (the provider's API key). */
  readonly secrets?: ReadonlyArray<string> | undefined
}

/** A provider's differences from the default classification. */
export interface Rules {
  /** Provider error codes/types/statuses (exact, case-sensitive) and their category. */
  readonly codes?: Readonly<Record<string, ProviderError.Category>> | undefined
  /** Message patterns checked before the default ones. */
  readonly patterns?: ReadonlyArray<readonly [RegExp, ProviderError.Category]> | undefined
}

/** What could be read out of an error body. */
export interface ParsedBody {
  readonly message: string | undefined
  /** Candidate codes, most specific first: `error.code`, `error.type`, `error.status`, ... */
  readonly codes: ReadonlyArray<string>
  readonly param: string | undefined
  /** A retry delay stated in the body (Google's `RetryInfo.retryDelay`, "try again in 20s"). */
  readonly retryAfter: Duration.Duration | undefined
}

const defaultCodes: Readonly<Record<string, ProviderError.Category>> = {
  // OpenAI and the compatible family
  insufficient_quota: "quota_exceeded",
  billing_hard_limit_reached: "quota_exceeded",
  context_length_exceeded: "context_overflow",
  string_above_max_length: "context_overflow",
  rate_limit_exceeded: "rate_limited",
  rate_limited: "rate_limited",
  tokens_exceeded: "rate_limited",
  content_filter: "content_filter",
  content_policy_violation: "content_filter",
  model_not_found: "not_found",
  invalid_api_key: "auth",
  // Anthropic
  rate_limit_error: "rate_limited",
  overloaded_error: "overloaded",
  authentication_error: "auth",
  permission_error: "auth",
  not_found_error: "not_found",
  request_too_large: "bad_request",
  api_error: "server_error",
  timeout_error: "timeout",
  billing_error: "quota_exceeded",
  // Google (gRPC status names)
  RESOURCE_EXHAUSTED: "rate_limited",
  UNAVAILABLE: "overloaded",
  UNAUTHENTICATED: "auth",
  PERMISSION_DENIED: "auth",
  NOT_FOUND: "not_found",
  DEADLINE_EXCEEDED: "timeout",
  INTERNAL: "server_error"
}

/** Codes that say little by themselves: the message may refine them (a too-long prompt is a 400 too). */
const weakCodes: Readonly<Record<string, ProviderError.Category>> = {
  invalid_request_error: "bad_request",
  INVALID_ARGUMENT: "bad_request",
  FAILED_PRECONDITION: "bad_request",
  server_error: "server_error",
  tool_use_failed: "bad_request"
}

/**
 * Billing stops: credits, balance or a spending cap ran out, or the tier grants nothing ("limit: 0").
 * Waiting cures none of these, so they win over every code (a 429 typed as a rate limit, a 400
 * `invalid_request_error`, a 403) and over any retry delay.
 */
const billingStops =
  /credit balance is too low|insufficient[ _-]?(balance|credits?|funds)|(requires|need) more credits|more credits are required|can only afford|(used all( available)?|run out of|out of) credits|credit limit exceeded|spend(ing)?[ _-]limit|monthly (usage |spend(ing)? )?limit|reached your specified api usage limits|billing[ _-]hard[ _-]limit|limit: 0\b/i

/**
 * Quota words that are a billing stop unless the provider says when to come back: Gemini words its
 * per-minute limits "You exceeded your current quota" too, with a `RetryInfo` delay.
 */
const quotaSpent = /exceeded your current quota|insufficient[ _-]?quota/i

const defaultPatterns: ReadonlyArray<readonly [RegExp, ProviderError.Category]> = [
  [
    /context[ _-]?(length|window)|maximum context|prompt is too long|too many (input )?tokens|input is too long|reduce the length of|exceeds? the (model's )?(maximum|max) (input |context )?(length|tokens)|exceed\w* (the )?(model'?s? )?(maximum )?token limit/i,
    "context_overflow"
  ],
  // Before the billing words: rate-limit messages link to billing pages ("add a payment method at .../billing").
  [
    /rate[ _-]?limit|too many requests|throttl|(requests|tokens|queries) per (min|minute|sec|second)\b|slow down/i,
    "rate_limited"
  ],
  [/billing|payment required/i, "quota_exceeded"],
  [/content[ _-]?(filter|policy|management)|safety (system|filter)|flagged/i, "content_filter"],
  [/overloaded|over capacity|at capacity|temporarily unavailable|high demand/i, "overloaded"],
  [
    /invalid[ _-]?api[ _-]?key|incorrect api key|api key (is )?(not valid|invalid|expired)|pass a valid api key|bad credentials|unauthori[sz]ed|unauthenticated|authentication/i,
    "auth"
  ]
]

const byStatus = (status: number | undefined): ProviderError.Category => {
  if (status === undefined) return "unknown"
  if (status === 401 || status === 403) return "auth"
  if (status === 402) return "quota_exceeded"
  if (status === 404) return "not_found"
  if (status === 408 || status === 504 || status === 524) return "timeout"
  if (status === 413) return "context_overflow"
  if (status === 429) return "rate_limited"
  if (status === 503 || status === 529) return "overloaded"
  if (status >= 400 && status < 500) return "bad_request"
  if (status >= 500) return "server_error"
  return "unknown"
}

// ---------------------------------------------------------------------------------------------
// body parsing

const asString = (u: unknown): string | undefined =>
  typeof u === "string" && u.length > 0 ? u : typeof u === "number" ? String(u) : undefined

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** JSON in the body: the whole body, or the `data:` lines of an SSE-framed error. */
const jsonOf = (body: string): unknown => {
  const trimmed = body.trim()
  const whole = parseJson(trimmed)
  if (whole !== undefined) return whole
  const data = trimmed
    .split(/\r\n|\r|\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trim())
    .join("\n")
  return data.length > 0 ? parseJson(data) : undefined
}

const durationFromText = (text: string): Duration.Duration | undefined => {
  const match = /(?:try again|retry) (?:in|after) (\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|minutes?)\b/i.exec(text)
  if (!match) return undefined
  const value = Number(match[1])
  const unit = match[2]!.toLowerCase()
  return unit.startsWith("ms") || unit.startsWith("milli")
    ? Duration.millis(value)
    : unit.startsWith("m") && !unit.startsWith("ms")
    ? Duration.seconds(value * 60)
    : Duration.millis(Math.round(value * 1000))
}

/** Google's `"34s"` / `"1.5s"` protobuf durations. */
const protoDuration = (u: unknown): Duration.Duration | undefined => {
  const text = asString(u)
  const match = text === undefined ? null : /^(\d+(?:\.\d+)?)s$/.exec(text)
  return match ? Duration.millis(Math.round(Number(match[1]) * 1000)) : undefined
}

const fromObject = (root: unknown): ParsedBody | undefined => {
  const top = record(Array.isArray(root) ? root[0] : root)
  if (!top) return undefined
  const error = record(top["error"]) ?? top
  const errorString = asString(top["error"])
  const metadata = record(error["metadata"])
  const details = Array.isArray(error["details"]) ? (error["details"] as ReadonlyArray<unknown>) : []
  const firstOfErrors = Array.isArray(top["errors"]) ? record(top["errors"][0]) : undefined
  const message = asString(error["message"]) ?? errorString ?? asString(top["detail"]) ??
    asString(firstOfErrors?.["message"]) ?? asString(top["msg"])
  const raw = asString(metadata?.["raw"])
  const codes = [error["code"], error["type"], error["status"], top["type"], top["code"]]
    .map(asString)
    .filter((c): c is string => c !== undefined)
  const retryDelay = details.map((d) => protoDuration(record(d)?.["retryDelay"])).find((d) => d !== undefined)
  return {
    message: raw && message ? `${message}: ${raw}` : (message ?? raw),
    codes,
    param: asString(error["param"]),
    retryAfter: retryDelay
  }
}

const htmlText = (body: string): string | undefined => {
  if (!/<\s*(html|!doctype|head|body|title|h1)\b/i.test(body)) return undefined
  const pick = (tag: string) => new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "i").exec(body)?.[1]
  const text = [pick("title"), pick("h1")]
    .filter((t): t is string => t !== undefined)
    .map((t) => t.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim())
    .filter((t, i, all) => t.length > 0 && all.indexOf(t) === i)
    .join(": ")
  return text.length > 0 ? text : "HTML error page"
}

/** Reads message, codes, param and retry delay out of any error body. */
export const parseBody = (body: string): ParsedBody => {
  const json = jsonOf(body)
  const fromJson = fromObject(json)
  // A body that is one JSON string (xAI's 429s) is the message itself.
  const message = fromJson?.message ?? asString(json) ?? htmlText(body) ?? (body.trim().slice(0, 300) || undefined)
  return {
    message,
    codes: fromJson?.codes ?? [],
    param: fromJson?.param,
    retryAfter: fromJson?.retryAfter ?? (message === undefined ? undefined : durationFromText(message))
  }
}

// ---------------------------------------------------------------------------------------------
// headers

/** The delay asked for by `retry-after-ms`, `retry-after` (seconds or HTTP date) or reset headers. */
export const retryAfterFromHeaders = (
  headers: Readonly<Record<string, string>>,
  now: number = Date.now()
): Duration.Duration | undefined => {
  const ms = Number(headers["retry-after-ms"])
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return Duration.millis(ms)
  const header = headers["retry-after"]
  if (header !== undefined) {
    const seconds = Number(header)
    if (header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return Duration.millis(seconds * 1000)
    const date = Date.parse(header)
    if (Number.isFinite(date)) return Duration.millis(Math.max(0, date - now))
  }
  const reset = headers["x-ratelimit-reset-requests"] ?? headers["x-ratelimit-reset-tokens"]
  return reset === undefined ? undefined : goDuration(reset)
}

/** OpenAI-style reset values: `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
const goDuration = (text: string): Duration.Duration | undefined => {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text.trim()) return undefined
  const scale: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  return Duration.millis(Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * scale[p[2]!]!, 0)))
}

// ---------------------------------------------------------------------------------------------
// classification

/** Text as a reader sees it: URL-encoded messages (`Incorrect%20API%20key`, `invalid+api+key`) decoded. */
const readable = (text: string): string =>
  /%[0-9a-f]{2}|\w\+\w/i.test(text)
    ? text.replace(/\+/g, " ").replace(/(%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run
      }
    })
    : text

const categoryOf = (
  status: number | undefined,
  parsed: ParsedBody,
  rules: Rules | undefined,
  askedToWait: boolean
): ProviderError.Category => {
  const text = readable(parsed.message ?? "")
  const said = [text, ...parsed.codes].join("\n")
  if (billingStops.test(said)) return "quota_exceeded"
  if (!askedToWait && quotaSpent.test(said)) return "quota_exceeded"
  const strong = { ...defaultCodes, ...rules?.codes }
  for (const code of parsed.codes) {
    const category = strong[code]
    if (category) return category
  }
  for (const [pattern, category] of [...(rules?.patterns ?? []), ...defaultPatterns]) {
    // A failure that asks us to come back later is a rate limit, whatever billing words it uses.
    if (category === "quota_exceeded" && askedToWait) continue
    if (pattern.test(text)) return category
  }
  for (const code of parsed.codes) {
    const category = weakCodes[code]
    if (category) return category
  }
  return byStatus(status)
}

/** Classifies a failed exchange into a `ProviderError`. */
export const classify = (failure: HttpFailure, rules?: Rules): ProviderError.ProviderError => {
  const parsed = parseBody(failure.body)
  const headerDelay = failure.headers ? retryAfterFromHeaders(failure.headers) : undefined
  const retryAfter = headerDelay ?? parsed.retryAfter
  // Only an explicit "come back in N": `x-ratelimit-reset-*` describe a window and come on ordinary answers too.
  const askedToWait = failure.headers?.["retry-after"] !== undefined ||
    failure.headers?.["retry-after-ms"] !== undefined || parsed.retryAfter !== undefined
  const category = categoryOf(failure.status, parsed, rules, askedToWait)
  const statusText = failure.status === undefined ? "" : `HTTP ${failure.status}: `
  return ProviderError.make(category, {
    provider: failure.provider,
    message: redact(`${failure.provider}: ${statusText}${parsed.message ?? "empty error body"}`, failure.secrets),
    status: failure.status,
    retryAfter,
    providerCode: parsed.codes[0],
    param: parsed.param,
    body: redactBody(failure.body, failure.secrets)
  })
}
