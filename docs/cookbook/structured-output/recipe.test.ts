/**
 * The structured output recipe: OpenAI answers prose (re-asked, then left), Anthropic leaves out a
 * required field (re-asked, then left), Gemini wraps valid JSON in a markdown fence (repaired). The
 * client gets the schema's object; each provider was asked in its own structured-output dialect.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, GeminiWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { extractInvoice } from "./client.ts"

const expected = { vendor: "ACME GmbH", total: 1234.5, currency: "EUR" }

describe("cookbook: structured output across three providers", () => {
  it.live("re-asks, moves on, and repairs until an answer honours the schema", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      const gemini = yield* MockUpstream.make()
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["The invoice is from ACME GmbH, 1234.50 EUR."] }))
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.answer({ text: [JSON.stringify({ vendor: "ACME GmbH", total: 1234.5 })] }))
      yield* gemini.setDefault(GeminiWire.route, GeminiWire.answer({ text: ["```json\n" + JSON.stringify(expected) + "\n```"] }))
      const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
        GEMINI_API_KEY: "gemini-key-0123456789",
        GEMINI_BASE_URL: `${gemini.url}/v1beta`
      })

      const result = yield* Effect.promise(() => extractInvoice(`${url}/v1`, "ACME GmbH ... Total: 1.234,50 EUR"))

      assert.deepStrictEqual(result, {
        invoice: expected,
        contract: "openai/gpt-5-mini=failed, anthropic/claude-haiku-4-5=failed, gemini/gemini-2.5-flash=repaired",
        repairs: "extractJson"
      })
      const [openaiFirst, openaiReask] = yield* openai.requests
      assert.deepStrictEqual((openaiFirst!.json as any).response_format.json_schema.name, "invoice")
      assert.include((openaiReask!.json as any).messages.at(-1).content, "expected JSON")
      const [anthropicFirst, anthropicReask] = yield* anthropic.requests
      assert.deepStrictEqual((anthropicFirst!.json as any).output_format.type, "json_schema")
      const [geminiFirst] = yield* gemini.requests
      assert.strictEqual((geminiFirst!.json as any).generationConfig.responseMimeType, "application/json")
      assert.deepStrictEqual((geminiFirst!.json as any).generationConfig.responseJsonSchema.required, ["vendor", "total", "currency"])
      assert.include(JSON.stringify((anthropicReask!.json as any).messages.at(-1)), "currency")
      assert.lengthOf(yield* gemini.requests, 1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
