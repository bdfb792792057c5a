/**
 * `GET /v1/models` through both official SDKs: every model a client can send is listed, in each
 * SDK's own format, and can be retrieved by id.
 */
import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
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
})
