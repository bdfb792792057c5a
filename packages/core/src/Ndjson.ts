/**
 * Newline-delimited JSON (Ollama's native stream): bytes in, parsed values out. Lines may be split
 * anywhere across network chunks; blank lines are ignored; the last line needs no trailing newline.
 */
import type { Stream } from "effect"
import * as InBand from "./InBand.ts"
import type { StreamInterrupted } from "./ProviderError.ts"
import { jsonValue } from "./Sse.ts"

/** The body's values as a framing (see `StreamMachine.decode`); a malformed line fails it. */
export const body = (provider: string) => (): InBand.Framing<Uint8Array, unknown, StreamInterrupted> =>
  InBand.compose(
    InBand.compose(InBand.utf8(), InBand.lines()),
    InBand.each((line: string) => (line.trim().length === 0 ? [] : jsonValue(provider, line)))
  )

/** A malformed line fails the stream with the provider's `StreamInterrupted`, after the lines before it. */
export const decode = (provider: string) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | StreamInterrupted, R> =>
  InBand.framed(body(provider))(bytes)
