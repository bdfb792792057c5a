/**
 * Anthropic token counts (`POST /v1/messages/count_tokens`): the Messages body of the prompt without
 * `max_tokens`, `stream` or sampling settings; `input_tokens` read back; and over real HTTP.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { ChatRequest } from "@switchyard/core"
import { Anthropic } from "@switchyard/provider-anthropic"
import { AnthropicWire, MockUpstream, Reply } from "@switchyard/testing"

const context = { provider: "anthropic", model: "claude-sonnet-4-5" }
const wire = Anthropic.dialect.countTokens!

const request: ChatRequest.ChatRequest = {
  model: "claude-sonnet-4-5",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Weather in Paris?" }
  ],
  tools: [{ type: "function", function: { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
  tool_choice: "required",
  max_tokens: 1,
  temperature: 0.5,
  top_p: 0.9,
  stop: ["END"],
  stream: true,
  user: "u-1"
}

describe("Anthropic token count wire", () => {
  it.effect("sends the prompt's Messages body to /messages/count_tokens: no max_tokens, stream, sampling or metadata", () =>
    Effect.gen(function*() {
      const encoded = yield* wire.encode(request, context)
      assert.strictEqual(encoded.path, "/messages/count_tokens")
      assert.deepStrictEqual(encoded.headers, { "anthropic-version": "2023-06-01" })
      assert.deepStrictEqual(encoded.body, {
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: [{ type: "text", text: "Weather in Paris?" }] }],
        system: "Be brief.",
        tools: [{ name: "get_weather", description: "Weather by city", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
        tool_choice: { type: "any" }
      })
    }))

  it.effect("keeps thinking and the output format (with its beta header), whatever max_tokens the request had", () =>
    Effect.gen(function*() {
      const encoded = yield* wire.encode({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "Think." }],
        max_tokens: 1,
        reasoning_effort: "high",
        response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" } } }
      }, context)
      const body = encoded.body as Record<string, unknown>
      assert.deepStrictEqual(body["thinking"], { type: "enabled", budget_tokens: 16384 })
      assert.deepStrictEqual(body["output_format"], { type: "json_schema", schema: { type: "object" } })
      assert.notProperty(body, "max_tokens")
      assert.strictEqual(encoded.headers?.["anthropic-beta"], "structured-outputs-2025-11-13")
    }))

  it.effect("refuses what the Messages API cannot express, as for a message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(wire.encode({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }]
      }, context))
      assert.strictEqual(error._tag, "BadRequest")
      assert.strictEqual(error.param, "messages[0].content[0]")
    }))

  it.effect("reads input_tokens; anything else is a ServerError", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* wire.decode({ input_tokens: 42 }, context), 42)
      assert.strictEqual(yield* wire.decode({ input_tokens: 0 }, context), 0)
      for (const body of [{}, { input_tokens: "42" }, { input_tokens: -1 }, { input_tokens: 1.5 }, null, "42"]) {
        const error = yield* Effect.flip(wire.decode(body, context))
        assert.strictEqual(error._tag, "ServerError")
      }
    }))

  it.live("over HTTP: x-api-key and anthropic-version on POST /v1/messages/count_tokens; errors classified", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        "POST /v1/messages/count_tokens",
        Reply.json({ input_tokens: 42 }),
        AnthropicWire.error(429)
      )
      const anthropic = yield* Anthropic.make({ name: "anthropic", baseUrl: `${upstream.url}/v1`, apiKey: Redacted.make("sk-ant-test-0123456789") })
      assert.isDefined(anthropic.countTokens)
      assert.strictEqual(yield* anthropic.countTokens!(request), 42)
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.path, "/v1/messages/count_tokens")
      assert.strictEqual(exchange!.request.headers["x-api-key"], "sk-ant-test-0123456789")
      assert.strictEqual(exchange!.request.headers["anthropic-version"], "2023-06-01")
      assert.strictEqual((exchange!.request.json as { model: string }).model, "claude-sonnet-4-5")
      const error = yield* Effect.flip(anthropic.countTokens!(request))
      assert.strictEqual(error._tag, "RateLimited")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
