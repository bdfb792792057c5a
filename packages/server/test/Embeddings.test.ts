/**
 * `POST /v1/embeddings` through the real server with the official `openai` SDK: OpenAI-compatible,
 * Ollama and Gemini upstreams on loopback, base64 rendered by the gateway, failover, routes without
 * embeddings skipped, and the ledger rows of every attempt.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import OpenAI from "openai"
import { EmbeddingsWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const appKey = "sk-app-0123456789"
const adminKey = "sk-ops-0123456789"

const setup = Effect.gen(function*() {
  const primary = yield* MockUpstream.make()
  const backup = yield* MockUpstream.make()
  const other = yield* MockUpstream.make()
  yield* primary.setDefault(EmbeddingsWire.openAiRoute, EmbeddingsWire.echoOpenAi())
  yield* backup.setDefault(EmbeddingsWire.openAiRoute, EmbeddingsWire.echoOpenAi())
  yield* other.setDefault(EmbeddingsWire.ollamaRoute, EmbeddingsWire.echoOllama)
  yield* other.setDefault(EmbeddingsWire.geminiRoute, EmbeddingsWire.echoGemini)
  const url = yield* serveConfig({
    providers: {
      openai: { kind: "openai", base_url: `${primary.url}/v1`, api_key: Redacted.make("sk-upstream-primary") },
      backup: { kind: "openai", base_url: `${backup.url}/v1`, api_key: Redacted.make("sk-upstream-backup") },
      claude: { kind: "anthropic", base_url: other.url, api_key: Redacted.make("sk-ant-upstream") },
      ollama: { kind: "ollama", base_url: other.url },
      gemini: { kind: "gemini", base_url: `${other.url}/v1beta`, api_key: Redacted.make("AIzaSyTest0123456789") }
    },
    models: {
      "embed-small": { routes: [{ provider: "openai", model: "text-embedding-3-small" }] },
      "embed-failover": {
        routes: [{ provider: "openai", model: "text-embedding-3-small" }, { provider: "backup", model: "text-embedding-3-small" }]
      },
      "embed-skip": { routes: [{ provider: "claude", model: "claude-sonnet-4-5" }, { provider: "openai", model: "text-embedding-3-small" }] },
      "chat-only": { routes: [{ provider: "claude", model: "claude-sonnet-4-5" }] }
    },
    keys: [{ id: "app", key: Redacted.make(appKey) }, { id: "ops", key: Redacted.make(adminKey), admin: true }],
    routing: { retries: { max: 0 } },
    // `backup` is another OpenAI account: priced as OpenAI.
    pricing: { providers: { backup: "openai" } }
  })
  return { primary, backup, other, url, openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: appKey, maxRetries: 0 }) }
})

const failure = (promise: Promise<unknown>) => Effect.promise(() => promise.then(() => undefined, (e: unknown) => e))

const usage = (url: string, query: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/usage?${query}`, { headers: { authorization: `Bearer ${adminKey}` } }).then((r) => r.json() as Promise<any>)
  )

describe("POST /v1/embeddings", () => {
  it.live("embeds a string: the upstream gets the route's model and the input, floats come back with usage", () =>
    Effect.gen(function*() {
      const { openai, primary } = yield* setup
      const result = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "embed-small", input: "hello world", encoding_format: "float", user: "u-1" })
      )
      assert.strictEqual(result.object, "list")
      assert.strictEqual(result.model, "text-embedding-3-small")
      assert.lengthOf(result.data, 1)
      assert.strictEqual(result.data[0]!.object, "embedding")
      assert.strictEqual(result.data[0]!.index, 0)
      assert.deepStrictEqual(result.data[0]!.embedding, EmbeddingsWire.vectorFor("hello world"))
      assert.deepStrictEqual(result.usage, { prompt_tokens: 2, total_tokens: 2 })
      const [exchange] = yield* primary.exchanges
      assert.strictEqual(exchange!.request.path, "/v1/embeddings")
      assert.strictEqual(exchange!.request.headers["authorization"], "Bearer sk-upstream-primary")
      assert.deepStrictEqual(exchange!.request.json, { model: "text-embedding-3-small", input: "hello world", user: "u-1" })
    }))

  it.live("embeds an array in order, with `dimensions` reaching the upstream", () =>
    Effect.gen(function*() {
      const { openai, primary } = yield* setup
      const input = ["alpha", "beta", "gamma"]
      const result = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "openai/text-embedding-3-small", input, dimensions: 4, encoding_format: "float" })
      )
      assert.deepStrictEqual(result.data.map((d) => d.index), [0, 1, 2])
      assert.deepStrictEqual(result.data.map((d) => d.embedding), input.map((text) => EmbeddingsWire.vectorFor(text, 4)))
      const [exchange] = yield* primary.exchanges
      assert.deepStrictEqual(exchange!.request.json, { model: "text-embedding-3-small", input, dimensions: 4 })
    }))

  it.live("renders base64 itself (the SDK's default): the SDK decodes the same vectors; floats are asked upstream", () =>
    Effect.gen(function*() {
      const { openai, primary, url } = yield* setup
      const input = ["one", "two"]
      // Without `encoding_format` the SDK asks for base64 and decodes it.
      const decoded = yield* Effect.promise(() => openai.embeddings.create({ model: "embed-small", input }))
      assert.deepStrictEqual(decoded.data.map((d) => d.embedding), input.map((text) => EmbeddingsWire.vectorFor(text)))
      const raw = yield* Effect.promise(() =>
        fetch(`${url}/v1/embeddings`, {
          method: "POST",
          headers: { authorization: `Bearer ${appKey}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "embed-small", input: "one", encoding_format: "base64" })
        }).then((r) => r.json() as Promise<any>)
      )
      assert.strictEqual(raw.data[0].embedding, EmbeddingsWire.base64(EmbeddingsWire.vectorFor("one")))
      for (const exchange of yield* primary.exchanges) {
        assert.notProperty(exchange.request.json as object, "encoding_format")
      }
    }))

  it.live("fails over from a 503 route to a healthy one; the ledger has both attempts", () =>
    Effect.gen(function*() {
      const { backup, openai, primary, url } = yield* setup
      yield* primary.enqueue(EmbeddingsWire.openAiRoute, OpenAiChatWire.error(503, { message: "overloaded" }))
      const { data, response } = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "embed-failover", input: ["a", "b"], encoding_format: "float" }).withResponse()
      )
      assert.deepStrictEqual(data.data.map((d) => d.embedding), [EmbeddingsWire.vectorFor("a"), EmbeddingsWire.vectorFor("b")])
      assert.strictEqual(response.headers.get("x-switchyard-provider"), "backup")
      assert.strictEqual(
        response.headers.get("x-switchyard-attempts"),
        "openai/text-embedding-3-small:primary=overloaded, backup/text-embedding-3-small:fallback=ok"
      )
      assert.lengthOf(yield* primary.exchanges, 1)
      assert.lengthOf(yield* backup.exchanges, 1)
      const report = yield* usage(url, "group_by=provider,alias")
      const rows = report.data.map((r: any) => [r.provider, r.alias, r.attempts, r.input_tokens, r.output_tokens])
      assert.sameDeepMembers(rows, [["openai", "embed-failover", 1, 0, 0], ["backup", "embed-failover", 1, 4, 0]])
      assert.strictEqual(report.totals.requests, 1)
      // text-embedding-3-small is $0.02 per million tokens in the bundled dataset.
      assert.closeTo(report.totals.cost_usd, 4 * 0.02 / 1_000_000, 1e-15)
      assert.strictEqual(report.totals.unknown_cost_attempts, 0)
    }))

  it.live("estimates the input tokens when the upstream reports none, and says so in the ledger", () =>
    Effect.gen(function*() {
      const { openai, primary, url } = yield* setup
      yield* primary.enqueue(EmbeddingsWire.openAiRoute, EmbeddingsWire.openAi({ vectors: [[0.5, -0.25]], promptTokens: null }))
      const result = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "embed-small", input: "The quick brown fox jumps over the lazy dog", encoding_format: "float" })
      )
      assert.isAbove(result.usage.prompt_tokens, 5)
      const report = yield* usage(url, "")
      assert.strictEqual(report.totals.attempts, 1)
      assert.strictEqual(report.totals.estimated_attempts, 1)
      assert.strictEqual(report.totals.input_tokens, result.usage.prompt_tokens)
    }))

  it.live("skips a route whose provider has no embeddings", () =>
    Effect.gen(function*() {
      const { openai, other } = yield* setup
      const { data, response } = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "embed-skip", input: "x", encoding_format: "float" }).withResponse()
      )
      assert.deepStrictEqual(data.data[0]!.embedding, EmbeddingsWire.vectorFor("x"))
      assert.strictEqual(response.headers.get("x-switchyard-attempts"), "openai/text-embedding-3-small:primary=ok")
      assert.lengthOf(yield* other.exchanges, 0)
    }))

  it.live("refuses with 400 naming `model` when no route of the model can embed", () =>
    Effect.gen(function*() {
      const { openai, other } = yield* setup
      const error = yield* failure(openai.embeddings.create({ model: "chat-only", input: "x" }))
      assert.instanceOf(error, OpenAI.BadRequestError)
      const body = (error as InstanceType<typeof OpenAI.BadRequestError>).error as { type: string; param: string; message: string }
      assert.strictEqual(body.type, "bad_request")
      assert.strictEqual(body.param, "model")
      assert.include(body.message, "claude/claude-sonnet-4-5")
      assert.lengthOf(yield* other.exchanges, 0)
    }))

  it.live("refuses an unknown field and empty input, naming them", () =>
    Effect.gen(function*() {
      const { openai, primary } = yield* setup
      const unknown = yield* failure(openai.embeddings.create({ model: "embed-small", input: "x", input_type: "query" } as any))
      assert.strictEqual(((unknown as any).error as { param: string }).param, "input_type")
      const empty = yield* failure(openai.embeddings.create({ model: "embed-small", input: [] }))
      assert.instanceOf(empty, OpenAI.BadRequestError)
      assert.strictEqual(((empty as any).error as { param: string }).param, "input")
      assert.lengthOf(yield* primary.exchanges, 0)
    }))

  it.live("serves Ollama's /api/embed and Gemini's batchEmbedContents, with dimensions", () =>
    Effect.gen(function*() {
      const { openai, other } = yield* setup
      const local = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "ollama/nomic-embed-text", input: ["p", "q"], dimensions: 3, encoding_format: "float" })
      )
      assert.deepStrictEqual(local.data.map((d) => d.embedding), [EmbeddingsWire.vectorFor("p", 3), EmbeddingsWire.vectorFor("q", 3)])
      assert.strictEqual(local.usage.prompt_tokens, 4)
      const google = yield* Effect.promise(() =>
        openai.embeddings.create({ model: "gemini/gemini-embedding-001", input: "r", dimensions: 5 })
      )
      assert.deepStrictEqual(google.data[0]!.embedding, EmbeddingsWire.vectorFor("r", 5))
      assert.isAbove(google.usage.prompt_tokens, 0)
      const [ollamaCall, geminiCall] = yield* other.exchanges
      assert.strictEqual(ollamaCall!.request.path, "/api/embed")
      assert.deepStrictEqual(ollamaCall!.request.json, { model: "nomic-embed-text", input: ["p", "q"], dimensions: 3 })
      assert.strictEqual(geminiCall!.request.path, "/v1beta/models/gemini-embedding-001:batchEmbedContents")
      assert.deepStrictEqual(geminiCall!.request.json, {
        requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "r" }] }, outputDimensionality: 5 }]
      })
    }))

  it.live("refuses token arrays on a provider that takes text only, naming `input`", () =>
    Effect.gen(function*() {
      const { openai, other } = yield* setup
      const error = yield* failure(openai.embeddings.create({ model: "ollama/nomic-embed-text", input: [[1, 2, 3]] }))
      assert.instanceOf(error, OpenAI.BadRequestError)
      const body = (error as InstanceType<typeof OpenAI.BadRequestError>).error as { param: string; message: string }
      assert.strictEqual(body.param, "input")
      assert.include(body.message, "token arrays")
      assert.lengthOf(yield* other.exchanges, 0)
    }))
})
