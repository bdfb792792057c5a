/**
 * How a routed request fails. Every error carries the attempts made, in start order, so the
 * gateway can log them and answer with the right status.
 */
import { Data } from "effect"
import type { ProviderError } from "@switchyard/core"
import type { Attempt } from "./Route.ts"

/**
 * Every route failed, was rejected by its breaker, or the deadline ran out. `lastError` is the
 * last provider failure (a `deadline` `Timeout` when time ran out), absent when no route was admitted.
 */
export class RoutesExhausted extends Data.TaggedError("RoutesExhausted")<{
  readonly attempts: ReadonlyArray<Attempt>
  readonly lastError: ProviderError.ProviderError | undefined
}> {
  override get message(): string {
    return `All routes failed after ${this.attempts.length} attempt(s)` +
      (this.lastError === undefined ? "" : `: ${this.lastError.message}`)
  }
}

/** A failure the policy does not retry or fail over (bad request, content filter, ...). */
export class AttemptFailed extends Data.TaggedError("AttemptFailed")<{
  readonly error: ProviderError.ProviderError
  readonly attempts: ReadonlyArray<Attempt>
}> {
  override get message(): string {
    return this.error.message
  }
}

/** A committed stream broke after `delivered` events reached the caller; it cannot fail over. */
export class StreamBroken extends Data.TaggedError("StreamBroken")<{
  readonly error: ProviderError.ProviderError
  readonly delivered: number
  readonly attempts: ReadonlyArray<Attempt>
}> {
  override get message(): string {
    return `Stream broke after ${this.delivered} event(s): ${this.error.message}`
  }
}

/** What `Router.run` and `Router.stream` fail with before a stream commits. */
export type RoutingError = RoutesExhausted | AttemptFailed
