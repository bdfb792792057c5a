/**
 * Newline-delimited JSON (Ollama's native stream) as a `Stream` transformation: bytes in, parsed
 * values out. Lines may be split anywhere across network chunks; blank lines are ignored; the last line
 * needs no trailing newline.
 */
import { Stream } from "effect"
import * as InBand from "./InBand.ts"
import type { StreamInterrupted } from "./ProviderError.ts"
import { parseJson } from "./Sse.ts"

/** A malformed line fails the stream with the provider's `StreamInterrupted`, after the lines before it. */
export const decode = (provider: string) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | StreamInterrupted, R> =>
  bytes.pipe(
    Stream.decodeText,
    Stream.splitLines,
    Stream.filter((line) => line.trim().length > 0),
    InBand.flatMap((line) => {
      const parsed = parseJson(provider, line)
      return parsed instanceof InBand.Failure ? parsed : [parsed]
    })
  )
