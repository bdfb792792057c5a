/**
 * The Gemini adapter on wire-format streams, errors and requests (fixtures cited in
 * fixtures/README.md), and over HTTP against the mock upstream.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { type ChatRequest, ErrorClassifier, StreamAccumulator } from "@switchyard/core"
import { Gemini } from "@switchyard/provider-google"
import { Fault, GeminiWire, MockUpstream, Replay, Reply } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
const context = { provider: "gemini", model: "gemini-2.5-flash" }

const decode = (bytes: Uint8Array, size = bytes.length) => Replay.stream(Gemini.dialect, Replay.chunked(bytes, size), context)

describe("Gemini stream", () => {
  it.effect("keeps thought parts out of the answer, and takes the last usage (thoughts counted as output)", () =>
    Effect.gen(function*() {
      const bytes = fixture("stream-thoughts-text.sse")
      const { error, response } = yield* decode(bytes)
      assert.isUndefined(error)
      const choice = response.choices[0]!
      assert.strictEqual(choice.reasoning, "**Weighing the question**\n\nThe user wants a haiku.")
      assert.strictEqual(choice.content, "Autumn wind whispers, leaves fall — 秋の風")
      assert.strictEqual(choice.finishReason, "stop")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 9,
        outputTokens: 14 + 31,
        cachedInputTokens: 4,
        cacheWriteTokens: 0,
        reasoningTokens: 31,
        source: "provider"
      })
      assert.deepStrictEqual((yield* decode(bytes, 3)).response, response)
    }))

  it.effect("turns whole function calls into tool calls with stable ids, and STOP into tool_calls", () =>
    Effect.gen(function*() {
      const { response } = yield* decode(fixture("stream-parallel-function-calls.sse"))
      const choice = response.choices[0]!
      assert.deepStrictEqual(choice.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]), [
        ["call_0_0", "get_weather", { city: "Paris", unit: "celsius" }],
        ["call_0_1", "get_weather", { city: "Rome" }]
      ])
      assert.strictEqual(choice.finishReason, "tool_calls")
      assert.strictEqual(choice.rawFinishReason, "STOP")
    }))

  it.effect("reports SAFETY as content_filter, keeping the text sent before", () =>
    Effect.gen(function*() {
      const { response } = yield* decode(fixture("stream-safety.sse"))
      assert.strictEqual(response.choices[0]?.content, "Here is how to")
      assert.strictEqual(response.choices[0]?.finishReason, "content_filter")
      assert.strictEqual(response.choices[0]?.rawFinishReason, "SAFETY")
    }))

  it.effect("reports a stream that ends before any finish reason as cut", () =>
    Effect.gen(function*() {
      const text = new TextDecoder().decode(fixture("stream-thoughts-text.sse"))
      const cut = new TextEncoder().encode(text.slice(0, text.lastIndexOf("data:")))
      const { error } = yield* decode(cut)
      assert.strictEqual(error?._tag, "StreamInterrupted")
    }))
})

describe("Gemini errors", () => {
  const cases: ReadonlyArray<readonly [number, string, string, boolean]> = [
    [429, "error-429-resource-exhausted.json", "rate_limited", true],
    [400, "error-400-invalid-argument.json", "bad_request", false],
    [400, "error-400-token-limit.json", "context_overflow", false],
    [503, "error-503-unavailable.json", "overloaded", true],
    [400, "error-400-api-key-invalid.json", "auth", false]
  ]
  for (const [status, file, category, retryable] of cases) {
    it(`${status} ${file} → ${category}`, () => {
      const body = new TextDecoder().decode(fixture(file))
      const error = ErrorClassifier.classify({ provider: "gemini", status, body }, Gemini.dialect.errorRules)
      assert.strictEqual(error.category, category)
      assert.strictEqual(error.retryable, retryable)
    })
  }

  it("takes the wait from RetryInfo", () => {
    const body = new TextDecoder().decode(fixture("error-429-resource-exhausted.json"))
    const error = ErrorClassifier.classify({ provider: "gemini", status: 429, body }, Gemini.dialect.errorRules)
    assert.strictEqual(Duration.toSeconds(error.retryAfter!), 27)
  })
})

describe("Gemini request encoding", () => {
  const encode = (request: ChatRequest.ChatRequest, stream = false) =>
    Gemini.dialect.encode(request, stream, context).pipe(Effect.map((e) => ({ ...e, body: e.body as Record<string, unknown> })))

  it.effect("maps system, turns, tools, tool results (named by their call) and generation settings", () =>
    Effect.gen(function*() {
      const { body, path } = yield* encode({
        model: "gemini-2.5-flash",
        messages: [
          { role: "system", content: "Answer in French." },
          { role: "user", content: "Weather in Paris?" },
          { role: "assistant", tool_calls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }] },
          { role: "tool", tool_call_id: "call_a", content: "{\"temp\":18}" }
        ],
        tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        max_tokens: 200,
        temperature: 0.3,
        stop: ["\n\n"],
        response_format: { type: "json_schema", json_schema: { name: "w", schema: { type: "object" } } }
      }, true)
      assert.strictEqual(path, "models/gemini-2.5-flash:streamGenerateContent?alt=sse")
      assert.deepStrictEqual(body["systemInstruction"], { parts: [{ text: "Answer in French." }] })
      assert.deepStrictEqual(body["contents"], [
        { role: "user", parts: [{ text: "Weather in Paris?" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 18 } } }] }
      ])
      assert.deepStrictEqual(body["tools"], [{
        functionDeclarations: [{ name: "get_weather", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } } } }]
      }])
      assert.deepStrictEqual(body["toolConfig"], { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } })
      assert.deepStrictEqual(body["generationConfig"], {
        maxOutputTokens: 200,
        temperature: 0.3,
        stopSequences: ["\n\n"],
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object" }
      })
    }))

  it.effect("refuses a tool result whose call it cannot name, and logit_bias", () =>
    Effect.gen(function*() {
      const orphan = yield* encode({
        model: "gemini-2.5-flash",
        messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "call_missing", content: "1" }]
      }).pipe(Effect.flip)
      assert.strictEqual(orphan.category, "bad_request")
      assert.strictEqual(orphan.param, "messages[1].tool_call_id")
      const bias = yield* encode({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }], logit_bias: { "1": 2 } }).pipe(Effect.flip)
      assert.strictEqual(bias.param, "logit_bias")
    }))
})

describe("Gemini over HTTP", () => {
  const provider = (url: string) => Gemini.make({ name: "gemini", baseUrl: `${url}/v1beta`, apiKey: Redacted.make("AIzaSyTest0123456789abcdefghijklmnop") })
  const request: ChatRequest.ChatRequest = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] }

  it.live("sends x-goog-api-key and reads a whole answer", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(GeminiWire.route, GeminiWire.answer({ text: ["Bonjour"], usage: { inputTokens: 5, outputTokens: 2 } }))
      const answer = yield* (yield* provider(upstream.url)).complete(request)
      assert.strictEqual(answer.choices[0]?.content, "Bonjour")
      assert.strictEqual(answer.usage?.inputTokens, 5)
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.path, "/v1beta/models/gemini-2.5-flash:generateContent")
      assert.strictEqual(exchange!.request.headers["x-goog-api-key"], "AIzaSyTest0123456789abcdefghijklmnop")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("streams a function call from SSE written three bytes at a time", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(GeminiWire.route, (req) => GeminiWire.answer({ toolCalls: [{ name: "lookup", arguments: ["{\"q\":\"ß\"}"] }] })(req).pipe(Fault.tinyWrites(3)))
      const events = yield* Stream.runCollect((yield* provider(upstream.url)).stream({ ...request, stream: true }))
      const response = StreamAccumulator.assemble(events)
      assert.deepStrictEqual(JSON.parse(response.choices[0]!.toolCalls[0]!.arguments), { q: "ß" })
      assert.strictEqual(response.choices[0]?.finishReason, "tool_calls")
      const [exchange] = yield* upstream.exchanges
      assert.deepStrictEqual(exchange!.request.query, { alt: "sse" })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("turns 429 RESOURCE_EXHAUSTED with a retryDelay into a retryable error", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(GeminiWire.route, GeminiWire.error(429, { retryDelay: "12s" }))
      const error = yield* (yield* provider(upstream.url)).complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "rate_limited")
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 12)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("closes the upstream socket when the stream is interrupted", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(GeminiWire.route, GeminiWire.stream({ text: ["a", "b", "c", "d"] }).pipe(Fault.chunkDelay("200 millis")))
      const fiber = yield* Effect.forkChild(Stream.runDrain((yield* provider(upstream.url)).stream(request)))
      yield* upstream.awaitRequests(1)
      yield* Effect.sleep("250 millis")
      yield* Fiber.interrupt(fiber)
      const exchange = yield* upstream.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("replays the recorded stream and error bytes through HTTP, three bytes at a time", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        GeminiWire.route,
        Reply.make({ headers: { "content-type": "text/event-stream" }, body: fixture("stream-thoughts-text.sse") }).pipe(Fault.tinyWrites(3)),
        Reply.make({ status: 503, headers: { "content-type": "application/json" }, body: fixture("error-503-unavailable.json") })
      )
      const gemini = yield* provider(upstream.url)
      const response = StreamAccumulator.assemble(yield* Stream.runCollect(gemini.stream({ ...request, stream: true })))
      assert.deepStrictEqual(response, (yield* decode(fixture("stream-thoughts-text.sse"))).response)
      const error = yield* gemini.complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "overloaded")
      assert.strictEqual(error.retryable, true)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
