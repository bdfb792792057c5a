/**
 * Gemini token counts (`models/<id>:countTokens`): the whole `generateContentRequest` of the prompt
 * (system instruction and tools counted too, no generation limits), `totalTokens` read back (absent
 * means 0, as proto3 JSON leaves zero out), errors, and over real HTTP.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { ChatRequest } from "@switchyard/core"
import { Gemini } from "@switchyard/provider-google"
import { GeminiWire, MockUpstream, Reply } from "@switchyard/testing"

const context = { provider: "gemini", model: "gemini-2.5-flash" }
const wire = Gemini.dialect.countTokens!

const request: ChatRequest.ChatRequest = {
  model: "gemini-2.5-flash",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Weather in Paris?" }
  ],
  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
  max_tokens: 1,
  temperature: 0.2,
  stop: "END",
  service_tier: "standard_only",
  user: "u-1"
}

describe("Gemini token count wire", () => {
  it.effect("sends the generateContentRequest of the prompt, with its model, to models/<id>:countTokens", () =>
    Effect.gen(function*() {
      const encoded = yield* wire.encode(request, context)
      assert.strictEqual(encoded.path, "models/gemini-2.5-flash:countTokens")
      assert.deepStrictEqual(encoded.body, {
        generateContentRequest: {
          model: "models/gemini-2.5-flash",
          contents: [{ role: "user", parts: [{ text: "Weather in Paris?" }] }],
          systemInstruction: { parts: [{ text: "Be brief." }] },
          tools: [{
            functionDeclarations: [{ name: "get_weather", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } } } }]
          }]
        }
      })
      const tuned = yield* wire.encode({ model: "tunedModels/mine", messages: [{ role: "user", content: "x" }] }, context)
      assert.strictEqual(tuned.path, "tunedModels/mine:countTokens")
      assert.deepStrictEqual(tuned.body, { generateContentRequest: { model: "tunedModels/mine", contents: [{ role: "user", parts: [{ text: "x" }] }] } })
    }))

  it.effect("refuses what the Gemini API cannot express, as for generateContent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(wire.encode({
        model: "gemini-2.5-flash",
        messages: [{ role: "tool", tool_call_id: "call_1", content: "{}" }]
      }, context))
      assert.strictEqual(error._tag, "BadRequest")
      assert.strictEqual(error.param, "messages[0].tool_call_id")
    }))

  it.effect("reads totalTokens; a response without it counts 0; anything else fails; an error object is classified", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* wire.decode({ totalTokens: 17, promptTokensDetails: [{ modality: "TEXT", tokenCount: 17 }] }, context), 17)
      assert.strictEqual(yield* wire.decode({}, context), 0)
      for (const body of [{ totalTokens: "17" }, { candidates: [] }, null, [1]]) {
        const error = yield* Effect.flip(wire.decode(body, context))
        assert.strictEqual(error._tag, "ServerError")
      }
      const error = yield* Effect.flip(wire.decode({ error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } }, context))
      assert.strictEqual(error.category, "bad_request")
    }))

  it.live("over HTTP: x-goog-api-key, the path under the base URL, and a daily quota as QuotaExceeded", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        GeminiWire.route,
        Reply.json({ totalTokens: 17 }),
        GeminiWire.error(429, { message: "Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0", retryDelay: "30s" })
      )
      const gemini = yield* Gemini.make({ name: "gemini", baseUrl: `${upstream.url}/v1beta`, apiKey: Redacted.make("AIzaSyTest0123456789") })
      assert.strictEqual(yield* gemini.countTokens!(request), 17)
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.path, "/v1beta/models/gemini-2.5-flash:countTokens")
      assert.strictEqual(exchange!.request.headers["x-goog-api-key"], "AIzaSyTest0123456789")
      const error = yield* Effect.flip(gemini.countTokens!(request))
      assert.strictEqual(error._tag, "QuotaExceeded")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
