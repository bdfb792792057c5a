/**
 * A streamed answer's body in the client's dialect, as one stream stage: the events that arrived
 * together are encoded by the dialect's pure `step` into one write; the end of the events (the
 * dialect's closing frames) or a failure after the first byte (its error frame, redacted, see
 * `Endpoint.streamError`) is the last write. Nothing is buffered beyond what arrived together.
 *
 * One stage rather than `withEnd`, `mapAccum`, `map`, `concat`, `catchCause` and `encodeText`: each
 * of those is a stage of its own, with its closures and a pull per chunk, on every stream.
 */
import { Cause, Effect, Pull, Stream } from "effect"
import type { Race, Redact, StreamEvent } from "@switchyard/core"
import { type ErrorBody, StreamEnd } from "@switchyard/translate"
import * as Admission from "./Admission.ts"
import * as Endpoint from "./Endpoint.ts"

/** How a dialect writes a stream: frames from a pure step over the events, then the closing ones. */
export interface Dialect<S, F> {
  readonly initial: S
  /** The frames for one event, or for the end of a stream whose events all came. */
  readonly step: (state: S, event: StreamEvent.StreamEvent | StreamEnd.End) => readonly [S, ReadonlyArray<F>]
  readonly frameText: (frame: F) => string
  /** The frame for a failure after the stream started. */
  readonly failure: (state: S, error: ErrorBody.HttpError) => string
  /** Written after the closing frames (OpenAI's `data: [DONE]`). */
  readonly done?: string | undefined
  /** Done before the closing frames leave (the Responses store keeping a finished answer). */
  readonly beforeEnd?: ((closing: ReadonlyArray<F>) => Effect.Effect<void>) | undefined
}

/** Some events as frame text, and the state after them (pure). */
const encode = <S, F>(
  dialect: Dialect<S, F>,
  state: S,
  events: ReadonlyArray<StreamEvent.StreamEvent | StreamEnd.End>
): readonly [S, string] => {
  let text = ""
  let current = state
  for (const event of events) {
    const [next, frames] = dialect.step(current, event)
    current = next
    for (const frame of frames) text += dialect.frameText(frame)
  }
  return [current, text]
}

/** Where a body stands between two pulls: the dialect's state, and whether its last write left. */
interface Cursor<S> {
  state: S
  ended: boolean
}

const encoder = new TextEncoder()
const write = (text: string) => Effect.succeed([encoder.encode(text)] as const)

/**
 * `events` as the body of a streamed answer in `dialect`. Its upstream reads are cut at a shutdown's
 * `deadline` (they race `Race.Cutoff`, see `StreamTimeouts`); a body that fails once the deadline
 * fired ends with the `shutting_down` error frame.
 */
export const make = <S, F, E>(
  events: Stream.Stream<StreamEvent.StreamEvent, E>,
  dialect: Dialect<S, F>,
  options: { readonly requestId: string; readonly redactor: Redact.Redactor; readonly deadline: Race.Signal }
): Stream.Stream<Uint8Array> =>
  Stream.transformPull(events, (pull) =>
    Effect.sync(() => {
      const cursor: Cursor<S> = { state: dialect.initial, ended: false }
      const end = (): Effect.Effect<readonly [Uint8Array]> => {
        cursor.ended = true
        const [state, frames] = dialect.step(cursor.state, StreamEnd.end)
        cursor.state = state
        const closing = write(frames.map(dialect.frameText).join("") + (dialect.done ?? ""))
        return dialect.beforeEnd === undefined ? closing : Effect.andThen(dialect.beforeEnd(frames), closing)
      }
      const fail = (cause: Cause.Cause<E>) => {
        cursor.ended = true
        return Effect.flatMap(
          options.deadline.fired() ? Effect.succeed(Admission.refused("draining")) : Endpoint.streamError(options.requestId, cause),
          (error) => write(options.redactor.text(dialect.failure(cursor.state, error)))
        )
      }
      const next: Pull.Pull<readonly [Uint8Array], never, void> = Pull.matchEffect(pull, {
        onSuccess: (chunk) => {
          const [state, text] = encode(dialect, cursor.state, chunk)
          cursor.state = state
          // Events that make no frame of their own (usage, a finish held for the end): read on.
          return text === "" ? next : write(text)
        },
        onFailure: fail,
        onDone: end
      })
      return Effect.suspend(() => (cursor.ended ? Cause.done() : next))
    }))
