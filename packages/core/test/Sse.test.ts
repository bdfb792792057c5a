import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as fc from "fast-check"
import { InBand, ProviderError, Sse } from "@switchyard/core"

const encoder = new TextEncoder()

/** Splits bytes at the given cut points. */
const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let start = 0
  for (const p of points) {
    out.push(bytes.slice(start, p))
    start = p
  }
  out.push(bytes.slice(start))
  return out
}

const decodeChunks = (chunks: ReadonlyArray<Uint8Array>) =>
  Stream.fromIterable(chunks).pipe(Sse.decode, Stream.runCollect, Effect.map((events) => [...events]))

// A stream that mixes what providers send: comments, CRLF, CR, multi-line data, named events,
// multi-byte UTF-8 (2, 3 and 4 bytes), an id, a retry directive, and no final blank line.
const wire = [
  ": keep-alive comment\r\n",
  "\r\n",
  "event: message_start\r\n",
  "data: {\"text\":\"héllo wörld 🌍 日本\"}\r\n",
  "\r\n",
  "data: line one\n",
  "data: line two\n",
  "\n",
  "retry: 3000\n",
  "id: 42\r",
  "data: carriage-return only\r",
  "\r",
  "data: [DONE]"
].join("")

const expected: Array<Sse.SseEvent> = [
  { event: "message_start", data: "{\"text\":\"héllo wörld 🌍 日本\"}", id: undefined },
  { event: "message", data: "line one\nline two", id: undefined },
  { event: "message", data: "carriage-return only", id: "42" },
  { event: "message", data: "[DONE]", id: "42" }
]

describe("Sse.decode", () => {
  it.effect("decodes comments, CRLF, CR, multi-line data, named events and an unterminated last event", () =>
    Effect.gen(function*() {
      const events = yield* decodeChunks([encoder.encode(wire)])
      assert.deepStrictEqual(events, expected)
    }))

  it.effect("yields the same events for any split of the bytes into network chunks", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
          const events = await Effect.runPromise(decodeChunks(split(encoder.encode(wire), cuts)))
          assert.deepStrictEqual(events, expected)
        }),
        { numRuns: 300 }
      )
    ))

  it.effect("keeps every multi-byte character intact when split byte by byte", () =>
    Effect.gen(function*() {
      const bytes = encoder.encode("data: 🌍é日\n\n")
      const events = yield* decodeChunks([...bytes].map((b) => Uint8Array.of(b)))
      assert.deepStrictEqual(events.map((e) => e.data), ["🌍é日"])
    }))

  it("reports malformed JSON as a typed StreamInterrupted error, never as text", () => {
    const parsed = Sse.parseJson("openai", "{\"choices\": [")
    assert.instanceOf(parsed, InBand.Failure)
    const error = (parsed as InBand.Failure<ProviderError.StreamInterrupted>).error
    assert.instanceOf(error, ProviderError.StreamInterrupted)
    assert.strictEqual(error.retryable, true)
    assert.include(error.message, "malformed JSON")
    assert.deepStrictEqual(Sse.parseJson("openai", "{\"a\": 1}"), { a: 1 })
  })

  it.effect("delivers the events before a malformed payload, then fails with it", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const bytes = encoder.encode("data: {\"n\": 1}\n\ndata: {\"n\": 2}\n\ndata: {oops\n\ndata: {\"n\": 4}\n\n")
      const error = yield* InBand.framed(Sse.providerBody("openai", Sse.json("openai")))(Stream.succeed(bytes)).pipe(
        Stream.runForEach((value) => Effect.sync(() => seen.push(value))),
        Effect.flip
      )
      assert.deepStrictEqual(seen, [{ n: 1 }, { n: 2 }])
      assert.instanceOf(error, ProviderError.StreamInterrupted)
    }))
})
