/**
 * A route: one model on one configured provider, the unit that routing orders, guards and measures.
 * Its `key` (`provider/model`) names its circuit breaker and its latency statistics.
 */
import type { ProviderError } from "@switchyard/core"

export interface Route {
  readonly provider: string
  readonly model: string
  /** Share of traffic under the weighted strategy (default 1; 0 or less: only when others fail). */
  readonly weight?: number | undefined
  /** Lower goes first under the priority strategy; routes without one keep config order after. */
  readonly priority?: number | undefined
}

/** The key of a route's breaker and statistics: `provider/model`. */
export const key = (route: Route): string => `${route.provider}/${route.model}`

/**
 * Why an attempt ran: the first try, a retry of the same route, a hedge started while another
 * attempt was still running, or a later route after a failure (failover or context fallback).
 */
export type Role = "primary" | "retry" | "hedge" | "fallback"

/**
 * How an attempt ended: `ok`, the failure's category, `cancelled` (lost a hedge race), or no call
 * made: `circuit_open` (the route's breaker refused it) or `cooling_down` (it said it is rate
 * limited, and its Retry-After has not passed).
 */
export type Outcome = "ok" | ProviderError.Category | "cancelled" | "circuit_open" | "cooling_down"

/** One attempt of a routed request. */
export interface Attempt {
  readonly route: Route
  readonly role: Role
  readonly outcome: Outcome
  /** The HTTP status of the failure, when it came with one. */
  readonly status?: number | undefined
  /** Clock milliseconds. */
  readonly startedAt: number
  /** Until the answer (whole answers) or the first content event (streams), or the failure. */
  readonly durationMs: number
  /** For `circuit_open` and `cooling_down`: when the route is usable again (Clock ms), and why not now. */
  readonly circuit?: { readonly reopensAt: number; readonly openedBy: string | undefined } | undefined
  /** Set when this attempt outlived the hedge delay but the hedge budget refused the hedge. */
  readonly hedge?: HedgeNote | undefined
}

/** What became of the hedge an attempt was due: `skipped_budget`, the budget refused it. */
export type HedgeNote = "skipped_budget"
