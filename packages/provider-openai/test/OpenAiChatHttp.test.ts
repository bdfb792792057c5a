/**
 * The Chat Completions provider over real HTTP against the mock upstream: headers and body it sends,
 * a 429 with Retry-After, and interruption closing the upstream socket.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { StreamAccumulator } from "@switchyard/core"
import { Fault, MockUpstream, OpenAiChatWire, Replay, Reply } from "@switchyard/testing"
import { Hosts, OpenAiChat } from "@switchyard/provider-openai"

const request = { model: "llama-3.3-70b-versatile", messages: [{ role: "user" as const, content: "hi" }] }

const provider = (url: string) =>
  OpenAiChat.make({ name: "groq", baseUrl: `${url}/v1`, apiKey: Redacted.make("gsk_test_0123456789") })

describe("OpenAiChat over HTTP", () => {
  it.live("sends Bearer auth and the host's body, and reads the answer", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(OpenAiChatWire.route, OpenAiChatWire.json({ text: ["Hello"], usage: { inputTokens: 3, outputTokens: 1 } }))
      const answer = yield* (yield* provider(upstream.url)).complete({ ...request, max_tokens: 5 })
      assert.strictEqual(answer.choices[0]?.content, "Hello")
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.headers["authorization"], "Bearer gsk_test_0123456789")
      assert.deepStrictEqual(exchange!.request.json, { ...request, max_tokens: 5 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("turns a 429 with Retry-After into a retryable RateLimited error", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 3 }))
      const error = yield* (yield* provider(upstream.url)).complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "rate_limited")
      assert.strictEqual(error.retryable, true)
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 3)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("closes the upstream socket when the stream's consumer is interrupted", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.stream({ text: ["a", "b", "c", "d"] }).pipe(Fault.chunkDelay("200 millis"))
      )
      const reading = yield* Effect.forkChild(Stream.runDrain((yield* provider(upstream.url)).stream(request)))
      yield* upstream.awaitRequests(1)
      yield* Effect.sleep("250 millis")
      yield* Fiber.interrupt(reading)
      const exchange = yield* upstream.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("replays recorded stream and error bytes through HTTP, three bytes at a time", () =>
    Effect.gen(function*() {
      const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${path}`, import.meta.url)))
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        OpenAiChatWire.route,
        Reply.make({ headers: { "content-type": "text/event-stream" }, body: fixture("chat/stream-parallel-tool-calls.sse") }).pipe(Fault.tinyWrites(3)),
        Reply.make({ status: 504, headers: { "content-type": "text/html" }, body: fixture("errors/nginx-504.html") })
      )
      const groq = yield* provider(upstream.url)
      const response = StreamAccumulator.assemble(yield* Stream.runCollect(groq.stream(request)))
      const expected = yield* Replay.stream(OpenAiChat.dialect(Hosts.resolve("groq")), [fixture("chat/stream-parallel-tool-calls.sse")], { provider: "groq", model: "m" })
      assert.deepStrictEqual(response, expected.response)
      assert.strictEqual(response.choices[0]?.toolCalls.length, 2)
      const error = yield* groq.complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "timeout")
      assert.strictEqual(error.retryable, true)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
