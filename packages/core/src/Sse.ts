/**
 * Server-Sent Events as a `Stream` transformation: bytes in, events out. UTF-8 is decoded across
 * network chunk boundaries, `\r\n` / `\r` / `\n` all end lines, comments and `retry:` directives are
 * dropped, multi-line `data:` is joined, and an event left without its final blank line when the
 * source ends is still delivered. The parsing itself is Effect's `Sse.makeParser`.
 */
import { Stream } from "effect"
import { Sse } from "effect/encoding"
import * as InBand from "./InBand.ts"
import { isProviderError, type ProviderError, StreamInterrupted } from "./ProviderError.ts"

/** One dispatched SSE event. `event` is `"message"` when the source named none. */
export interface SseEvent {
  readonly event: string
  readonly data: string
  readonly id: string | undefined
}

/** Decodes an SSE byte stream into events. Fails with `Sse.SseError` only when an event exceeds 10 MiB. */
export const decode = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E | Sse.SseError, R> =>
  Stream.suspend(() => {
    const ready: Array<SseEvent> = []
    const parser = Sse.makeParser((event) => {
      if (event._tag === "Event") ready.push({ event: event.event, data: event.data, id: event.id })
    })
    return bytes.pipe(
      Stream.decodeText,
      // A source that ends without the final blank line still dispatches its last event.
      Stream.concat(Stream.succeed("\n\n")),
      InBand.flatMap((text) => {
        const error = parser.feed(text)
        return error === undefined ? ready.splice(0) : new InBand.Failure(error)
      })
    )
  })

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

/**
 * A provider's SSE body as the events that carry data; an SSE-level failure becomes the provider's
 * `StreamInterrupted`. What adapters start from.
 */
export const providerEvents = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError, R>,
  provider: string
): Stream.Stream<SseEvent, ProviderError, R> =>
  decode(bytes).pipe(
    Stream.mapError((error) =>
      isProviderError(error) ? error : new StreamInterrupted({ provider, message: `${provider}: ${error.message}` })
    ),
    Stream.filter((event) => event.data.trim().length > 0)
  )

/** A provider's SSE body as the parsed JSON payload of each event (a malformed payload fails it). */
export const providerJson = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError, R>,
  provider: string
): Stream.Stream<unknown, ProviderError, R> =>
  providerEvents(bytes, provider).pipe(
    InBand.flatMap(({ data }) => {
      const parsed = parseJson(provider, data)
      return parsed instanceof InBand.Failure ? parsed : [parsed]
    })
  )
