/**
 * The end of a stream that finished. A client dialect sends its closing frames (`[DONE]`, the usage
 * chunk, `message_delta` with its `stop_reason`, `message_stop`) on this marker and only on it, so a
 * stream that broke ends with an error event and never looks like a finished answer.
 */
import { Stream } from "effect"

export interface End {
  readonly _tag: "End"
}

export const end: End = { _tag: "End" }

/** `self`, then `end` when it finished without failing. */
export const withEnd = <A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A | End, E, R> =>
  Stream.concat(self, Stream.succeed(end))
