/**
 * A stream attempt as an effect that "commits": it pulls until the first content event (anything
 * but `ResponseStart` and `UsageReport`) or the end, and succeeds with the events so far and the
 * pull for the rest. The attempt's resources live in a scope of their own: closed if the attempt
 * fails or is interrupted (a losing hedge), handed over to the caller's stream if it commits.
 */
import { Effect, Exit, Pull, Scope, Stream } from "effect"
import type { ProviderError, StreamEvent } from "@switchyard/core"

export interface Commit {
  readonly head: ReadonlyArray<StreamEvent.StreamEvent>
  /** `undefined` when the stream ended before any content. */
  readonly rest: Pull.Pull<ReadonlyArray<StreamEvent.StreamEvent>, ProviderError.ProviderError> | undefined
  readonly scope: Scope.Closeable
}

const isContent = (event: StreamEvent.StreamEvent): boolean =>
  event._tag !== "ResponseStart" && event._tag !== "UsageReport"

export const commit = (
  parent: Scope.Scope,
  stream: Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>
): Effect.Effect<Commit, ProviderError.ProviderError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.fork(parent)
      return yield* restore(Effect.gen(function*() {
        const pull = yield* Scope.provide(Stream.toPull(stream), scope)
        const head: Array<StreamEvent.StreamEvent> = []
        while (true) {
          const chunk = yield* Pull.catchDone(pull, () => Effect.succeed(undefined))
          if (chunk === undefined) return { head, rest: undefined, scope }
          head.push(...chunk)
          if (chunk.some(isContent)) return { head, rest: pull, scope }
        }
      })).pipe(Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit))))
    })
  )
