/**
 * Getting started, as a new user runs it: `switchyard serve` with no config answers from the demo
 * provider; with the guide's config it serves two providers and falls back from one to the other.
 * The real command in a real process, its upstreams mocks.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AnthropicWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, environment, scratchWith, serveCommand } from "../test/Docs.ts"

const chat = (url: string, model: string, content: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content }] })
    })
    return { headers: response.headers, body: (await response.json()) as any }
  })

describe("getting started", () => {
  it.live("with no config and no keys: the demo provider answers", () =>
    Effect.gen(function*() {
      // A fresh folder: without a config the ledger is created in the working directory.
      const gateway = yield* serveCommand(["--port", "0"], mkdtempSync(join(tmpdir(), "switchyard-start-")))
      assert.match(gateway.output(), /^Switchyard listening on http:\/\/127\.0\.0\.1:\d+\nProviders: demo \(demo\)\nNo provider API keys found in the environment: answering with the built-in demo provider\.\n/)
      const { body } = yield* chat(gateway.url, "demo", "Hello!")
      assert.strictEqual(body.object, "chat.completion")
      assert.strictEqual(body.model, "demo")
      assert.strictEqual(body.choices[0].message.role, "assistant")
      assert.strictEqual(body.choices[0].message.content, "Hello from Switchyard's demo provider. You said: \"Hello!\"")
    }))

  it.live("with the guide's config: two providers, and the second answers when the first fails", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      yield* openai.enqueue(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["Hi from OpenAI."] }))
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(401, { message: "Incorrect API key provided." }))
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.answer({ text: ["Hi from Claude."] }))
      // The config in a scratch folder: its SQLite ledger is written next to it.
      const dir = scratchWith([beside(import.meta.url, "switchyard.yaml")])
      const gateway = yield* serveCommand(["--config", "switchyard.yaml", "--port", "0"], dir, environment({
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`
      }))
      assert.match(gateway.output(), /^Switchyard listening on http:\/\/127\.0\.0\.1:\d+\nProviders: openai \(openai\), anthropic \(anthropic\)\n$/)

      const first = yield* chat(gateway.url, "chat", "Hello!")
      assert.strictEqual(first.body.choices[0].message.content, "Hi from OpenAI.")
      assert.strictEqual(first.headers.get("x-switchyard-attempts"), "openai/gpt-5-mini:primary=ok")

      const second = yield* chat(gateway.url, "chat", "Hello!")
      assert.strictEqual(second.body.choices[0].message.content, "Hi from Claude.")
      assert.strictEqual(second.headers.get("x-switchyard-attempts"), "openai/gpt-5-mini:primary=auth, anthropic/claude-haiku-4-5:fallback=ok")
      assert.isTrue(existsSync(join(dir, "switchyard-ledger.sqlite")))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
