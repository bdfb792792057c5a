/**
 * The SDK migration guide: each official SDK, its base URL changed, reaches either provider through
 * the gateway in its own format, and a provider's 429 is still the SDK's `RateLimitError`.
 */
import Anthropic from "@anthropic-ai/sdk"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { AnthropicWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import * as ViaAnthropic from "./anthropic-client.ts"
import * as ViaOpenAi from "./openai-client.ts"

const serve = Effect.gen(function*() {
  const openai = yield* MockUpstream.make()
  const anthropic = yield* MockUpstream.make()
  yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["Hello from GPT."] }))
  yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.answer({ text: ["Hello from Claude."] }))
  const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
    OPENAI_API_KEY: "sk-openai-0123456789",
    OPENAI_BASE_URL: `${openai.url}/v1`,
    ANTHROPIC_API_KEY: "sk-ant-0123456789",
    ANTHROPIC_BASE_URL: `${anthropic.url}/v1`
  })
  return { openai, anthropic, url }
})

describe("migration from the OpenAI or Anthropic SDK", () => {
  it.live("either SDK reaches either provider, by alias or provider/model", () =>
    Effect.gen(function*() {
      const { url } = yield* serve
      const answers = yield* Effect.promise(() =>
        Promise.all([
          ViaOpenAi.hello(url, "default"),
          ViaOpenAi.hello(url, "openai/gpt-5.5"),
          ViaAnthropic.hello(url, "default"),
          ViaAnthropic.hello(url, "openai/gpt-5.5")
        ])
      )
      assert.deepStrictEqual(answers, ["Hello from Claude.", "Hello from GPT.", "Hello from Claude.", "Hello from GPT."])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a provider's rate limit is each SDK's RateLimitError", () =>
    Effect.gen(function*() {
      const { openai, url } = yield* serve
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(429))
      const errors = yield* Effect.promise(() =>
        Promise.all([
          ViaOpenAi.openai(url).withOptions({ maxRetries: 0 }).chat.completions
            .create({ model: "openai/gpt-5.5", messages: [{ role: "user", content: "Hi" }] }).catch((e: unknown) => e),
          ViaAnthropic.anthropic(url).withOptions({ maxRetries: 0 }).messages
            .create({ model: "openai/gpt-5.5", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }).catch((e: unknown) => e)
        ])
      )
      assert.instanceOf(errors[0], OpenAI.RateLimitError)
      assert.instanceOf(errors[1], Anthropic.RateLimitError)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
