/**
 * The fallback chain recipe: OpenAI answers 500, Anthropic 529 (each retried once), Gemini answers;
 * the client sees one answer and, in the headers, every attempt.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, GeminiWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { ask } from "./client.ts"

describe("cookbook: fallback chain", () => {
  it.live("fails over from OpenAI and Anthropic to Gemini", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      const gemini = yield* MockUpstream.make()
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(500))
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.error(529))
      yield* gemini.setDefault(GeminiWire.route, GeminiWire.answer({ text: ["Paris."] }))
      const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
        GEMINI_API_KEY: "gemini-key-0123456789",
        GEMINI_BASE_URL: `${gemini.url}/v1beta`
      })

      const result = yield* Effect.promise(() => ask(`${url}/v1`, "What is the capital of France?"))

      assert.deepStrictEqual(result, {
        answer: "Paris.",
        provider: "gemini",
        attempts: "openai/gpt-5-mini:primary=server_error, openai/gpt-5-mini:retry=server_error, " +
          "anthropic/claude-haiku-4-5:fallback=overloaded, anthropic/claude-haiku-4-5:retry=overloaded, " +
          "gemini/gemini-2.5-flash:fallback=ok"
      })
      assert.lengthOf(yield* openai.requests, 2)
      assert.lengthOf(yield* anthropic.requests, 2)
      const [asked] = yield* gemini.requests
      assert.strictEqual(asked!.path, "/v1beta/models/gemini-2.5-flash:generateContent")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
