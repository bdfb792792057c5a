/**
 * Routes and attempts: where a request can go, and what happened each time it went somewhere.
 */
import type { ProviderError } from "@switchyard/core"

/** One place a request can be served: a configured provider and its upstream model name. */
export interface Route {
  readonly provider: string
  readonly model: string
}

/** One try of one route. */
export interface Attempt {
  readonly route: Route
  /** `ok`, or the error category. */
  readonly outcome: "ok" | ProviderError.Category
  readonly status?: number | undefined
  readonly durationMs: number
}

export const label = (route: Route): string => `${route.provider}/${route.model}`

/**
 * Whether a failure should move on to the next route. Everything moves on except failures that
 * would fail the same way anywhere: a malformed request and a content-filter verdict.
 */
export const movesOn = (error: ProviderError.ProviderError): boolean =>
  error.category !== "bad_request" && error.category !== "content_filter"
