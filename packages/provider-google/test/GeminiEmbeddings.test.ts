/**
 * Gemini embeddings (`models/<id>:batchEmbedContents`): one request per text with
 * `outputDimensionality`, token arrays refused, `embeddings[].values` read in order, errors, and over
 * real HTTP (with `x-goog-api-key` and a spent quota as `QuotaExceeded`).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Gemini } from "@switchyard/provider-google"
import { EmbeddingsWire, GeminiWire, MockUpstream } from "@switchyard/testing"

const context = { provider: "gemini", model: "gemini-embedding-001" }
const wire = Gemini.dialect.embeddings!

describe("Gemini embeddings wire", () => {
  it.effect("sends one request per text, with the resource name and outputDimensionality; no user", () =>
    Effect.gen(function*() {
      const encoded = yield* wire.encode({ model: "gemini-embedding-001", input: ["a", "b"], dimensions: 768, user: "u" }, context)
      assert.strictEqual(encoded.path, "models/gemini-embedding-001:batchEmbedContents")
      assert.deepStrictEqual(encoded.body, {
        requests: [
          { model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] }, outputDimensionality: 768 },
          { model: "models/gemini-embedding-001", content: { parts: [{ text: "b" }] }, outputDimensionality: 768 }
        ]
      })
      const single = yield* wire.encode({ model: "tunedModels/mine", input: "x" }, context)
      assert.strictEqual(single.path, "tunedModels/mine:batchEmbedContents")
      assert.deepStrictEqual(single.body, { requests: [{ model: "tunedModels/mine", content: { parts: [{ text: "x" }] } }] })
    }))

  it.effect("refuses token arrays with a BadRequest naming `input`", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(wire.encode({ model: "gemini-embedding-001", input: [1, 2, 3] }, context))
      assert.strictEqual(error._tag, "BadRequest")
      assert.strictEqual(error.param, "input")
      assert.include(error.message, "gemini (Gemini)")
    }))

  it.effect("reads `embeddings[].values` in order; no usage unless usageMetadata says", () =>
    Effect.gen(function*() {
      const response = yield* wire.decode({ embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] }, context)
      assert.deepStrictEqual(response.embeddings, [[0.1, 0.2], [0.3, 0.4]])
      assert.strictEqual(response.model, "gemini-embedding-001")
      assert.isUndefined(response.usage)
      const counted = yield* wire.decode({ embeddings: [{ values: [1] }], usageMetadata: { promptTokenCount: 3 } }, context)
      assert.strictEqual(counted.usage?.inputTokens, 3)
    }))

  it.effect("fails on a malformed answer and classifies an error object", () =>
    Effect.gen(function*() {
      const malformed = yield* Effect.flip(wire.decode({ embeddings: [{ values: "nope" }] }, context))
      assert.strictEqual(malformed._tag, "ServerError")
      const error = yield* Effect.flip(wire.decode({ error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } }, context))
      assert.strictEqual(error.category, "bad_request")
    }))

  it.live("over HTTP: x-goog-api-key, the path under the base URL, and a daily quota as QuotaExceeded", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(
        EmbeddingsWire.geminiRoute,
        EmbeddingsWire.echoGemini,
        GeminiWire.error(429, { message: "Quota exceeded for metric: generativelanguage.googleapis.com/embed_content_free_tier_requests, limit: 0", retryDelay: "30s" })
      )
      const gemini = yield* Gemini.make({ name: "gemini", baseUrl: `${upstream.url}/v1beta`, apiKey: Redacted.make("AIzaSyTest0123456789") })
      const response = yield* gemini.embed!({ model: "gemini-embedding-001", input: ["p", "q"], dimensions: 3 })
      assert.deepStrictEqual(response.embeddings, [EmbeddingsWire.vectorFor("p", 3), EmbeddingsWire.vectorFor("q", 3)])
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.path, "/v1beta/models/gemini-embedding-001:batchEmbedContents")
      assert.strictEqual(exchange!.request.headers["x-goog-api-key"], "AIzaSyTest0123456789")
      const error = yield* Effect.flip(gemini.embed!({ model: "gemini-embedding-001", input: "r" }))
      assert.strictEqual(error._tag, "QuotaExceeded")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
