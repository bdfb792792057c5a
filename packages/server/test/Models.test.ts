/**
 * `GET /v1/models` through both official SDKs: every model a client can send is listed, in each
 * SDK's own format, and can be retrieved by id.
 */
import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import OpenAI from "openai"
import { MockUpstream, Reply } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const setup = serveConfig({
  providers: {
    demo: { kind: "demo" },
    local: { kind: "ollama", base_url: "http://127.0.0.1:9", models: ["llama3.2", "qwen3"] }
  },
  models: { fast: { routes: [{ provider: "local", model: "llama3.2" }, { provider: "demo", model: "demo" }] } }
})

const expected = ["fast", "demo", "llama3.2", "qwen3", "demo/demo", "local/llama3.2", "local/qwen3"]

describe("GET /v1/models", () => {
  it.live("the OpenAI SDK lists aliases, listed models and provider/model, and retrieves one", () =>
    Effect.gen(function*() {
      const url = yield* setup
      const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
      const ids = yield* Effect.promise(async () => {
        const out: Array<string> = []
        for await (const model of openai.models.list()) out.push(model.id)
        return out
      })
      assert.deepStrictEqual(ids, expected)
      const one = yield* Effect.promise(() => openai.models.retrieve("local/qwen3"))
      assert.strictEqual(one.owned_by, "local")
      const missing = yield* Effect.promise(() => openai.models.retrieve("nope").then(() => undefined, (e: unknown) => e))
      assert.instanceOf(missing, OpenAI.NotFoundError)
    }))

  it.live("Anthropic's SDK gets Anthropic's format", () =>
    Effect.gen(function*() {
      const url = yield* setup
      const anthropic = new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0 })
      const ids = yield* Effect.promise(async () => {
        const out: Array<string> = []
        for await (const model of anthropic.models.list()) {
          assert.strictEqual(model.type, "model")
          out.push(model.id)
        }
        return out
      })
      assert.deepStrictEqual(ids, expected)
      const one = yield* Effect.promise(() => anthropic.models.retrieve("fast"))
      assert.strictEqual(one.display_name, "fast")
      const missing = yield* Effect.promise(() => anthropic.models.retrieve("nope").then(() => undefined, (e: unknown) => e))
      assert.instanceOf(missing, Anthropic.NotFoundError)
    }))

  it.live("models each provider's API lists are offered as provider/model (OpenAI-compatible and Ollama)", () =>
    Effect.gen(function*() {
      const openaiUp = yield* MockUpstream.make()
      const ollamaUp = yield* MockUpstream.make()
      yield* openaiUp.setDefault("GET /v1/models", Reply.json({ object: "list", data: [{ id: "gpt-5.5", object: "model" }, { id: "gpt-5-mini", object: "model" }] }))
      yield* ollamaUp.setDefault("GET /api/tags", Reply.json({ models: [{ name: "llama3.2:latest", model: "llama3.2:latest", size: 1 }] }))
      const url = yield* serveConfig({
        providers: {
          openai: { kind: "openai", base_url: `${openaiUp.url}/v1`, api_key: Redacted.make("sk-list-0123456789") },
          local: { kind: "ollama", base_url: ollamaUp.url },
          silent: { kind: "openai", base_url: "http://127.0.0.1:9/v1" }
        }
      })
      const list = yield* Effect.promise(() => fetch(`${url}/v1/models`).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>))
      assert.deepStrictEqual(list.data.map((m) => m.id), ["openai/gpt-5.5", "openai/gpt-5-mini", "local/llama3.2:latest"])
      assert.strictEqual((yield* openaiUp.requests)[0]!.headers["authorization"], "Bearer sk-list-0123456789")
      // Kept, not asked again on every list.
      yield* Effect.promise(() => fetch(`${url}/v1/models`).then((r) => r.text()))
      assert.lengthOf(yield* openaiUp.requests, 1)
    }))
})
