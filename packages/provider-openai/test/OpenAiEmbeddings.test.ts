/**
 * The OpenAI-compatible embeddings wire (`POST /embeddings`): the request as sent, answers read by
 * shape (index order, base64 vectors, usage), malformed answers and errors, and over real HTTP.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Embeddings } from "@switchyard/core"
import { Hosts, OpenAiChat, OpenAiResponses } from "@switchyard/provider-openai"
import { EmbeddingsWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"

const context = { provider: "openai", model: "text-embedding-3-small" }
const wire = OpenAiChat.dialect(Hosts.resolve("openai")).embeddings!

describe("OpenAI embeddings wire", () => {
  it.effect("sends model, input (token arrays too), dimensions and user; never encoding_format", () =>
    Effect.gen(function*() {
      const encoded = yield* wire.encode(
        { model: "text-embedding-3-small", input: [[1, 2], [3]], dimensions: 256, user: "u", encoding_format: "base64" },
        context
      )
      assert.strictEqual(encoded.path, "/embeddings")
      assert.deepStrictEqual(encoded.body, { model: "text-embedding-3-small", input: [[1, 2], [3]], dimensions: 256, user: "u" })
    }))

  it.effect("reads vectors in index order, base64 ones included, and prompt_tokens as input", () =>
    Effect.gen(function*() {
      const response = yield* wire.decode({
        object: "list",
        data: [
          { object: "embedding", index: 1, embedding: Embeddings.toBase64([0.25, -1]) },
          { object: "embedding", index: 0, embedding: [0.5, 0.125] }
        ],
        model: "text-embedding-3-small-v2",
        usage: { prompt_tokens: 7, total_tokens: 7 }
      }, context)
      assert.deepStrictEqual(response.embeddings, [[0.5, 0.125], [0.25, -1]])
      assert.strictEqual(response.model, "text-embedding-3-small-v2")
      assert.strictEqual(response.usage?.inputTokens, 7)
      assert.strictEqual(response.usage?.outputTokens, 0)
      assert.strictEqual(response.usage?.source, "provider")
    }))

  it.effect("leaves usage out when the host reports none, and names the model from the request when absent", () =>
    Effect.gen(function*() {
      const response = yield* wire.decode({ data: [{ embedding: [1] }] }, context)
      assert.isUndefined(response.usage)
      assert.strictEqual(response.model, "text-embedding-3-small")
    }))

  it.effect("fails on a malformed answer (retryable) and classifies an in-band error", () =>
    Effect.gen(function*() {
      const malformed = yield* Effect.flip(wire.decode({ data: [{ index: 0, embedding: ["x"] }] }, context))
      assert.strictEqual(malformed._tag, "ServerError")
      assert.include(malformed.message, "data[0].embedding")
      const empty = yield* Effect.flip(wire.decode({ data: [] }, context))
      assert.strictEqual(empty._tag, "ServerError")
      const inBand = yield* Effect.flip(wire.decode({ error: { message: "Rate limit reached", type: "rate_limit_exceeded", code: "rate_limit_exceeded" } }, context))
      assert.strictEqual(inBand.category, "rate_limited")
    }))

  it("the Responses dialect embeds through the same endpoint", () => {
    assert.isDefined(OpenAiResponses.dialect.embeddings)
  })

  it.live("over HTTP: POST {baseUrl}/embeddings with Bearer auth; a 429 is a classified error", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.enqueue(EmbeddingsWire.openAiRoute, EmbeddingsWire.echoOpenAi(), OpenAiChatWire.error(429, { retryAfter: 3 }))
      const provider = yield* OpenAiChat.make({ name: "openai", baseUrl: `${upstream.url}/v1`, apiKey: Redacted.make("sk-test-0123456789") })
      const response = yield* provider.embed!({ model: "text-embedding-3-small", input: ["a", "b"] })
      assert.deepStrictEqual(response.embeddings, [EmbeddingsWire.vectorFor("a"), EmbeddingsWire.vectorFor("b")])
      assert.strictEqual(response.usage?.inputTokens, 4)
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.headers["authorization"], "Bearer sk-test-0123456789")
      const error = yield* Effect.flip(provider.embed!({ model: "text-embedding-3-small", input: "c" }))
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(error.status, 429)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
