/**
 * Mid-stream recovery: a committed stream broke after some of its text reached the client. Where it
 * is honest, the answer goes on from another route, and the client sees one answer with no gap and
 * no repeated text:
 *
 * - **continue**: a route that accepts a partial assistant message (prefill) is sent the request with
 *   the delivered text as the start of its answer, and what it adds is forwarded;
 * - **regenerate**: a route is sent the original request, and its answer is forwarded only past the
 *   delivered prefix, when it starts with exactly that prefix.
 *
 * When neither works (or tool calls had started, which cannot be stitched), the original failure
 * ends the stream, so the client gets an error, never a truncated answer presented as complete.
 */
import { Effect, Option, Sink, Stream } from "effect"
import type { ChatRequest, ProviderError, StreamEvent } from "@switchyard/core"
import type { Route } from "./Route.ts"

/** A route that may take over, and how to call it. */
export interface Candidate {
  readonly route: Route
  /** It accepts a partial assistant message to continue from. */
  readonly prefill: boolean
  readonly stream: (request: ChatRequest.ChatRequest) => Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>
}

/** What reached the client of choice 0 before the break. */
export interface Delivered {
  readonly text: string
  /** Tool calls or other choices had started: the answer cannot be stitched. */
  readonly unstitchable: boolean
}

/** Nothing delivered yet. */
export const nothingDelivered: Delivered = { text: "", unstitchable: false }

/** What has been delivered after one more event reached the client. */
export const deliver = (delivered: Delivered, event: StreamEvent.StreamEvent): Delivered => {
  if (event._tag === "TextDelta" && event.choice === 0) return { ...delivered, text: delivered.text + event.text }
  const unstitchable = event._tag === "ToolCallStart" || event._tag === "ToolCallDelta" || ("choice" in event && event.choice !== 0)
  return unstitchable && !delivered.unstitchable ? { ...delivered, unstitchable } : delivered
}

/** A takeover's answer does not continue the delivered one. */
class Diverged {
  readonly _tag = "Diverged"
}

const diverged = new Diverged()

/**
 * Where a takeover stands: `Continue` has yet to see its first text (to drop the echo of the
 * delivered `trailing` whitespace), `PastPrefix` holds its text until it is past the delivered
 * `prefix`, `Forward` forwards the rest. A takeover's own start is never forwarded.
 */
export type Takeover =
  | { readonly _tag: "Continue"; readonly trailing: string }
  | { readonly _tag: "PastPrefix"; readonly prefix: string; readonly held: string }
  | { readonly _tag: "Forward" }

const forward: Takeover = { _tag: "Forward" }

/** A continuation (prefill) forwards everything but its start, the echo of `trailing` dropped. */
export const continuing = (trailing: string): Takeover => ({ _tag: "Continue", trailing })

/** A regeneration forwards only past `prefix`, once it has repeated exactly that. */
export const pastPrefix = (prefix: string): Takeover => prefix === "" ? forward : { _tag: "PastPrefix", prefix, held: "" }

/** One event of a takeover: the next state and what to forward, or `Diverged`. */
export const step = (
  state: Takeover,
  event: StreamEvent.StreamEvent
): readonly [Takeover, ReadonlyArray<StreamEvent.StreamEvent>] | Diverged => {
  if (event._tag === "ResponseStart") return [state, []]
  switch (state._tag) {
    case "Forward":
      return [state, [event]]
    case "Continue": {
      if (event._tag !== "TextDelta" || event.choice !== 0) return [state, [event]]
      const text = state.trailing !== "" && event.text.startsWith(state.trailing) ? event.text.slice(state.trailing.length) : event.text
      return [forward, text === "" ? [] : [{ ...event, text }]]
    }
    case "PastPrefix": {
      if (event._tag === "ReasoningDelta" || event._tag === "UsageReport") return [state, []]
      if (event._tag !== "TextDelta" || event.choice !== 0) return diverged
      const held = state.held + event.text
      if (held.length < state.prefix.length) return state.prefix.startsWith(held) ? [{ ...state, held }, []] : diverged
      if (!held.startsWith(state.prefix)) return diverged
      const rest = held.slice(state.prefix.length)
      return [forward, rest === "" ? [] : [{ ...event, text: rest }]]
    }
  }
}

const takeover = (
  source: Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>,
  initial: Takeover
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError | Diverged> =>
  Stream.mapAccumEffect(source, () => initial, (state, event) => {
    const next = step(state, event)
    return next instanceof Diverged ? Effect.fail(next) : Effect.succeed(next)
  })

/**
 * The rest of a broken answer from the first candidate that can give it honestly, else `cause`.
 * A takeover that fails before forwarding anything moves on to the next way or candidate; one that
 * fails after forwarding ends the stream with its error.
 */
export const recover = (
  request: ChatRequest.ChatRequest,
  delivered: Delivered,
  candidates: ReadonlyArray<Candidate>,
  cause: ProviderError.ProviderError
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError> => {
  if (delivered.unstitchable || delivered.text === "") return Stream.fail(cause)
  const prefix = delivered.text.replace(/\s+$/, "")
  const trailing = delivered.text.slice(prefix.length)
  const ways = candidates.flatMap((candidate) => [
    ...(candidate.prefill
      ? [() =>
        takeover(
          candidate.stream({ ...request, messages: [...request.messages, { role: "assistant" as const, content: prefix }] }),
          continuing(trailing)
        )]
      : []),
    () => takeover(candidate.stream(request), pastPrefix(delivered.text))
  ])
  // A way that fails before its first forwarded event gives way to the next.
  const attempt = (i: number): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError> =>
    i >= ways.length
      ? Stream.fail(cause)
      : Stream.unwrap(Stream.peel(ways[i]!(), Sink.head()).pipe(
        Effect.match({
          onFailure: () => attempt(i + 1),
          onSuccess: ([first, rest]) =>
            Option.isNone(first)
              ? Stream.empty
              : Stream.concat(Stream.succeed(first.value), Stream.mapError(rest, (error) => error instanceof Diverged ? cause : error))
        })
      ))
  return attempt(0)
}
