/**
 * `POST /v1/messages/count_tokens` through the real server with Anthropic's SDK: the route's
 * provider's own count where it has a token-count API (Anthropic, Gemini), the gateway's estimate
 * (marked) where it has none (OpenAI-compatible) or when its count fails or is slow; no ledger row.
 */
import { assert, describe, it } from "@effect/vitest"
import Anthropic from "@anthropic-ai/sdk"
import { Effect, Redacted } from "effect"
import { AnthropicWire, Fault, GeminiWire, MockUpstream, Reply } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const appKey = "sk-app-0123456789"
const adminKey = "sk-ops-0123456789"
const countRoute = "POST /v1/messages/count_tokens"

const setup = Effect.gen(function*() {
  const claude = yield* MockUpstream.make()
  const openai = yield* MockUpstream.make()
  const gemini = yield* MockUpstream.make()
  const url = yield* serveConfig({
    providers: {
      claude: { kind: "anthropic", base_url: `${claude.url}/v1`, api_key: Redacted.make("sk-ant-upstream-0123456789") },
      openai: { kind: "openai", base_url: `${openai.url}/v1`, api_key: Redacted.make("sk-upstream-0123456789") },
      gemini: { kind: "gemini", base_url: `${gemini.url}/v1beta`, api_key: Redacted.make("AIzaSyTest0123456789") }
    },
    models: {
      claude: { routes: [{ provider: "claude", model: "claude-sonnet-4-5" }] },
      gpt: { routes: [{ provider: "openai", model: "gpt-4o" }] },
      flash: { routes: [{ provider: "gemini", model: "gemini-2.5-flash" }] },
      // The first route cannot count: the first that can (claude) is asked.
      mixed: { routes: [{ provider: "openai", model: "gpt-4o" }, { provider: "claude", model: "claude-sonnet-4-5" }] }
    },
    keys: [{ id: "app", key: Redacted.make(appKey) }, { id: "ops", key: Redacted.make(adminKey), admin: true }]
  })
  return { claude, openai, gemini, url, client: new Anthropic({ baseURL: url, apiKey: appKey, maxRetries: 0 }) }
})

const tools = [{
  name: "get_weather",
  description: "Weather by city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } } }
}]

const params = (model: string) => ({
  model,
  system: "Be brief.",
  messages: [{ role: "user" as const, content: "What is the weather in Paris today, and should I take an umbrella?" }],
  tools
})

const count = (client: Anthropic, model: string) =>
  Effect.promise(() => client.messages.countTokens(params(model)).withResponse())

