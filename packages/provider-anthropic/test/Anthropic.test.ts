/**
 * The Anthropic adapter on wire-format streams, errors and requests (fixtures cited in
 * fixtures/README.md), and over HTTP against the mock upstream.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { type ChatRequest, ErrorClassifier, StreamAccumulator } from "@switchyard/core"
import { Anthropic } from "@switchyard/provider-anthropic"
import { AnthropicWire, Fault, MockUpstream, Replay, Reply } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
const context = { provider: "anthropic", model: "claude-sonnet-4-5" }

const decode = (name: string, size?: number) => {
  const bytes = fixture(name)
  return Replay.stream(Anthropic.dialect, Replay.chunked(bytes, size ?? bytes.length), context)
}

describe("Anthropic stream", () => {
  it.effect("assembles text and a tool call streamed as input_json_delta, usage with cache reads and writes as input", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode("stream-tool-use-cached.sse")
      assert.isUndefined(error)
      const choice = response.choices[0]!
      assert.strictEqual(choice.content, "Checking the weather in Zürich.")
      assert.deepStrictEqual(choice.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]), [
        ["toolu_01SwitchyardWeather01", "get_weather", { city: "Zürich", unit: "celsius" }]
      ])
      assert.strictEqual(choice.finishReason, "tool_calls")
      assert.strictEqual(choice.rawFinishReason, "tool_use")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 25 + 100 + 2000,
        outputTokens: 48,
        cachedInputTokens: 2000,
        cacheWriteTokens: 100,
        source: "provider"
      })
      const split = yield* decode("stream-tool-use-cached.sse", 5)
      assert.deepStrictEqual(split.response, response)
    }))

  it.effect("keeps thinking apart from the answer", () =>
    Effect.gen(function*() {
      const { response } = yield* decode("stream-thinking.sse")
      assert.strictEqual(response.choices[0]?.reasoning, "27 * 453 = 12231.")
      assert.strictEqual(response.choices[0]?.content, "12,231")
      assert.strictEqual(response.usage?.outputTokens, 120)
    }))

  it.effect("fails with a retryable Overloaded error on a mid-stream error event, after the text it sent", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode("stream-overloaded-midstream.sse")
      assert.strictEqual(response.choices[0]?.content, "Once upon")
      assert.strictEqual(error?._tag, "Overloaded")
      assert.strictEqual(error?.retryable, true)
    }))

  it.effect("reports a stream cut before message_stop", () =>
    Effect.gen(function*() {
      const text = new TextDecoder().decode(fixture("stream-thinking.sse"))
      const cut = new TextEncoder().encode(text.slice(0, text.indexOf("event: message_delta")))
      const result = yield* Anthropic.dialect.decodeStream(Stream.make(cut), context).pipe(Stream.runDrain, Effect.flip)
      assert.strictEqual(result._tag, "StreamInterrupted")
    }))
})

describe("Anthropic errors", () => {
  const cases: ReadonlyArray<readonly [number, string, string, boolean]> = [
    [529, "error-529-overloaded.json", "overloaded", true],
    [429, "error-429-rate-limit.json", "rate_limited", true],
    [400, "error-400-prompt-too-long.json", "context_overflow", false],
    [401, "error-401-authentication.json", "auth", false]
  ]
  for (const [status, file, category, retryable] of cases) {
    it(`${status} ${file} → ${category}`, () => {
      const body = new TextDecoder().decode(fixture(file))
      const error = ErrorClassifier.classify({ provider: "anthropic", status, body }, Anthropic.dialect.errorRules)
      assert.strictEqual(error.category, category)
      assert.strictEqual(error.retryable, retryable)
    })
  }
})

describe("Anthropic request encoding", () => {
  const encode = (request: ChatRequest.ChatRequest, stream = false) =>
    Anthropic.dialect.encode(request, stream, context).pipe(Effect.map((e) => ({ ...e, body: e.body as Record<string, unknown> })))

  it.effect("moves system prompts out, merges tool results into one user turn, and maps tools", () =>
    Effect.gen(function*() {
      const { body, headers, path } = yield* encode({
        model: "claude-sonnet-4-5",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: [{ type: "text", text: "Weather?" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } },
              { id: "toolu_2", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Rome\"}" } }
            ]
          },
          { role: "tool", tool_call_id: "toolu_1", content: "18°C" },
          { role: "tool", tool_call_id: "toolu_2", content: "24°C" }
        ],
        tools: [{ type: "function", function: { name: "get_weather", description: "Weather by city", parameters: { type: "object" } } }],
        tool_choice: "required",
        stop: "END"
      }, true)
      assert.strictEqual(path, "/messages")
      assert.strictEqual(headers?.["anthropic-version"], "2023-06-01")
      assert.strictEqual(body["system"], "Be brief.")
      assert.strictEqual(body["max_tokens"], 8192)
      assert.strictEqual(body["stream"], true)
      assert.deepStrictEqual(body["stop_sequences"], ["END"])
      assert.deepStrictEqual(body["tool_choice"], { type: "any" })
      assert.deepStrictEqual(body["tools"], [{ name: "get_weather", description: "Weather by city", input_schema: { type: "object" } }])
      assert.deepStrictEqual(body["messages"], [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }
          ]
        },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } }
          ]
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "18°C" },
            { type: "tool_result", tool_use_id: "toolu_2", content: "24°C" }
          ]
        }
      ])
    }))

  it.effect("asks for structured output with the beta header", () =>
    Effect.gen(function*() {
      const schema = { type: "object", properties: { severity: { enum: ["low", "high"] } } }
      const { body, headers } = yield* encode({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "Rate it" }],
        response_format: { type: "json_schema", json_schema: { name: "rating", schema } }
      })
      assert.deepStrictEqual(body["output_format"], { type: "json_schema", schema })
      assert.strictEqual(headers?.["anthropic-beta"], "structured-outputs-2025-11-13")
    }))

  it.effect("refuses what Anthropic cannot do, naming the feature", () =>
    Effect.gen(function*() {
      const base = { model: "claude-sonnet-4-5", messages: [{ role: "user" as const, content: "x" }] }
      const n = yield* encode({ ...base, n: 2 }).pipe(Effect.flip)
      assert.strictEqual(n.category, "bad_request")
      assert.include(n.message, "several choices (n > 1)")
      assert.strictEqual(n.param, "n")
      const hot = yield* encode({ ...base, temperature: 1.5 }).pipe(Effect.flip)
      assert.strictEqual(hot.param, "temperature")
      const thinking = yield* encode({ ...base, reasoning_effort: "high", max_tokens: 1000 }).pipe(Effect.flip)
      assert.strictEqual(thinking.param, "max_tokens")
    }))
})

describe("Anthropic over HTTP", () => {
  const provider = (url: string) => Anthropic.make({ name: "anthropic", baseUrl: `${url}/v1`, apiKey: Redacted.make("sk-ant-test-0123456789") })
  const request: ChatRequest.ChatRequest = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] }

  it.live("sends x-api-key and the version, and reads a whole message", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(AnthropicWire.route, AnthropicWire.json({ text: ["Hello"], usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 4 } }))
      const answer = yield* (yield* provider(upstream.url)).complete(request)
      assert.strictEqual(answer.choices[0]?.content, "Hello")
      assert.strictEqual(answer.usage?.inputTokens, 10)
      assert.strictEqual(answer.usage?.cachedInputTokens, 4)
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.headers["x-api-key"], "sk-ant-test-0123456789")
      assert.strictEqual(exchange!.request.headers["anthropic-version"], "2023-06-01")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("streams a tool call written three bytes at a time", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        AnthropicWire.route,
        AnthropicWire.stream({ text: ["Let me check."], toolCalls: [{ name: "lookup", arguments: ["{\"q\":", "\"ß\"}"] }] }).pipe(Fault.tinyWrites(3))
      )
      const events = yield* Stream.runCollect((yield* provider(upstream.url)).stream({ ...request, stream: true }))
      const response = StreamAccumulator.assemble(events)
      assert.strictEqual(response.choices[0]?.content, "Let me check.")
      assert.deepStrictEqual(JSON.parse(response.choices[0]!.toolCalls[0]!.arguments), { q: "ß" })
      assert.strictEqual(response.choices[0]?.finishReason, "tool_calls")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("turns a 529 into a retryable Overloaded error with its Retry-After", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(AnthropicWire.route, AnthropicWire.error(529).pipe(Fault.retryAfter(4)))
      const error = yield* (yield* provider(upstream.url)).complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "overloaded")
      assert.strictEqual(error.retryable, true)
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 4)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("closes the upstream socket when the stream is interrupted", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(AnthropicWire.route, AnthropicWire.stream({ text: ["a", "b", "c", "d"] }).pipe(Fault.chunkDelay("200 millis")))
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
      const sse = { "content-type": "text/event-stream; charset=utf-8" }
      yield* upstream.enqueue(
        AnthropicWire.route,
        Reply.make({ headers: sse, body: fixture("stream-tool-use-cached.sse") }).pipe(Fault.tinyWrites(3)),
        Reply.make({ status: 429, headers: { "content-type": "application/json", "retry-after": "9" }, body: fixture("error-429-rate-limit.json") })
      )
      const anthropic = yield* provider(upstream.url)
      const response = StreamAccumulator.assemble(yield* Stream.runCollect(anthropic.stream({ ...request, stream: true })))
      assert.deepStrictEqual(response, (yield* decode("stream-tool-use-cached.sse")).response)
      const error = yield* anthropic.complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "rate_limited")
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 9)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
