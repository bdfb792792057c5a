/**
 * The Responses API provider over real HTTP against the mock upstream, replaying the recorded fixtures.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { StreamAccumulator } from "@switchyard/core"
import { Fault, MockUpstream, OpenAiResponsesWire, Reply } from "@switchyard/testing"
import * as OpenAiResponses from "../src/OpenAiResponses.ts"

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", "responses", name)))

/** A mock upstream answering `/v1/responses` with `reply`; its requests are recorded. */
const serve = (reply: Reply.Reply) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    yield* upstream.setDefault(OpenAiResponsesWire.route, reply)
    return { upstream, baseUrl: `${upstream.url}/v1` }
  })

const provider = (baseUrl: string) =>
  OpenAiResponses.make({
    name: "openai",
    baseUrl,
    apiKey: Redacted.make("sk-test-responses-0123456789"),
    headers: { "OpenAI-Organization": "org-switchyard" }
  })

describe("OpenAiResponses over HTTP", () => {
  it.live("streams: POST {baseUrl}/responses with Bearer auth and the encoded body; SSE decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, upstream } = yield* serve(
        Reply.make({ headers: { "content-type": "text/event-stream; charset=utf-8" }, body: fixture("stream-reasoning-parallel-tools.sse") }).pipe(Fault.tinyWrites(97))
      )
      const openai = yield* provider(baseUrl)
      const events = yield* openai.stream({
        model: "o4-mini",
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris and Tokyo?" }],
        reasoning_effort: "low"
      }).pipe(Stream.runCollect)
      const response = StreamAccumulator.assemble(events)
      assert.deepStrictEqual(response.choices[0]!.toolCalls.map((c) => c.arguments), [
        "{\"city\":\"Paris\"}",
        "{\"city\":\"Tōkyō\"}"
      ])
      assert.strictEqual(response.usage?.reasoningTokens, 192)

      const received = yield* upstream.exchanges
      assert.strictEqual(received.length, 1)
      const request = received[0]!.request
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.path, "/v1/responses")
      assert.strictEqual(request.headers["authorization"], "Bearer sk-test-responses-0123456789")
      assert.strictEqual(request.headers["openai-organization"], "org-switchyard")
      assert.deepStrictEqual(request.json, {
        model: "o4-mini",
        instructions: "Be brief.",
        input: [{ role: "user", content: "Weather in Paris and Tokyo?" }],
        reasoning: { effort: "low", summary: "auto" },
        store: false,
        stream: true
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("completes: a JSON response object is decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, upstream } = yield* serve(Reply.make({ headers: { "content-type": "application/json" }, body: fixture("response-reasoning-text-function-call.json") }))
      const openai = yield* provider(baseUrl)
      const response = yield* openai.complete({ model: "gpt-5", messages: [{ role: "user", content: "Weather?" }] })
      assert.strictEqual(response.choices[0]!.content, "Let me check the weather in Paris.")
      assert.strictEqual(response.usage?.cachedInputTokens, 256)
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual((exchange!.request.json as Record<string, unknown>)["stream"], false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a 429 with Retry-After is RateLimited with that delay; the key never shows in the error", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* serve(Reply.json({
        error: {
          message: "Rate limit reached for requests (key sk-test-responses-0123456789)",
          type: "requests",
          param: null,
          code: "rate_limit_exceeded"
        }
      }, { status: 429, headers: { "retry-after": "7" } }))
      const openai = yield* provider(baseUrl)
      const error = yield* openai.complete({ model: "gpt-5", messages: [{ role: "user", content: "hi" }] }).pipe(
        Effect.flip
      )
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.retryAfter && Duration.toSeconds(error.retryAfter), 7)
      assert.notInclude(error.message, "sk-test-responses-0123456789")
      assert.notInclude(error.body ?? "", "sk-test-responses-0123456789")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a request the Responses API cannot express fails before anything is sent", () =>
    Effect.gen(function*() {
      const { baseUrl, upstream } = yield* serve(Reply.make({}))
      const openai = yield* provider(baseUrl)
      const error = yield* openai.complete({ model: "gpt-5", messages: [{ role: "user", content: "hi" }], n: 3 }).pipe(
        Effect.flip
      )
      assert.strictEqual(error._tag, "BadRequest")
      assert.lengthOf(yield* upstream.exchanges, 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
