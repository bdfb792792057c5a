/**
 * The Gemini provider over real HTTP against the mock upstream: auth, paths and bodies as sent, answers
 * and streams from `GeminiWire`, the recorded fixtures replayed, and Google's error bodies classified.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { type ChatRequest, StreamAccumulator, type StreamEvent } from "@switchyard/core"
import { Gemini } from "@switchyard/provider-google"
import { Fault, GeminiWire, MockUpstream, Replay, Reply } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
const apiKey = "AIzaSyTest0123456789abcdefghijklmnop"

/** A mock upstream answering every `models/*` call with `reply`; its requests are recorded. */
const serve = (reply: MockUpstream.Responder) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    yield* upstream.setDefault(GeminiWire.route, reply)
    const gemini = yield* Gemini.make({
      name: "gemini",
      baseUrl: `${upstream.url}/v1beta`,
      apiKey: Redacted.make(apiKey),
      headers: { "x-goog-user-project": "switchyard-tests" }
    })
    return { upstream, gemini }
  })

const request: ChatRequest.ChatRequest = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] }

describe("Gemini over HTTP", () => {
  it.live("completes: POST {baseUrl}/models/<model>:generateContent with x-goog-api-key and the encoded body", () =>
    Effect.gen(function*() {
      const { gemini, upstream } = yield* serve(GeminiWire.answer({ text: ["Bonjour"], usage: { inputTokens: 5, outputTokens: 2 } }))
      const answer = yield* gemini.complete({
        ...request,
        messages: [{ role: "system", content: "French." }, ...request.messages],
        max_tokens: 50
      })
      assert.strictEqual(answer.choices[0]?.content, "Bonjour")
      assert.strictEqual(answer.choices[0]?.finishReason, "stop")
      assert.strictEqual(answer.model, "gemini-2.5-flash")
      assert.deepStrictEqual([answer.usage?.inputTokens, answer.usage?.outputTokens], [5, 2])
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.method, "POST")
      assert.strictEqual(exchange!.request.path, "/v1beta/models/gemini-2.5-flash:generateContent")
      assert.deepStrictEqual(exchange!.request.query, {})
      assert.strictEqual(exchange!.request.headers["x-goog-api-key"], apiKey)
      assert.strictEqual(exchange!.request.headers["x-goog-user-project"], "switchyard-tests")
      assert.isUndefined(exchange!.request.headers["authorization"])
      assert.deepStrictEqual(exchange!.request.json, {
        contents: [{ role: "user", parts: [{ text: "hi" }] }],
        systemInstruction: { parts: [{ text: "French." }] },
        generationConfig: { maxOutputTokens: 50 }
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("streams a function call from SSE written three bytes at a time", () =>
    Effect.gen(function*() {
      const script = { id: "resp-7", reasoning: ["Need a lookup."], toolCalls: [{ name: "lookup", arguments: ["{\"q\":", "\"Straße\"}"] }] }
      const { gemini, upstream } = yield* serve((req) => GeminiWire.answer(script)(req).pipe(Fault.tinyWrites(3)))
      const events = yield* Stream.runCollect(gemini.stream({ ...request, stream: true }))
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.strictEqual(choice.reasoning, "Need a lookup.")
      assert.deepStrictEqual(choice.toolCalls, [{ id: "call_resp-7_0_0", name: "lookup", arguments: "{\"q\":\"Straße\"}" }])
      assert.strictEqual(choice.finishReason, "tool_calls")
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
      assert.deepStrictEqual(exchange!.request.query, { alt: "sse" })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a SAFETY finish is content_filter, streamed and whole", () =>
    Effect.gen(function*() {
      const { gemini } = yield* serve(GeminiWire.answer({ text: ["Step one:"], finishReason: "content_filter" }))
      const streamed = StreamAccumulator.assemble(yield* Stream.runCollect(gemini.stream(request)))
      assert.strictEqual(streamed.choices[0]?.finishReason, "content_filter")
      assert.strictEqual(streamed.choices[0]?.rawFinishReason, "SAFETY")
      assert.strictEqual(streamed.choices[0]?.content, "Step one:")
      const whole = yield* gemini.complete(request)
      assert.strictEqual(whole.choices[0]?.finishReason, "content_filter")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("429 RESOURCE_EXHAUSTED with a RetryInfo delay is a retryable RateLimited with that wait; the key never shows", () =>
    Effect.gen(function*() {
      const { gemini } = yield* serve(GeminiWire.error(429, { retryDelay: "12s", message: `Quota exceeded for key ${apiKey}` }))
      const error = yield* gemini.complete(request).pipe(Effect.flip)
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(error.retryable, true)
      assert.strictEqual(error.status, 429)
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 12)
      assert.notInclude(error.message, apiKey)
      assert.notInclude(error.body ?? "", apiKey)
      const streamed = yield* Stream.runDrain(gemini.stream(request)).pipe(Effect.flip)
      assert.strictEqual(streamed._tag, "RateLimited")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a stream the upstream cuts before the finish reason is StreamInterrupted", () =>
    Effect.gen(function*() {
      const { gemini } = yield* serve(GeminiWire.stream({ text: ["one", "two", "three"] }).pipe(Fault.dropTerminal))
      const error = yield* Stream.runDrain(gemini.stream(request)).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StreamInterrupted")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("interrupting the stream closes the upstream socket", () =>
    Effect.gen(function*() {
      const { gemini, upstream } = yield* serve(GeminiWire.stream({ text: ["a", "b", "c", "d"] }).pipe(Fault.chunkDelay("200 millis")))
      const fiber = yield* Effect.forkChild(Stream.runDrain(gemini.stream(request)))
      yield* upstream.awaitRequests(1)
      yield* Effect.sleep("250 millis")
      yield* Fiber.interrupt(fiber)
      const exchange = yield* upstream.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a request the Gemini API cannot express fails before anything is sent", () =>
    Effect.gen(function*() {
      const { gemini, upstream } = yield* serve(Reply.make({}))
      const error = yield* gemini.complete({ ...request, logit_bias: { "1": 2 } }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "BadRequest")
      assert.lengthOf(yield* upstream.exchanges, 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("replays the recorded streams through HTTP in tiny writes, with the same result as the bytes decoded whole", () =>
    Effect.gen(function*() {
      for (const name of ["stream-thoughts-text.sse", "stream-server-call-then-text.sse", "stream-error-after-frames.sse"]) {
        const reply = Reply.make({ headers: { "content-type": "text/event-stream" }, body: fixture(name) })
        const { gemini } = yield* serve(reply.pipe(Fault.tinyWrites(5)))
        const events: Array<StreamEvent.StreamEvent> = []
        const result = yield* gemini.stream(request).pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.result)
        const expected = yield* Replay.stream(Gemini.dialect, [fixture(name)], { provider: "gemini", model: "gemini-2.5-flash" })
        assert.deepStrictEqual(events, [...expected.events], name)
        assert.strictEqual(result._tag === "Failure" ? result.failure._tag : undefined, expected.error?._tag, name)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  const errors: ReadonlyArray<readonly [string, number, string, boolean, string | undefined]> = [
    ["error-429-resource-exhausted.json", 429, "RateLimited", true, undefined],
    ["error-429-free-tier-limit-zero.json", 429, "QuotaExceeded", false, undefined],
    ["error-429-daily-quota.json", 429, "QuotaExceeded", false, undefined],
    ["error-400-invalid-argument.json", 400, "BadRequest", false, "text/event-stream"],
    ["error-400-missing-thought-signature.json", 400, "BadRequest", false, undefined],
    ["error-400-token-limit.json", 400, "ContextOverflow", false, undefined],
    ["error-400-api-key-invalid.json", 400, "AuthFailed", false, undefined],
    ["error-403-permission-denied.json", 403, "AuthFailed", false, undefined],
    ["error-404-model-not-found.json", 404, "NotFound", false, "text/event-stream"],
    ["error-500-internal.json", 500, "ServerError", true, undefined],
    ["error-503-unavailable.json", 503, "Overloaded", true, undefined],
    ["error-504-deadline-exceeded.json", 504, "Timeout", true, undefined]
  ]
  it.live("Google's error bodies (object or array, JSON or mislabelled as SSE) are classified by status name and wording", () =>
    Effect.gen(function*() {
      for (const [name, status, tag, retryable, contentType] of errors) {
        const { gemini } = yield* serve(
          Reply.make({ status, headers: { "content-type": contentType ?? "application/json; charset=UTF-8" }, body: fixture(name) })
        )
        const error = yield* gemini.complete(request).pipe(Effect.flip)
        assert.strictEqual(error._tag, tag, name)
        assert.strictEqual(error.retryable, retryable, name)
        assert.strictEqual(error.status, status, name)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a spent quota keeps the delay Google names, but is not retried as a rate limit", () =>
    Effect.gen(function*() {
      const { gemini } = yield* serve(Reply.make({ status: 429, body: fixture("error-429-free-tier-limit-zero.json") }))
      const error = yield* gemini.complete(request).pipe(Effect.flip)
      assert.strictEqual(error._tag, "QuotaExceeded")
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 41)
      assert.include(error.message, "limit: 0")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
