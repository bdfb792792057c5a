/**
 * Newline-delimited JSON (Ollama's native stream) as a `Stream` transformation: bytes in, parsed
 * values out. Lines may be split anywhere across network chunks; blank lines are ignored; the last line
 * needs no trailing newline.
 */
import { Stream } from "effect"
import { type MalformedPolicy, parseJson } from "./Sse.ts"
import type { StreamInterrupted } from "./ProviderError.ts"

export const decode = (provider: string, policy: MalformedPolicy = "fail") =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | StreamInterrupted, R> =>
  bytes.pipe(
    Stream.decodeText,
    Stream.splitLines,
    Stream.filter((line) => line.trim().length > 0),
    Stream.mapEffect((line) => parseJson(provider, line, policy)),
    Stream.flattenIterable
  )
