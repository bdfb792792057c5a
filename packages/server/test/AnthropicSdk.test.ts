import { assert, describe, it } from "@effect/vitest"
import Anthropic from "@anthropic-ai/sdk"
import { Effect, Stream } from "effect"
import { type Provider, ProviderError, type StreamEvent, StreamAccumulator } from "@switchyard/core"
import { Demo } from "@switchyard/gateway"
import { serveProviders } from "./harness.ts"

const client = (baseURL: string) => new Anthropic({ baseURL, apiKey: "unused", maxRetries: 0 })

/** A provider that streams a tool call in pieces (and answers the same when not streamed). */
const toolCaller: Provider.ProviderShape = (() => {
  const events: Array<StreamEvent.StreamEvent> = [
    { _tag: "ResponseStart", id: "resp_1", model: "tool-model", created: 1 },
    { _tag: "TextDelta", choice: 0, text: "Checking the weather." },
    { _tag: "ToolCallStart", choice: 0, index: 0, id: "call_abc", name: "get_weather" },
    { _tag: "ToolCallDelta", choice: 0, index: 0, arguments: "{\"city\":" },
    { _tag: "ToolCallDelta", choice: 0, index: 0, arguments: "\"Paris\"}" },
    { _tag: "Finish", choice: 0, reason: "tool_calls", raw: "tool_calls" },
    { _tag: "UsageReport", usage: { inputTokens: 30, outputTokens: 12, cachedInputTokens: 10, cacheWriteTokens: 5, source: "provider" } }
  ]
  return {
    name: "tools",
    complete: () => Effect.succeed(StreamAccumulator.assemble(events)),
    stream: () => Stream.fromIterable(events)
  }
})()

const rateLimited: Provider.ProviderShape = {
  name: "busy",
  complete: () => Effect.fail(new ProviderError.RateLimited({ provider: "busy", message: "busy: slow down", status: 429 })),
  stream: () => Stream.fail(new ProviderError.RateLimited({ provider: "busy", message: "busy: slow down", status: 429 }))
}

const tools = [{ name: "get_weather", description: "Weather by city", input_schema: { type: "object" as const, properties: { city: { type: "string" } } } }]

describe("the Anthropic-compatible endpoint with Anthropic's SDK", () => {
  it.live("answers a plain message", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const message = yield* Effect.promise(() =>
        client(url).messages.create({ model: "claude-like", max_tokens: 100, system: "Be brief.", messages: [{ role: "user", content: "hello" }] })
      )
      assert.strictEqual(message.type, "message")
      assert.strictEqual(message.stop_reason, "end_turn")
      assert.deepStrictEqual(
        message.content.map((block) => (block.type === "text" ? { type: block.type, text: block.text } : block)),
        [{ type: "text", text: "Hello from Switchyard's demo provider. You said: \"hello\"" }]
      )
    }))

  it.live("streams, and the SDK's stream helper assembles the final message", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const texts: Array<string> = []
      const final = yield* Effect.promise(() => {
        const stream = client(url).messages.stream({ model: "m", max_tokens: 50, messages: [{ role: "user", content: "stream" }] })
        stream.on("text", (t) => texts.push(t))
        return stream.finalMessage()
      })
      assert.isAbove(texts.length, 3)
      assert.strictEqual(final.content.length, 1)
      const block = final.content[0]
      assert.strictEqual(block?.type, "text")
      if (block?.type === "text") {
        assert.strictEqual(block.text, "Hello from Switchyard's demo provider. You said: \"stream\"")
        assert.strictEqual(block.text, texts.join(""))
      }
      assert.strictEqual(final.stop_reason, "end_turn")
    }))

  it.live("streams a tool call in pieces and reports cache usage the Anthropic way", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([toolCaller])
      const final = yield* Effect.promise(() =>
        client(url).messages.stream({ model: "m", max_tokens: 50, tools, messages: [{ role: "user", content: "weather?" }] }).finalMessage()
      )
      assert.strictEqual(final.stop_reason, "tool_use")
      assert.strictEqual(final.content.length, 2)
      const call = final.content[1]
      assert.strictEqual(call?.type, "tool_use")
      if (call?.type === "tool_use") {
        assert.strictEqual(call.id, "call_abc")
        assert.strictEqual(call.name, "get_weather")
        assert.deepStrictEqual(call.input, { city: "Paris" })
      }
      assert.strictEqual(final.usage.input_tokens, 15)
      assert.strictEqual(final.usage.cache_read_input_tokens, 10)
      assert.strictEqual(final.usage.cache_creation_input_tokens, 5)
      assert.strictEqual(final.usage.output_tokens, 12)
    }))

  it.live("raises the SDK's RateLimitError for an upstream 429", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([rateLimited])
      const error = yield* Effect.promise(() =>
        client(url).messages.create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      assert.instanceOf(error, Anthropic.RateLimitError)
      assert.strictEqual((error as InstanceType<typeof Anthropic.RateLimitError>).status, 429)
    }))

  it.live("refuses what it cannot translate, naming the feature", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const error = yield* Effect.promise(() =>
        client(url).messages.create({
          model: "m",
          max_tokens: 10,
          tools: [{ type: "web_search_20250305", name: "web_search" }],
          messages: [{ role: "user", content: "x" }]
        }).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      assert.instanceOf(error, Anthropic.BadRequestError)
      assert.include(String((error as Error).message), "web_search")
    }))
})
