/**
 * Fault injection for `MockUpstream` replies: each fault is a `Reply => Reply` function, so they
 * compose with `pipe`:
 *
 * ```ts
 * OpenAiChatWire.stream({ text: ["Hel", "lo"] }).pipe(Fault.firstChunkDelay("300 millis"), Fault.disconnectAfter(2))
 * ```
 *
 * Delays are real time: the mock upstream is a real socket, so tests using it run with `it.live`.
 */
import { Duration } from "effect"
import { type Chunk, modify, type Reply } from "./Reply.ts"

type Fault = (reply: Reply) => Reply

const ms = (duration: Duration.Input): number => Duration.toMillis(duration)

/** Waits this long after the request before sending the headers. */
export const latency = (duration: Duration.Input): Fault => (reply) =>
  modify(reply, { transport: { ...reply.transport, latency: ms(duration) } })

/** Sends the headers at once, then waits this long before the first body chunk (time to first token). */
export const firstChunkDelay = (duration: Duration.Input): Fault => (reply) =>
  modify(reply, { chunks: reply.chunks.map((c, i) => (i === 0 ? { ...c, delay: ms(duration) } : c)) })

/** Waits this long before every chunk after the first. */
export const chunkDelay = (duration: Duration.Input): Fault => (reply) =>
  modify(reply, { chunks: reply.chunks.map((c, i) => (i === 0 ? c : { ...c, delay: ms(duration) })) })

/**
 * Writes every chunk in pieces of at most `size` bytes with a pause between them, so a client sees
 * UTF-8 sequences, CRLF pairs and frame boundaries split across network reads.
 */
export const tinyWrites = (size = 3, gap: Duration.Input = "1 millis"): Fault => (reply) =>
  modify(reply, { transport: { ...reply.transport, writeSize: Math.max(1, size), writeGap: ms(gap) } })

/** Destroys the socket after `chunks` body chunks: the client's body read fails mid-stream. */
export const disconnectAfter = (chunks: number): Fault => (reply) =>
  modify(reply, { transport: { ...reply.transport, disconnectAfter: chunks } })

/** Stops writing after `chunks` body chunks and keeps the connection open (a stalled stream). */
export const stallAfter = (chunks: number): Fault => (reply) =>
  modify(reply, { transport: { ...reply.transport, stallAfter: chunks } })

/** Accepts the request and never answers; the connection stays open until the client closes it. */
export const hang: Fault = (reply) => modify(reply, { transport: { ...reply.transport, hang: true } })

/** Resets the connection (TCP RST) before any header is sent. */
export const reset: Fault = (reply) => modify(reply, { transport: { ...reply.transport, reset: true } })

/** Removes the provider's end-of-stream marker, so the stream just ends (`[DONE]`, `message_stop`, ...). */
export const dropTerminal: Fault = (reply) => modify(reply, { chunks: reply.chunks.filter((c) => !c.terminal) })

/** Adds a `Retry-After` header, in seconds or as an HTTP date. */
export const retryAfter = (value: number | string): Fault => (reply) =>
  modify(reply, { headers: { ...reply.headers, "retry-after": String(value) } })

const decoder = new TextDecoder()
const encoder = new TextEncoder()

const half = (s: string) => s.slice(0, Math.max(1, Math.floor(s.length / 2)))

const corrupt = (text: string, framing: Reply["framing"]): string => {
  switch (framing) {
    case "sse":
      return text.replace(/^(data: ?)(.*?)(\r?)$/m, (_, prefix: string, data: string, cr: string) =>
        prefix + half(data) + cr)
    case "ndjson":
      return text.replace(/^(.*?)(\r?\n)?$/s, (_, line: string, eol: string | undefined) => half(line) + (eol ?? ""))
    case "none":
      return half(text)
  }
}

/**
 * Truncates the JSON of the chunk at `index` (default 1, the first one after the opening frame),
 * keeping its framing: an SSE `data:` line or an NDJSON line whose JSON does not parse.
 */
export const malformedChunk = (index = 1): Fault => (reply) => {
  const at = Math.min(index, reply.chunks.length - 1)
  return modify(reply, {
    chunks: reply.chunks.map((c, i): Chunk =>
      i === at ? { ...c, bytes: encoder.encode(corrupt(decoder.decode(c.bytes), reply.framing)) } : c
    )
  })
}
