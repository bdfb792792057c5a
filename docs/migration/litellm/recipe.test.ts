/**
 * The LiteLLM migration guide: `switchyard import` turns the page's LiteLLM config into the
 * Switchyard config the page shows, and that config serves: the master key is a client key, and
 * `chat` falls back to Claude as LiteLLM's `fallbacks` said.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, read, serveFile, switchyard } from "../../test/Docs.ts"

describe("migration from LiteLLM", () => {
  it.live("switchyard import prints the config shown in the page", () =>
    Effect.gen(function*() {
      const result = yield* switchyard(["import", "litellm_config.yaml", "--out", "-"], beside(import.meta.url, "."))
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stdout, read(beside(import.meta.url, "switchyard.yaml")))
      assert.include(result.stderr, "4 mapped, 3 approximate, 0 unsupported")
    }))

  it.live("the imported config serves, with the master key and the fallback", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(503))
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.answer({ text: ["From Claude."] }))
      const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
        LITELLM_MASTER_KEY: "sk-master-0123456789"
      })
      const ask = (key: string) =>
        Effect.promise(async () => {
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
            body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Hi" }] })
          })
          return { status: response.status, headers: response.headers, body: (await response.json()) as any }
        })
      assert.strictEqual((yield* ask("sk-wrong-key-0123")).status, 401)
      const answer = yield* ask("sk-master-0123456789")
      assert.strictEqual(answer.body.choices[0].message.content, "From Claude.")
      assert.strictEqual(
        answer.headers.get("x-switchyard-attempts"),
        "openai/gpt-5-mini:primary=overloaded, openai/gpt-5-mini:retry=overloaded, anthropic/claude-haiku-4-5:fallback=ok"
      )
      // When both fail: one error in OpenAI's format, listing every attempt.
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.error(529))
      const failed = yield* ask("sk-master-0123456789")
      assert.strictEqual(failed.status, 503)
      assert.strictEqual(failed.body.error.type, "overloaded")
      assert.lengthOf(failed.body.error.attempts, 4)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
