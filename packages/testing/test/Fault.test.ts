import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { InBand, type ProviderError, Sse } from "@switchyard/core"
import { Fault, OllamaWire, OpenAiChatWire, Reply } from "@switchyard/testing"
import { ndjsonValues, sseEvents, textOf } from "./helpers.ts"

describe("Fault", () => {
  it("sets delays before the first chunk and between the others", () => {
    const reply = OpenAiChatWire.stream({ text: ["a", "b"] }).pipe(
      Fault.latency("150 millis"),
      Fault.firstChunkDelay("1 second"),
      Fault.chunkDelay("20 millis")
    )
    assert.strictEqual(reply.transport.latency, 150)
    assert.deepStrictEqual(reply.chunks.map((c) => c.delay), [1000, 20, 20, 20, 20])
  })

  it("composes transport faults without touching the body", () => {
    const base = OpenAiChatWire.stream({ text: ["a"] })
    const reply = base.pipe(Fault.tinyWrites(3), Fault.disconnectAfter(2), Fault.retryAfter(5))
    assert.deepInclude(reply.transport, { writeSize: 3, disconnectAfter: 2 })
    assert.strictEqual(reply.headers["retry-after"], "5")
    assert.strictEqual(textOf(reply), textOf(base))
    assert.isTrue(Reply.empty.pipe(Fault.hang).transport.hang)
    assert.isTrue(Reply.empty.pipe(Fault.reset).transport.reset)
  })

  it.effect("malformedChunk truncates one SSE data line: the frame still decodes, its JSON does not", () =>
    Effect.gen(function*() {
      const events = yield* sseEvents(OpenAiChatWire.stream({ text: ["a", "b"] }).pipe(Fault.malformedChunk(2)))
      assert.strictEqual(events.at(-1)!.data, "[DONE]")
      const parsed = events.slice(0, -1).map((e) => Sse.parseJson("test", e.data))
      assert.deepStrictEqual(parsed.map((r) => r instanceof InBand.Failure), [false, false, true, false])
      assert.strictEqual((parsed[2] as InBand.Failure<ProviderError.StreamInterrupted>).error._tag, "StreamInterrupted")
    }))

  it.effect("malformedChunk on NDJSON fails the line decoder", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ndjsonValues(OllamaWire.stream({ text: ["a", "b"] }).pipe(Fault.malformedChunk())))
      assert.strictEqual((error as { _tag: string })._tag, "StreamInterrupted")
    }))

  it.effect("dropTerminal removes the end marker and nothing else", () =>
    Effect.gen(function*() {
      const full = yield* sseEvents(OpenAiChatWire.stream({ text: ["a", "b"] }))
      const cut = yield* sseEvents(OpenAiChatWire.stream({ text: ["a", "b"] }).pipe(Fault.dropTerminal))
      assert.deepStrictEqual(cut, full.slice(0, -1))
      assert.strictEqual(full.at(-1)!.data, "[DONE]")
    }))

  it.effect("chunks can carry their own delays and raw bytes", () =>
    Effect.gen(function*() {
      const reply = Reply.make({
        headers: { "Content-Type": "text/event-stream" },
        body: ["data: 1\n\n", { data: new TextEncoder().encode("data: 2\n\n"), delay: "40 millis" }],
        framing: "sse"
      })
      assert.strictEqual(reply.headers["content-type"], "text/event-stream")
      assert.isFalse(reply.contentLength)
      assert.deepStrictEqual(reply.chunks.map((c) => c.delay), [0, 40])
      const data = yield* sseEvents(reply).pipe(Effect.map((events) => events.map((e) => e.data)))
      assert.deepStrictEqual(data, ["1", "2"])
      assert.isTrue(Reply.json({ a: 1 }).contentLength)
      assert.strictEqual(yield* Stream.runCount(Stream.fromIterable(Reply.nginxError(504).chunks)), 1)
    }))
})
