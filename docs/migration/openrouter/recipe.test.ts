/**
 * The OpenRouter migration guide: a request written for OpenRouter (`provider/model`, a `models`
 * fallback list) works unchanged; the fallbacks are tried in order after the requested model, and a
 * model with a slash of its own reaches OpenRouter as written.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { ask } from "./client.ts"

const serve = Effect.gen(function*() {
  const openai = yield* MockUpstream.make()
  const anthropic = yield* MockUpstream.make()
  const openrouter = yield* MockUpstream.make()
  const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
    OPENAI_API_KEY: "sk-openai-0123456789",
    OPENAI_BASE_URL: `${openai.url}/v1`,
    ANTHROPIC_API_KEY: "sk-ant-0123456789",
    ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
    OPENROUTER_API_KEY: "sk-or-0123456789",
    OPENROUTER_BASE_URL: `${openrouter.url}/v1`
  })
  return { openai, anthropic, openrouter, url: `${url}/v1` }
})

describe("migration from OpenRouter", () => {
  it.live("the models list is tried in order after the requested model", () =>
    Effect.gen(function*() {
      const { anthropic, openai, openrouter, url } = yield* serve
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(401))
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.error(403))
      yield* openrouter.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["From Llama."] }))
      const result = yield* Effect.promise(() => ask(url, "Hi"))
      assert.deepStrictEqual(result, {
        answer: "From Llama.",
        attempts: "openai/gpt-5-mini:primary=auth, anthropic/claude-haiku-4-5:fallback=auth, " +
          "openrouter/meta-llama/llama-3.3-70b-instruct:fallback=ok"
      })
      const [sent] = yield* openrouter.requests
      assert.strictEqual((sent!.json as { model: string }).model, "meta-llama/llama-3.3-70b-instruct")
      assert.notProperty(sent!.json as object, "models")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a models list longer than 16 is a 400 naming it", () =>
    Effect.gen(function*() {
      const { url } = yield* serve
      const response = yield* Effect.promise(() =>
        fetch(`${url}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "openai/gpt-5-mini", models: Array(17).fill("openai/gpt-5"), messages: [{ role: "user", content: "Hi" }] })
        })
      )
      assert.strictEqual(response.status, 400)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("OpenRouter's `provider` preferences and `route` are ignored, not forwarded", () =>
    Effect.gen(function*() {
      const { openai, url } = yield* serve
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["ok"] }))
      const response = yield* Effect.promise(() =>
        fetch(`${url}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "openai/gpt-5-mini", provider: { order: ["anthropic"] }, route: "fallback", messages: [{ role: "user", content: "Hi" }] })
        })
      )
      assert.strictEqual(response.status, 200)
      const [sent] = yield* openai.requests
      assert.deepStrictEqual(sent!.json, { model: "gpt-5-mini", messages: [{ role: "user", content: "Hi" }] })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
