/** Decoding helpers for the builder tests: a reply's bytes through core's own decoders. */
import { Effect, Stream } from "effect"
import { Ndjson, Sse } from "@switchyard/core"
import type { Reply } from "@switchyard/testing"

/** The whole body of a reply. */
export const bytesOf = (reply: Reply.Reply): Uint8Array => {
  const out = new Uint8Array(reply.chunks.reduce((n, c) => n + c.bytes.length, 0))
  let offset = 0
  for (const c of reply.chunks) {
    out.set(c.bytes, offset)
    offset += c.bytes.length
  }
  return out
}

export const textOf = (reply: Reply.Reply): string => new TextDecoder().decode(bytesOf(reply))

/** The body re-cut into `size`-byte network pieces, so decoders see split frames and UTF-8. */
const pieces = (reply: Reply.Reply, size: number): Stream.Stream<Uint8Array> => {
  const all = bytesOf(reply)
  const out: Array<Uint8Array> = []
  for (let i = 0; i < all.length; i += size) out.push(all.subarray(i, i + size))
  return Stream.fromIterable(out)
}

/** The SSE events of a reply, decoded by `Sse.decode`. */
export const sseEvents = (reply: Reply.Reply, size = 7) =>
  pieces(reply, size).pipe(Sse.decode, Stream.runCollect)

/** The SSE events with their JSON data parsed (`[DONE]` and other non-JSON data stay strings). */
export const sseJson = (reply: Reply.Reply, size = 7) =>
  Effect.map(sseEvents(reply, size), (events) =>
    events.map((e) => ({ event: e.event, data: parse(e.data) })))

const parse = (data: string): any => {
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}

/** The NDJSON values of a reply, decoded by `Ndjson.decode`. */
export const ndjsonValues = (reply: Reply.Reply, size = 7) =>
  pieces(reply, size).pipe(Ndjson.decode("test"), Stream.runCollect) as Effect.Effect<Array<any>, unknown>

/** A recorded request for the request-aware `answer` builders. */
export const request = (fields: { path: string; json?: unknown; query?: Record<string, string> }) => ({
  index: 0,
  method: "POST",
  path: fields.path,
  query: fields.query ?? {},
  headers: {},
  body: JSON.stringify(fields.json ?? {}),
  json: fields.json,
  receivedAt: 0
})
