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
import { Effect, Stream } from "effect"
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

/** Thrown inside a takeover when its answer does not continue the delivered one. */
class Diverged {
  readonly _tag = "Diverged"
}

/** Forwards a continuation: everything but its start, the echo of a trailing space dropped. */
const continuation = (trailing: string) => {
  let first = true
  return (event: StreamEvent.StreamEvent): ReadonlyArray<StreamEvent.StreamEvent> => {
    if (event._tag === "ResponseStart") return []
    if (event._tag === "TextDelta" && event.choice === 0 && first) {
      first = false
      const text = trailing !== "" && event.text.startsWith(trailing) ? event.text.slice(trailing.length) : event.text
      return text === "" ? [] : [{ ...event, text }]
    }
    return [event]
  }
}

/**
 * Forwards a regeneration past `prefix`: its text is held until it is as long as the prefix, then
 * dropped if it starts with it (the rest is forwarded); anything else is a divergence.
 */
export const pastPrefix = (prefix: string) => {
  let held = ""
  let matched = prefix === ""
  return (event: StreamEvent.StreamEvent): ReadonlyArray<StreamEvent.StreamEvent> | Diverged => {
    if (event._tag === "ResponseStart") return []
    if (matched) return [event]
    if (event._tag === "ReasoningDelta" || event._tag === "UsageReport") return []
    if (event._tag !== "TextDelta" || event.choice !== 0) return new Diverged()
    held += event.text
    if (held.length < prefix.length) return prefix.startsWith(held) ? [] : new Diverged()
    if (!held.startsWith(prefix)) return new Diverged()
    matched = true
    const rest = held.slice(prefix.length)
    return rest === "" ? [] : [{ ...event, text: rest }]
  }
}

const takeover = (
  source: Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>,
  step: (event: StreamEvent.StreamEvent) => ReadonlyArray<StreamEvent.StreamEvent> | Diverged
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError | Diverged> =>
  source.pipe(
    Stream.mapEffect((event) => {
      const out = step(event)
      return out instanceof Diverged ? Effect.fail(out) : Effect.succeed(out)
    }),
    Stream.flattenIterable
  )

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
          continuation(trailing)
        )]
      : []),
    () => takeover(candidate.stream(request), pastPrefix(delivered.text))
  ])
  const attempt = (i: number): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError> => {
    if (i >= ways.length) return Stream.fail(cause)
    let forwarded = false
    return ways[i]!().pipe(
      Stream.tap(() => Effect.sync(() => (forwarded = true))),
      Stream.catch((error) =>
        forwarded
          ? Stream.fail(error instanceof Diverged ? cause : error)
          : Stream.suspend(() => attempt(i + 1))
      )
    )
  }
  return Stream.suspend(() => attempt(0))
}
