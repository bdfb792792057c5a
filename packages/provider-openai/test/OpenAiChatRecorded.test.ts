/**
 * The Chat Completions adapter on recorded shapes of OpenAI-compatible hosts (fixtures/chat-*.sse,
 * sources in fixtures/README.md): usage wherever a host puts it (inside the choice, in `x_groq`, on
 * the finish chunk, in a last chunk with `choices: []`, on every chunk), usage a stream reported
 * before it broke, and streams cut before any content. Every file is replayed whole and in small
 * chunks (3 and 7 bytes, splitting JSON, UTF-8 sequences and frame boundaries), with the same result.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { Hosts, OpenAiChat } from "@switchyard/provider-openai"
import { Replay } from "@switchyard/testing"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))

const decode = (host: string, chunks: ReadonlyArray<Uint8Array>) =>
  Replay.stream(OpenAiChat.dialect(Hosts.resolve(host)), chunks, { provider: host, model: "m" })

/** The outcome of the whole file, after checking that every small split gives the same one. */
const replay = (host: string, name: string) =>
  Effect.gen(function*() {
    const bytes = fixture(name)
    const whole = yield* decode(host, [bytes])
    for (const size of [3, 7]) {
      const split = yield* decode(host, Replay.chunked(bytes, size))
      assert.deepStrictEqual(split.response, whole.response, `${name} in ${size}-byte chunks`)
      assert.strictEqual(split.error?._tag, whole.error?._tag, `${name} in ${size}-byte chunks`)
    }
    return whole
  })

const usage = (inputTokens: number, outputTokens: number, cachedInputTokens = 0) => ({
  inputTokens,
  outputTokens,
  cachedInputTokens,
  cacheWriteTokens: 0,
  source: "provider" as const
})

describe("OpenAI-compatible usage wherever the host puts it", () => {
  it.effect("Moonshot: usage inside choices[0] of the finish chunk", () =>
    Effect.gen(function*() {
      const { error, response } = yield* replay("moonshot", "chat-moonshot-usage-in-choice.sse")
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "你好，李雷！1+1等于2。")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
      assert.deepStrictEqual(response.usage, usage(19, 13))
    }))

  it.effect("the same shape from an unknown host (a proxy in front of Moonshot) is read too", () =>
    Effect.gen(function*() {
      const { response } = yield* replay("my-proxy", "chat-moonshot-usage-in-choice.sse")
      assert.deepStrictEqual(response.usage, usage(19, 13))
    }))

  it.effect("Groq: usage only in x_groq.usage of the finish chunk", () =>
    Effect.gen(function*() {
      const { error, response } = yield* replay("groq", "chat-groq-xgroq-usage.sse")
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "Hello!")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
      assert.deepStrictEqual(response.usage, usage(18, 2))
    }))

  it.effect("llama.cpp server: usage next to timings on the chunk that carries the finish reason", () =>
    Effect.gen(function*() {
      const { error, response } = yield* replay("llamacpp", "chat-llamacpp-usage-on-finish.sse")
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "Hello there")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
      assert.deepStrictEqual(response.usage, usage(12, 3))
    }))

  it.effect("OpenAI: usage: null on every chunk, then a last chunk with choices: [] after the finish", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* replay("openai", "chat-usage-chunk-after-finish.sse")
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "Four.")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
      assert.deepStrictEqual(response.usage, { ...usage(14, 2), reasoningTokens: 0 })
      assert.strictEqual(events.filter((e) => e._tag === "UsageReport").length, 1)
    }))

  it.effect("Perplexity: running usage on every chunk, text from delta (not the cumulative message)", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* replay("perplexity", "chat-perplexity-usage-every-chunk.sse")
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "Finding a job takes networking.")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
      assert.deepStrictEqual(response.usage, usage(10, 5))
      // A report on every chunk, each after that chunk's text: the last one standing is the total.
      assert.strictEqual(events.filter((e) => e._tag === "UsageReport").length, 4)
    }))
})

describe("OpenAI-compatible usage reported before the stream broke", () => {
  it.effect("vLLM with running usage, cut mid-answer: interrupted, with the server's counts so far", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* replay("vllm", "chat-vllm-usage-every-chunk-cut.sse")
      assert.strictEqual(error?.category, "stream_interrupted")
      assert.strictEqual(error?.retryable, true)
      assert.strictEqual(response.choices[0]?.content, "! glare")
      assert.deepStrictEqual(response.usage, usage(16, 2))
      // The role chunk already carried the input count, before any text.
      const first = events.findIndex((e) => e._tag === "UsageReport")
      const text = events.findIndex((e) => e._tag === "TextDelta")
      assert.isBelow(first, text)
      assert.deepStrictEqual(events[first], { _tag: "UsageReport", usage: usage(16, 0) })
    }))

  it.effect("asks vLLM and SGLang for usage on every chunk, other hosts only at the end", () =>
    Effect.gen(function*() {
      const request = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }
      const streamOptions = (host: string) =>
        Effect.map(
          OpenAiChat.dialect(Hosts.resolve(host)).encode(request, true, { provider: host, model: "m" }),
          ({ body }) => (body as Record<string, unknown>)["stream_options"]
        )
      assert.deepStrictEqual(yield* streamOptions("vllm"), { include_usage: true, continuous_usage_stats: true })
      assert.deepStrictEqual(yield* streamOptions("sglang"), { include_usage: true, continuous_usage_stats: true })
      assert.deepStrictEqual(yield* streamOptions("openai"), { include_usage: true })
      assert.deepStrictEqual(yield* streamOptions("my-proxy"), { include_usage: true })
    }))
})

describe("OpenAI-compatible streams cut before any content", () => {
  for (
    const [name, host] of [
      ["chat-local-cut-after-headers.sse", "llamacpp"],
      ["chat-vllm-cut-after-role.sse", "vllm"],
      ["chat-local-empty-finish-reason-cut.sse", "openai-compatible"]
    ] as const
  ) {
    it.effect(`${name}: a retryable stream_interrupted, never an empty answer`, () =>
      Effect.gen(function*() {
        const { error, response } = yield* replay(host, name)
        assert.strictEqual(error?._tag, "StreamInterrupted")
        assert.strictEqual(error?.category, "stream_interrupted")
        assert.strictEqual(error?.retryable, true)
        assert.isTrue(response.choices.every((c) => c.content === "" && c.finishReason === "other"))
      }))
  }

  it.effect("an empty-string finish_reason is not a finish: the choice finishes with the real one", () =>
    Effect.gen(function*() {
      const head = new TextDecoder().decode(fixture("chat-local-empty-finish-reason-cut.sse"))
      const rest = "data: {\"id\":\"chatcmpl-SyRecorded09\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"\"}]}\n\n" +
        "data: {\"id\":\"chatcmpl-SyRecorded09\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n"
      const { error, response } = yield* decode("openai-compatible", [new TextEncoder().encode(head + rest)])
      assert.isUndefined(error)
      assert.strictEqual(response.choices[0]?.content, "ok")
      assert.strictEqual(response.choices[0]?.finishReason, "length")
    }))
})
