/**
 * What the gateway itself can fail with, on top of provider errors: a model nobody serves, every
 * route of a request having failed (with each attempt listed), a spend limit reached, and a rate
 * limit of the gateway's own reached (before any upstream call, unlike a provider's 429).
 */
import { Data } from "effect"
import type { ProviderError } from "@switchyard/core"
import type { Budgets, RateLimits } from "@switchyard/cost"
import type { Attempt } from "./Route.ts"

/** The request named a model that is neither an alias, nor `provider/model`, nor offered by a provider. */
export class UnknownModel extends Data.TaggedError("UnknownModel")<{
  readonly model: string
  readonly known: ReadonlyArray<string>
}> {
  override get message(): string {
    return `The model "${this.model}" does not exist or is not routed. Use an alias (${
      this.known.join(", ") || "none configured"
    }) or provider/model.`
  }
}

/**
 * The request could not be served: every route failed or was skipped (open breakers, a spent
 * deadline), or a failure stopped it (a bad request, a content filter). `last` decides the status
 * the client sees.
 */
export class RoutesExhausted extends Data.TaggedError("RoutesExhausted")<{
  readonly attempts: ReadonlyArray<Attempt>
  readonly last: ProviderError.ProviderError
}> {
  override get message(): string {
    if (this.attempts.length <= 1) return this.last.message
    const list = this.attempts
      .map((a) => `${a.route.provider}/${a.route.model} (${a.role}): ${a.outcome}${a.status === undefined ? "" : ` (${a.status})`} in ${a.durationMs} ms`)
      .join("; ")
    return `All ${this.attempts.length} attempts failed: ${list}. Last error: ${this.last.message}`
  }
}

/** A budget has no room for the request (see `Budgets.BudgetExceeded`). */
export type BudgetExceeded = Budgets.BudgetExceeded

/** A rate limit of a key or an alias has no room for the request (see `RateLimits.RateLimited`). */
export type RateLimited = RateLimits.RateLimited

export type GatewayError = UnknownModel | RoutesExhausted | BudgetExceeded | RateLimited