const ledger = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${adminKey}` } }).then((r) => r.json() as Promise<any>)
  )

describe("POST /v1/messages/count_tokens", () => {
  it.live("asks Anthropic for its count: the route's model, messages, system and tools reach it; no ledger row", () =>
    Effect.gen(function*() {
      const { claude, client, url } = yield* setup
      yield* claude.enqueue(countRoute, Reply.json({ input_tokens: 42 }))
      const { data, response } = yield* count(client, "claude")
      assert.strictEqual(data.input_tokens, 42)
      assert.strictEqual(response.headers.get("x-switchyard-count-source"), "provider")
      assert.isNull(response.headers.get("x-switchyard-estimate-method"))
      const [exchange] = yield* claude.exchanges
      assert.strictEqual(exchange!.request.path, "/v1/messages/count_tokens")
      assert.strictEqual(exchange!.request.headers["x-api-key"], "sk-ant-upstream-0123456789")
      assert.strictEqual(exchange!.request.headers["anthropic-version"], "2023-06-01")
      assert.deepStrictEqual(exchange!.request.json, {
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: [{ type: "text", text: params("claude").messages[0]!.content }] }],
        system: "Be brief.",
        tools: [{ name: "get_weather", description: "Weather by city", input_schema: tools[0]!.input_schema }]
      })
      const report = yield* ledger(url)
      assert.strictEqual(report.totals.attempts, 0)
    }))

  it.live("estimates, marked, for an OpenAI-compatible route (no count API): nothing is sent upstream", () =>
    Effect.gen(function*() {
      const { client, openai } = yield* setup
      const { data, response } = yield* count(client, "gpt")
      assert.isAbove(data.input_tokens, 10)
      assert.isBelow(data.input_tokens, 200)
      assert.strictEqual(response.headers.get("x-switchyard-count-source"), "estimate")
      assert.match(response.headers.get("x-switchyard-estimate-method") ?? "", /o200k_base/)
      assert.lengthOf(yield* openai.requests, 0)
    }))

  it.live("asks the first route that can count when the first cannot", () =>
    Effect.gen(function*() {
      const { claude, client, openai } = yield* setup
      yield* claude.enqueue(countRoute, Reply.json({ input_tokens: 7 }))
      const { data, response } = yield* count(client, "mixed")
      assert.strictEqual(data.input_tokens, 7)
      assert.strictEqual(response.headers.get("x-switchyard-count-source"), "provider")
      assert.lengthOf(yield* openai.requests, 0)
    }))

  it.live("falls back to the estimate when Anthropic's count fails (500), asking once", () =>
    Effect.gen(function*() {
      const { claude, client } = yield* setup
      yield* claude.enqueue(countRoute, AnthropicWire.error(500))
      const { data, response } = yield* count(client, "claude")
      assert.isAbove(data.input_tokens, 10)
      assert.strictEqual(response.headers.get("x-switchyard-count-source"), "estimate")
      assert.isNotNull(response.headers.get("x-switchyard-estimate-method"))
      assert.lengthOf(yield* claude.requests, 1)
    }))

  it.live("falls back to the estimate when the count takes more than 5 s", () =>
    Effect.gen(function*() {
      const { claude, client } = yield* setup
      yield* claude.enqueue(countRoute, Reply.json({ input_tokens: 42 }).pipe(Fault.hang))
      const started = Date.now()
      const { data, response } = yield* count(client, "claude")
      const elapsed = Date.now() - started
      assert.notStrictEqual(data.input_tokens, 42)
      assert.strictEqual(response.headers.get("x-switchyard-count-source"), "estimate")
      assert.isAtLeast(elapsed, 4900)
      assert.isBelow(elapsed, 9000)
      // The slow count was abandoned: its connection closed.
      const exchange = yield* claude.awaitOutcome(0)
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }), { timeout: 15_000 })

  it.live("asks Gemini for its count (countTokens with the generateContentRequest)", () =>
    Effect.gen(function*() {
      const { client, gemini } = yield* setup
      yield* gemini.enqueue(GeminiWire.route, Reply.json({ totalTokens: 17 }))
      const { data, response } = yield* count(client, "flash")
      assert.strictEqual(data.input_tokens, 17)
      assert.strictEqual(response.headers.get("x-switchyard-count-source"), "provider")
      assert.isNull(response.headers.get("x-switchyard-estimate-method"))
      const [exchange] = yield* gemini.exchanges
      assert.strictEqual(exchange!.request.path, "/v1beta/models/gemini-2.5-flash:countTokens")
      assert.strictEqual(exchange!.request.headers["x-goog-api-key"], "AIzaSyTest0123456789")
      const body = exchange!.request.json as { generateContentRequest: Record<string, unknown> }
      assert.strictEqual(body.generateContentRequest["model"], "models/gemini-2.5-flash")
      assert.deepStrictEqual(body.generateContentRequest["systemInstruction"], { parts: [{ text: "Be brief." }] })
      assert.deepStrictEqual(body.generateContentRequest["contents"], [{ role: "user", parts: [{ text: params("flash").messages[0]!.content }] }])
      assert.lengthOf(body.generateContentRequest["tools"] as ReadonlyArray<unknown>, 1)
    }))
})
