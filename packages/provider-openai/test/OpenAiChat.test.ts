/**
 * The Chat Completions adapter on recorded-format streams and bodies (fixtures/chat, sources in
 * fixtures/README.md), whole and in every network split, and its request encoding per host.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { readFileSync } from "node:fs"
import type { ChatRequest } from "@switchyard/core"
import { Hosts, OpenAiChat } from "@switchyard/provider-openai"
import { Replay } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/chat/${name}`, import.meta.url)))

const decode = (host: string, chunks: ReadonlyArray<Uint8Array>) =>
  Replay.stream(OpenAiChat.dialect(Hosts.resolve(host)), chunks, { provider: host, model: "m" })

describe("OpenAiChat stream", () => {
  it.effect("assembles text split inside multi-byte characters, with usage after the finish", () =>
    Effect.gen(function*() {
      const bytes = fixture("stream-text-usage.sse")
      const { error, response } = yield* decode("openai", [...bytes].map((b) => Uint8Array.of(b)))
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "Grüß Gott 👋")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 1200,
        outputTokens: 6,
        cachedInputTokens: 1024,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        source: "provider"
      })
    }))

  it.effect("gives the same answer for any split of the bytes", () =>
    Effect.gen(function*() {
      const bytes = fixture("stream-parallel-tool-calls.sse")
      const whole = JSON.stringify((yield* decode("openai", [bytes])).response)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), async (cuts) => {
            const split = await Effect.runPromise(decode("openai", Replay.split(bytes, cuts)))
            return JSON.stringify(split.response) === whole
          }),
          { numRuns: 60 }
        )
      )
    }))

  it.effect("keeps parallel tool calls apart by index, arguments streamed in pieces", () =>
    Effect.gen(function*() {
      const { events, response } = yield* decode("openai", [fixture("stream-parallel-tool-calls.sse")])
      assert.deepStrictEqual(
        response.choices[0]?.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]),
        [["call_paris01", "get_weather", { city: "Paris" }], ["call_tokyo02", "get_weather", { city: "Tokyo" }]]
      )
      assert.strictEqual(events.filter((e) => e._tag === "ToolCallDelta" && e.index === 0).length, 2)
      assert.strictEqual(response.choices[0]?.finishReason, "tool_calls")
    }))

  it.effect("reads DeepSeek's reasoning_content and cache-hit counts", () =>
    Effect.gen(function*() {
      const { response } = yield* decode("deepseek", [fixture("stream-deepseek-reasoning.sse")])
      assert.strictEqual(response.choices[0]?.reasoning, "The user greets; answer kindly.")
      assert.strictEqual(response.choices[0]?.content, "Hello!")
      assert.strictEqual(response.usage?.cachedInputTokens, 64)
      assert.strictEqual(response.usage?.outputTokens, 12)
      assert.strictEqual(response.usage?.reasoningTokens, 9)
    }))

  it.effect("adds xAI's reasoning tokens, reported outside completion_tokens, to output", () =>
    Effect.gen(function*() {
      const { response } = yield* decode("xai", [fixture("stream-xai-reasoning-outside.sse")])
      assert.strictEqual(response.usage?.outputTokens, 151)
      assert.strictEqual(response.usage?.reasoningTokens, 150)
      assert.strictEqual(response.usage?.cachedInputTokens, 16)
    }))

  it.effect("fails with the error a host sends inside a 200 stream, after the content it had sent", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode("openrouter", [fixture("stream-openrouter-midstream-error.sse")])
      assert.strictEqual(response.choices[0]?.content, "Partial ")
      assert.strictEqual(error?.category, "server_error")
      assert.strictEqual(error?.retryable, true)
    }))

  it.effect("reports a stream cut before its finish as interrupted, never as complete", () =>
    Effect.gen(function*() {
      const bytes = fixture("stream-text-usage.sse")
      const text = new TextDecoder().decode(bytes)
      const cut = new TextEncoder().encode(text.slice(0, text.indexOf("finish_reason\":\"stop") - 200))
      const { error, response } = yield* decode("openai", [cut])
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.notStrictEqual(response.choices[0]?.finishReason, "stop")
    }))

  it.effect("rejects a malformed chunk as a typed error, never as text", () =>
    Effect.gen(function*() {
      const bad = new TextEncoder().encode("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\ndata: {\"choices\":[{\"ind\n\n")
      const { error, response } = yield* decode("openai", [bad])
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.strictEqual(response.choices[0]?.content, "ok")
    }))
})

describe("OpenAiChat response", () => {
  it.effect("decodes a whole answer with a tool call, refusal-free, and usage", () =>
    Effect.gen(function*() {
      const body = {
        id: "chatcmpl-sy10",
        object: "chat.completion",
        created: 1764000010,
        model: "gpt-4.1",
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{\"q\":\"x\"}" } }],
            refusal: null
          },
          finish_reason: "tool_calls"
        }],
        usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60, prompt_tokens_details: { cached_tokens: 0 } }
      }
      const response = yield* OpenAiChat.dialect(Hosts.resolve("openai")).decodeResponse(body, { provider: "openai", model: "gpt-4.1" })
      assert.deepStrictEqual(response.choices[0]?.toolCalls, [{ id: "call_1", name: "lookup", arguments: "{\"q\":\"x\"}" }])
      assert.strictEqual(response.choices[0]?.finishReason, "tool_calls")
      assert.strictEqual(response.usage?.inputTokens, 50)
    }))
})

describe("OpenAiChat request encoding", () => {
  const request: ChatRequest.ChatRequest = {
    model: "m",
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }],
    max_tokens: 64,
    temperature: 0.2,
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    response_format: { type: "json_object" }
  }
  const encode = (host: string, stream: boolean) =>
    OpenAiChat.dialect(Hosts.resolve(host)).encode(request, stream, { provider: host, model: "m" })

  it.effect("asks OpenAI for max_completion_tokens and streamed usage", () =>
    Effect.gen(function*() {
      const { body, path } = yield* encode("openai", true)
      assert.strictEqual(path, "/chat/completions")
      assert.deepStrictEqual(body, {
        model: "m",
        messages: request.messages,
        temperature: 0.2,
        tools: request.tools,
        response_format: { type: "json_object" },
        max_completion_tokens: 64,
        stream: true,
        stream_options: { include_usage: true }
      })
    }))

  it.effect("sends max_tokens to compatible hosts and no stream fields when not streaming", () =>
    Effect.gen(function*() {
      const { body } = yield* encode("groq", false)
      const sent = body as Record<string, unknown>
      assert.strictEqual(sent["max_tokens"], 64)
      assert.isUndefined(sent["max_completion_tokens"])
      assert.isUndefined(sent["stream"])
      assert.isUndefined(sent["stream_options"])
    }))

  it("resolves host profiles by name and alias, and any other name as a generic host", () => {
    assert.strictEqual(Hosts.resolve("Kimi").name, "moonshot")
    assert.strictEqual(Hosts.resolve("groq").defaultBaseUrl, "https://api.groq.com/openai/v1")
    const proxy = Hosts.resolve("my-proxy")
    assert.strictEqual(proxy.name, "my-proxy")
    assert.isUndefined(proxy.defaultBaseUrl)
  })
})
