/**
 * A client speaks one dialect, the route another: through the real server, each client's official
 * SDK gets its own dialect back, with tool calls, system prompts, finish reasons and usage intact.
 */
import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import OpenAI from "openai"
import { AnthropicWire, GeminiWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

const toolScript = {
  text: ["Let me look that up."],
  toolCalls: [{ name: "get_weather", arguments: ["{\"city\":", " \"Paris\"}"] }],
  usage: { inputTokens: 120, outputTokens: 20, cachedInputTokens: 100 }
}

const openAiClient = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })

/** A gateway whose only route for `smart` is `kind` at the mock upstream. */
const gatewayTo = (kind: "anthropic" | "gemini" | "openai", path: string) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    const url = yield* serveConfig({
      providers: { upstream: { kind, base_url: `${upstream.url}${path}`, api_key: Redacted.make("upstream-key-0123456789") } },
      models: { smart: { routes: [{ provider: "upstream", model: "model-x" }] } }
    })
    return { upstream, url }
  })

const openAiToolRequest = {
  model: "smart",
  messages: [{ role: "system" as const, content: "Be terse." }, { role: "user" as const, content: "Weather in Paris?" }],
  tools: [weatherTool]
}

for (const [kind, path, route, answer] of [
  ["anthropic", "/v1", AnthropicWire.route, AnthropicWire.answer(toolScript)],
  ["gemini", "/v1beta", GeminiWire.route, GeminiWire.answer(toolScript)]
] as const) {
  describe(`OpenAI SDK → gateway → ${kind}`, () => {
    it.live("returns the tool call of a whole answer in OpenAI's format", () =>
      Effect.gen(function*() {
        const { upstream, url } = yield* gatewayTo(kind, path)
        yield* upstream.setDefault(route, answer)
        const completion = yield* Effect.promise(() => openAiClient(url).chat.completions.create(openAiToolRequest))
        const choice = completion.choices[0]!
        assert.strictEqual(choice.finish_reason, "tool_calls")
        assert.strictEqual(choice.message.content, "Let me look that up.")
        const call = choice.message.tool_calls?.[0]
        assert.strictEqual(call?.type, "function")
        if (call?.type !== "function") return
        assert.strictEqual(call.function.name, "get_weather")
        assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "Paris" })
        assert.strictEqual(completion.usage?.prompt_tokens, 120)
        assert.strictEqual(completion.usage?.prompt_tokens_details?.cached_tokens, 100)
        const sent = (yield* upstream.exchanges)[0]!.request.json as Record<string, unknown>
        if (kind === "anthropic") {
          assert.strictEqual(sent["system"], "Be terse.")
          assert.deepStrictEqual(sent["tools"], [{ name: "get_weather", description: "Current weather for a city", input_schema: weatherTool.function.parameters }])
        } else {
          assert.deepStrictEqual(sent["systemInstruction"], { parts: [{ text: "Be terse." }] })
          assert.deepStrictEqual(sent["tools"], [{
            functionDeclarations: [{ name: "get_weather", description: "Current weather for a city", parametersJsonSchema: weatherTool.function.parameters }]
          }])
        }
      }))

    it.live("streams the tool call in OpenAI chunks that the SDK reassembles", () =>
      Effect.gen(function*() {
        const { upstream, url } = yield* gatewayTo(kind, path)
        yield* upstream.setDefault(route, answer)
        const runner = openAiClient(url).chat.completions.stream({ ...openAiToolRequest, stream_options: { include_usage: true } })
        const final = yield* Effect.promise(() => runner.finalChatCompletion())
        const choice = final.choices[0]!
        assert.strictEqual(choice.finish_reason, "tool_calls")
        assert.strictEqual(choice.message.content, "Let me look that up.")
        const call = choice.message.tool_calls?.[0]
        if (call?.type !== "function") return assert.fail("expected a function call")
        assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "Paris" })
        assert.strictEqual(final.usage?.completion_tokens, 20)
      }))
  })
}

describe("Anthropic SDK → gateway → OpenAI-compatible host", () => {
  const anthropicClient = (url: string) => new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0 })
  const request = {
    model: "smart",
    max_tokens: 300,
    system: "Be terse.",
    tools: [{
      name: "get_weather",
      description: "Current weather for a city",
      input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] }
    }],
    messages: [{ role: "user" as const, content: "Weather in Paris?" }]
  }

  it.live("answers a tool use in Anthropic's format, and sends OpenAI's format upstream", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* gatewayTo("openai", "/v1")
      yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(toolScript))
      const message = yield* Effect.promise(() => anthropicClient(url).messages.create(request))
      assert.strictEqual(message.stop_reason, "tool_use")
      const use = message.content.find((b) => b.type === "tool_use")
      if (use?.type !== "tool_use") return assert.fail("expected a tool_use block")
      assert.strictEqual(use.name, "get_weather")
      assert.deepStrictEqual(use.input, { city: "Paris" })
      // Anthropic counts cache reads apart from input_tokens.
      assert.strictEqual(message.usage.input_tokens, 20)
      assert.strictEqual(message.usage.cache_read_input_tokens, 100)
      const sent = (yield* upstream.exchanges)[0]!.request.json as { messages: Array<unknown>; tools: Array<unknown>; max_tokens: number }
      assert.deepStrictEqual(sent.messages, [{ role: "system", content: "Be terse." }, { role: "user", content: "Weather in Paris?" }])
      assert.deepStrictEqual(sent.tools, [weatherTool])
      assert.strictEqual(sent.max_tokens, 300)
    }))

  it.live("streams, and the SDK's helper assembles the tool use", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* gatewayTo("openai", "/v1")
      yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(toolScript))
      const stream = anthropicClient(url).messages.stream(request)
      const final = yield* Effect.promise(() => stream.finalMessage())
      assert.strictEqual(final.stop_reason, "tool_use")
      const text = final.content.find((b) => b.type === "text")
      assert.strictEqual(text?.type === "text" ? text.text : undefined, "Let me look that up.")
      const use = final.content.find((b) => b.type === "tool_use")
      assert.deepStrictEqual(use?.type === "tool_use" ? use.input : undefined, { city: "Paris" })
    }))

  it.live("raises the SDK's error class for an upstream failure", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* gatewayTo("openai", "/v1")
      yield* upstream.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(401))
      const error = yield* Effect.promise(() => anthropicClient(url).messages.create(request).then(() => undefined, (e: unknown) => e))
      assert.instanceOf(error, Anthropic.AuthenticationError)
    }))
})
