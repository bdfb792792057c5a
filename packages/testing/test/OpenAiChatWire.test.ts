import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Fault, OpenAiChatWire } from "@switchyard/testing"
import { request, sseEvents, sseJson, textOf } from "./helpers.ts"

const weather = { name: "get_weather", arguments: ['{"ci', 'ty":', '"Paris"}'] }

describe("OpenAiChatWire", () => {
  it.effect("streams chunks that share id, created, model and fingerprint, then [DONE]", () =>
    Effect.gen(function*() {
      const reply = OpenAiChatWire.stream({ model: "gpt-4o", text: ["Hel", "lo é🌍"] })
      const events = yield* sseJson(reply)
      assert.strictEqual(events.at(-1)!.data, "[DONE]")
      const chunks = events.slice(0, -1).map((e) => e.data)
      assert.isTrue(events.every((e) => e.event === "message"))
      for (const c of chunks) {
        assert.strictEqual(c.id, chunks[0].id)
        assert.match(c.id, /^chatcmpl-[A-Za-z0-9]{29}$/)
        assert.strictEqual(c.object, "chat.completion.chunk")
        assert.strictEqual(c.created, chunks[0].created)
        assert.strictEqual(c.model, "gpt-4o")
        assert.match(c.system_fingerprint, /^fp_[0-9a-f]{10}$/)
        assert.notProperty(c, "usage")
      }
      assert.deepStrictEqual(chunks[0].choices[0].delta, { role: "assistant", content: "", refusal: null })
      assert.strictEqual(chunks.map((c: any) => c.choices[0].delta.content ?? "").join(""), "Hello é🌍")
      assert.deepStrictEqual(chunks.at(-1).choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }])
      assert.match(textOf(reply), /^data: \{.*\}\n\n(data: .*\n\n)*data: \[DONE\]\n\n$/s)
    }))

  it.effect("with includeUsage: usage null on every chunk, then a choices: [] usage chunk before [DONE]", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(OpenAiChatWire.stream({
        text: ["a"],
        usage: { inputTokens: 40, outputTokens: 7, cachedInputTokens: 32, reasoningTokens: 3 }
      }, { includeUsage: true }))
      const chunks = events.slice(0, -1).map((e) => e.data)
      const usageChunk = chunks.at(-1)
      assert.deepStrictEqual(usageChunk.choices, [])
      assert.deepStrictEqual(usageChunk.usage.prompt_tokens_details.cached_tokens, 32)
      assert.strictEqual(usageChunk.usage.prompt_tokens, 40)
      assert.strictEqual(usageChunk.usage.completion_tokens, 7)
      assert.strictEqual(usageChunk.usage.total_tokens, 47)
      assert.strictEqual(usageChunk.usage.completion_tokens_details.reasoning_tokens, 3)
      assert.isTrue(chunks.slice(0, -1).every((c: any) => c.usage === null))
      assert.strictEqual(chunks.at(-2).choices[0].finish_reason, "stop")
    }))

  it.effect("streams tool calls: id, type and name in the first delta, then argument pieces by index", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(OpenAiChatWire.stream({
        toolCalls: [weather, { id: "call_given", name: "get_time", arguments: "{}" }]
      }))
      const deltas = events.slice(0, -1).map((e) => e.data.choices[0])
      const first = deltas[0].delta
      assert.strictEqual(first.role, "assistant")
      assert.strictEqual(first.content, null)
      assert.deepInclude(first.tool_calls[0], { index: 0, type: "function", function: { name: "get_weather", arguments: "" } })
      assert.match(first.tool_calls[0].id, /^call_[A-Za-z0-9]{24}$/)
      const calls = deltas.flatMap((d: any) => d.delta.tool_calls ?? [])
      const argumentsOf = (index: number) =>
        calls.filter((c: any) => c.index === index).map((c: any) => c.function.arguments).join("")
      assert.strictEqual(argumentsOf(0), '{"city":"Paris"}')
      assert.strictEqual(argumentsOf(1), "{}")
      const later = calls.filter((c: any) => c.index === 0).slice(1)
      assert.isTrue(later.every((c: any) => c.id === undefined && c.type === undefined && c.function.name === undefined))
      assert.strictEqual(calls.find((c: any) => c.index === 1).id, "call_given")
      assert.strictEqual(deltas.at(-1).finish_reason, "tool_calls")
    }))

  it.effect("puts reasoning in reasoning_content, or reasoning when asked", () =>
    Effect.gen(function*() {
      const script = { reasoning: ["Let me", " think"], text: ["42"] }
      const deepseek = yield* sseJson(OpenAiChatWire.stream(script))
      const groq = yield* sseJson(OpenAiChatWire.stream(script, { reasoningField: "reasoning" }))
      const join = (events: ReadonlyArray<any>, field: string) =>
        events.slice(0, -1).map((e) => e.data.choices[0].delta[field] ?? "").join("")
      assert.strictEqual(join(deepseek, "reasoning_content"), "Let me think")
      assert.strictEqual(join(groq, "reasoning"), "Let me think")
      assert.strictEqual(join(groq, "content"), "42")
    }))

  it.effect("an in-band error replaces the finish and [DONE]", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(OpenAiChatWire.stream({ text: ["par"] }, { error: { message: "boom", code: "server_error" } }))
      assert.deepStrictEqual(events.at(-1)!.data, {
        error: { message: "boom", type: "server_error", param: null, code: "server_error" }
      })
      assert.isFalse(events.some((e) => e.data === "[DONE]"))
    }))

  it("answers JSON with the whole message and usage", () => {
    const reply = OpenAiChatWire.json({ text: ["Hi", "!"], toolCalls: [weather], usage: { inputTokens: 9, outputTokens: 4 } })
    const body = JSON.parse(textOf(reply))
    assert.strictEqual(reply.headers["content-type"], "application/json")
    assert.strictEqual(body.object, "chat.completion")
    assert.strictEqual(body.choices[0].message.content, "Hi!")
    assert.strictEqual(body.choices[0].message.tool_calls[0].function.arguments, '{"city":"Paris"}')
    assert.strictEqual(body.choices[0].finish_reason, "tool_calls")
    assert.deepInclude(body.usage, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })
  })

  it("builds error bodies with type, code and param; Retry-After only when asked", () => {
    const limited = OpenAiChatWire.error(429, { retryAfter: 20 })
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers["retry-after"], "20")
    assert.deepInclude(JSON.parse(textOf(limited)).error, { type: "requests", code: "rate_limit_exceeded", param: null })
    const bare = OpenAiChatWire.error(429, { type: "insufficient_quota", code: "insufficient_quota", message: "quota" })
    assert.notProperty(bare.headers, "retry-after")
    assert.deepStrictEqual(JSON.parse(textOf(bare)), {
      error: { message: "quota", type: "insufficient_quota", param: null, code: "insufficient_quota" }
    })
    assert.strictEqual(JSON.parse(textOf(OpenAiChatWire.error(400, { param: "messages[0].role" }))).error.param, "messages[0].role")
  })

  it.effect("answer follows the request: stream and include_usage, else JSON; echoes the model", () =>
    Effect.gen(function*() {
      const answer = OpenAiChatWire.answer({ text: ["ok"] })
      const streamed = answer(request({
        path: "/v1/chat/completions",
        json: { model: "gpt-4.1", stream: true, stream_options: { include_usage: true } }
      }))
      const events = yield* sseJson(streamed)
      assert.deepStrictEqual(events.at(-2)!.data.choices, [])
      assert.strictEqual(events[0]!.data.model, "gpt-4.1")
      const whole = answer(request({ path: "/v1/chat/completions", json: { model: "gpt-4.1" } }))
      assert.strictEqual(JSON.parse(textOf(whole)).model, "gpt-4.1")
      assert.strictEqual((yield* sseEvents(OpenAiChatWire.stream({ text: ["x"] }).pipe(Fault.dropTerminal))).at(-1)!.data.includes("[DONE]"), false)
    }))
})
