/**
 * A stream attempt as an effect that "commits": it pulls until the first content event (anything
 * but `ResponseStart` and `UsageReport`) and succeeds with the events so far and the pull for the
 * rest. A stream that ends before any content is a failed attempt (`StreamInterrupted`). The attempt's resources live in a scope of their own: closed if the attempt
 * fails or is interrupted (a losing hedge), handed over to the caller's stream if it commits.
 */
import { Cause, Channel, Effect, Exit, Pull, Scope, type Stream } from "effect"
import { ProviderError, type StreamEvent } from "@switchyard/core"

export interface Commit {
  readonly head: ReadonlyArray<StreamEvent.StreamEvent>
  readonly rest: Pull.Pull<ReadonlyArray<StreamEvent.StreamEvent>, ProviderError.ProviderError>
  readonly scope: Scope.Closeable
}

const isContent = (event: StreamEvent.StreamEvent): boolean =>
  event._tag !== "ResponseStart" && event._tag !== "UsageReport"

export const commit = (
  parent: Scope.Scope,
  provider: string,
  stream: Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>
): Effect.Effect<Commit, ProviderError.ProviderError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.fork(parent)
      return yield* restore(Effect.gen(function*() {
        // The channel's own pull, read by whoever consumes the commit (`Stream.toPull` would also give
        // every read the context this fiber has now, merged into the reader's, and a semaphore).
        const pull = yield* Channel.toTransform(stream.channel)(Cause.done(), scope)
        const head: Array<StreamEvent.StreamEvent> = []
        while (true) {
          const chunk = yield* Pull.catchDone(pull, () => Effect.succeed(undefined))
          if (chunk === undefined) {
            return yield* new ProviderError.StreamInterrupted({
              provider,
              message: `${provider}: stream ended before any content`
            })
          }
          head.push(...chunk)
          if (chunk.some(isContent)) return { head, rest: pull, scope }
        }
      })).pipe(Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit))))
    })
  )
