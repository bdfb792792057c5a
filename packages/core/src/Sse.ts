/**
 * Server-Sent Events as a `Stream` transformation: bytes in, events out. UTF-8 is decoded across
 * network chunk boundaries, `\r\n` / `\r` / `\n` all end lines, comments and `retry:` directives are
 * dropped, multi-line `data:` is joined, and an event left without its final blank line when the
 * source ends is still delivered. The parsing itself is Effect's `Sse.makeParser`; the decoding
 * steps are `InBand` framings, so that an adapter's whole decoding is one stream stage.
 */
import { Stream } from "effect"
import { Sse } from "effect/encoding"
import * as InBand from "./InBand.ts"
import { type ProviderError, StreamInterrupted } from "./ProviderError.ts"

/** One dispatched SSE event. `event` is `"message"` when the source named none. */
export interface SseEvent {
  readonly event: string
  readonly data: string
  readonly id: string | undefined
}

/**
 * SSE text to events (Effect's `Sse.makeParser`); an event over 10 MiB is `onError`'s failure. An
 * event left without its final blank line when the source ends is still dispatched.
 */
export const events = <E>(onError: (error: Sse.SseError) => E): InBand.Framing<string, SseEvent, E> => {
  // The parser dispatches through a callback: into the output of the feed under way.
  const target: { out: Array<SseEvent> } = { out: [] }
  const parser = Sse.makeParser((event) => {
    if (event._tag === "Event") target.out.push({ event: event.event, data: event.data, id: event.id })
  })
  const feed = (text: string, out: Array<SseEvent>) => {
    target.out = out
    const error = parser.feed(text)
    return error === undefined ? undefined : new InBand.Failure(onError(error))
  }
  return { feed, flush: (out) => feed("\n\n", out) }
}

/** Decodes an SSE byte stream into events. Fails with `Sse.SseError` only when an event exceeds 10 MiB. */
export const decode = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E | Sse.SseError, R> =>
  InBand.framed(() => InBand.compose(InBand.utf8(), events((error: Sse.SseError) => error)))(bytes)

/**
 * An event's JSON payload, parsed; a malformed payload is never passed on as text: it is the
 * provider's `StreamInterrupted`.
 */
export const parseJson = (provider: string, data: string): unknown | InBand.Failure<StreamInterrupted> => {
  try {
    return JSON.parse(data) as unknown
  } catch {
    const preview = data.length > 200 ? data.slice(0, 200) + "…" : data
    return new InBand.Failure(new StreamInterrupted({ provider, message: `${provider}: malformed JSON in stream chunk`, body: preview }))
  }
}

/** A provider's SSE text to events, an SSE-level failure as the provider's `StreamInterrupted`. */
export const providerEvents = (provider: string): InBand.Framing<string, SseEvent, ProviderError> =>
  events((error) => new StreamInterrupted({ provider, message: `${provider}: ${error.message}` }))

/** The events that carry data, as `parse` makes them into a machine's inputs (blank ones skipped). */
export const withData = <I, E>(parse: (event: SseEvent) => ReadonlyArray<I> | InBand.Failure<E>): InBand.Framing<SseEvent, I, E> =>
  InBand.each((event) => (event.data.trim().length > 0 ? parse(event) : []))

/**
 * A provider's SSE body as `parse` makes the events that carry data into a machine's inputs (see
 * `StreamMachine.decode`): what adapters start from.
 */
export const providerBody = <I>(
  provider: string,
  parse: (event: SseEvent) => ReadonlyArray<I> | InBand.Failure<ProviderError>
) =>
(): InBand.Framing<Uint8Array, I, ProviderError> =>
  InBand.compose(InBand.compose(InBand.utf8(), providerEvents(provider)), withData(parse))

/** Some JSON text as the one value it holds, or the provider's `StreamInterrupted` (see `parseJson`). */
export const jsonValue = (provider: string, text: string): ReadonlyArray<unknown> | InBand.Failure<StreamInterrupted> => {
  const parsed = parseJson(provider, text)
  return parsed instanceof InBand.Failure ? parsed : [parsed]
}

/** An event's data as JSON (see `parseJson`). */
export const json = (provider: string) => ({ data }: SseEvent): ReadonlyArray<unknown> | InBand.Failure<StreamInterrupted> =>
  jsonValue(provider, data)
