import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base"
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base"
import type { ChatRequest } from "@switchyard/core"
import { Estimate } from "../src/index.ts"

/**
 * The example conversation of OpenAI's cookbook "How to count tokens with tiktoken"
 * (github.com/openai/openai-cookbook, examples/How_to_count_tokens_with_tiktoken.ipynb), whose prompt
 * token counts the cookbook checked against the API: 129 for gpt-3.5-turbo-0613 and gpt-4-0613
 * (cl100k_base), 124 for gpt-4o and gpt-4o-mini (o200k_base).
 */
const cookbook: ChatRequest.ChatRequest = {
  model: "gpt-4o",
  messages: [
    {
      role: "system",
      content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."
    },
    { role: "system", name: "example_user", content: "New synergies will help drive top-line growth." },
    { role: "system", name: "example_assistant", content: "Things working well together will increase revenue." },
    {
      role: "system",
      name: "example_user",
      content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."
    },
    { role: "system", name: "example_assistant", content: "Let's talk later when we're less busy about how to do better." },
    { role: "user", content: "This late pivot means we don't have time to boil the ocean for the client deliverable." }
  ]
}

const hello = (model: string): ChatRequest.ChatRequest => ({ model, messages: [{ role: "user", content: "Hello there" }] })

describe("Estimate", () => {
  it.effect("OpenAI models: the model's own encoding and OpenAI's per-message rule (cookbook counts)", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const counts = yield* Effect.forEach(
        ["gpt-3.5-turbo-0613", "gpt-4-0613", "gpt-4o", "gpt-4o-mini"],
        (model) => estimate.input({ ...cookbook, model })
      )
      assert.deepStrictEqual(counts.map((e) => e.usage.inputTokens), [129, 129, 124, 124])
      assert.deepStrictEqual(counts.map((e) => e.method), [
        "tokenizer:cl100k_base",
        "tokenizer:cl100k_base",
        "tokenizer:o200k_base",
        "tokenizer:o200k_base"
      ])
      assert.strictEqual(counts[2]!.usage.source, "estimated")
      assert.strictEqual(counts[2]!.usage.outputTokens, 0)
    }))

  it.effect("the encoding is chosen by model name, also behind a router prefix", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      assert.strictEqual(estimate.methodFor("gpt-5.5-2026-04-23"), "tokenizer:o200k_base")
      assert.strictEqual(estimate.methodFor("o3-mini"), "tokenizer:o200k_base")
      assert.strictEqual(estimate.methodFor("gpt-4.1"), "tokenizer:o200k_base")
      assert.strictEqual(estimate.methodFor("gpt-4-turbo-2024-04-09"), "tokenizer:cl100k_base")
      assert.strictEqual(estimate.methodFor("gpt-3.5-turbo-0125"), "tokenizer:cl100k_base")
      assert.strictEqual(estimate.methodFor("openai/gpt-oss-120b"), "tokenizer:o200k_harmony")
      assert.strictEqual(estimate.methodFor("claude-sonnet-4-5"), "approx:o200k_base")
      assert.strictEqual(estimate.methodFor("llama-3.3-70b-versatile"), "approx:o200k_base")
    }))

  it.effect("other models: o200k_base count times the configured factor, rounded up", () =>
    Effect.gen(function*() {
      const plain = yield* Estimate.make()
      const leaning = yield* Estimate.make({ approximationFactor: 1.25 })
      const text = "Die Katze sitzt auf der Matte und schnurrt leise vor sich hin."
      const exact = o200k(text)
      const a = yield* plain.output("claude-sonnet-4-5", text)
      const b = yield* leaning.output("claude-sonnet-4-5", text)
      assert.strictEqual(a.usage.outputTokens, exact)
      assert.strictEqual(b.usage.outputTokens, Math.ceil(exact * 1.25))
      assert.strictEqual(b.method, "approx:o200k_base*1.25")
      // OpenAI models are never scaled.
      assert.strictEqual((yield* leaning.output("gpt-4o", text)).usage.outputTokens, exact)
    }))

  it.effect("output of streamed text, counted with the model's encoding", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const text = "日本語のテキストは英語より多くのトークンを使います。" + " Mixed with English, and code: const x = 1;"
      const gpt4 = yield* estimate.output("gpt-4", text)
      const gpt4o = yield* estimate.output("gpt-4o", text)
      assert.strictEqual(gpt4.usage.outputTokens, cl100k(text))
      assert.strictEqual(gpt4o.usage.outputTokens, o200k(text))
      assert.notStrictEqual(cl100k(text), o200k(text), "the encodings must differ on this text for the test to mean anything")
      assert.strictEqual((yield* estimate.output("gpt-4o", "")).usage.outputTokens, 0)
    }))

  it.effect("a special token's spelling in the text is ordinary text: counted, never an error", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      // Split before the BPE into "<|", the word and "|>" (punctuation runs and letters), each of
      // which the default API counts: the ordinary count is their sum, the special token would be 1.
      const ordinary = (count: (text: string) => number, word: string) => count("<|") + count(word) + count("|>")
      for (const [model, count] of [["gpt-4o", o200k], ["gpt-4", cl100k]] as const) {
        for (const word of ["endoftext", "im_start", "fim_prefix", "endofprompt"]) {
          const counted = yield* estimate.output(model, `<|${word}|>`)
          assert.strictEqual(counted.usage.outputTokens, ordinary(count, word), `${model}: <|${word}|>`)
          assert.isAbove(counted.usage.outputTokens, 1)
        }
      }
      const harmony = yield* estimate.input({ model: "gpt-oss-120b", messages: [{ role: "user", content: "<|start|>user<|message|>hi<|end|>" }] })
      assert.isAbove(harmony.usage.inputTokens, 10)
    }))

  it.effect("usage of a cut stream: input of the request plus output of what was streamed", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const request = hello("gpt-4o")
      const result = yield* estimate.usage(request, "General Kenobi!")
      // 3 (message) + "user" + "Hello there" + 3 (reply priming)
      assert.strictEqual(result.usage.inputTokens, 3 + o200k("user") + o200k("Hello there") + 3)
      assert.strictEqual(result.usage.outputTokens, o200k("General Kenobi!"))
      assert.strictEqual(result.usage.source, "estimated")
      assert.strictEqual(result.method, "tokenizer:o200k_base")
    }))

  it.effect("images at OpenAI's fixed token price; tools and tool calls counted", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const base = (yield* estimate.input(hello("gpt-4o"))).usage.inputTokens
      const withImage = (detail: "low" | "high") =>
        estimate.input({
          model: "gpt-4o",
          messages: [{
            role: "user",
            content: [
              { type: "text", text: "Hello there" },
              { type: "image_url", image_url: { url: "https://x/y.png", detail } }
            ]
          }]
        })
      assert.strictEqual((yield* withImage("low")).usage.inputTokens, base + 85)
      assert.strictEqual((yield* withImage("high")).usage.inputTokens, base + 765)

      const withTools = yield* estimate.input({
        ...hello("gpt-4o"),
        tools: [{
          type: "function",
          function: {
            name: "get_weather",
            description: "Look up the weather for a city.",
            parameters: { type: "object", required: ["city"], properties: { city: { type: "string" } } }
          }
        }]
      })
      assert.isAbove(withTools.usage.inputTokens, base + o200k("get_weather"))

      const withCall = yield* estimate.input({
        model: "gpt-4o",
        messages: [
          { role: "user", content: "Hello there" },
          {
            role: "assistant",
            tool_calls: [{
              id: "c1",
              type: "function",
              function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" }
            }]
          }
        ]
      })
      assert.strictEqual(
        withCall.usage.inputTokens,
        base + 3 + o200k("assistant") + o200k("get_weather{\"city\":\"Paris\"}")
      )
    }))

  it.effect("upper bound: input plus the request's output limit, else the configured default", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make({ defaultMaxOutputTokens: 1000 })
      const input = (yield* estimate.input(hello("gpt-4o"))).usage.inputTokens
      const bounded = yield* estimate.upperBound({ ...hello("gpt-4o"), max_tokens: 300 })
      assert.deepStrictEqual([bounded.usage.inputTokens, bounded.usage.outputTokens], [input, 300])
      const newer = yield* estimate.upperBound({ ...hello("gpt-4o"), max_tokens: 300, max_completion_tokens: 50 })
      assert.strictEqual(newer.usage.outputTokens, 50)
      const unbounded = yield* estimate.upperBound(hello("gpt-4o"))
      assert.strictEqual(unbounded.usage.outputTokens, 1000)
    }))

  it.effect("hostile text is counted in linear time: long runs without whitespace, CJK, a huge tool name", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const run = "A".repeat(1_000_000)
      const cjk = "漢字かな交じり文".repeat(125_000)
      const [a, c, t] = yield* Effect.all([
        estimate.input({ model: "gpt-4o", messages: [{ role: "user", content: run }] }),
        estimate.input({ model: "gpt-4o", messages: [{ role: "user", content: cjk }] }),
        estimate.input({
          model: "gpt-4o",
          messages: [{ role: "user", content: "x" }],
          tools: [{ type: "function", function: { name: "B".repeat(100_000), parameters: { type: "object" } } }]
        })
      ])
      // o200k_base encodes a run of `A` as one token per 8 characters; CJK about one per 1.14 characters.
      assert.approximately(a.usage.inputTokens, 125_000, 125_000 * 0.05)
      assert.approximately(c.usage.inputTokens, o200k("漢字かな交じり文".repeat(200)) * 625, 30_000)
      assert.isAbove(t.usage.inputTokens, 100_000 / 8 * 0.9)
    }))

  it.effect("a long prompt is extrapolated from samples, close to the exact count", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const prose = "The quick brown fox jumps over the lazy dog, and then 42 more things happen!\n".repeat(2_000)
      const counted = yield* estimate.input({ model: "gpt-4o", messages: [{ role: "user", content: prose }] })
      const exact = o200k(prose) + 3 + 3 + 1 // the message, its overhead and the reply primer, its role
      assert.approximately(counted.usage.inputTokens, exact, exact * 0.03)
    }))

  it.effect("a tool schema the renderer cannot walk (a null property) is counted from its JSON", () =>
    Effect.gen(function*() {
      const estimate = yield* Estimate.make()
      const request: ChatRequest.ChatRequest = {
        model: "gpt-4o",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { a: null } } } }]
      }
      const counted = yield* estimate.input(request)
      const withoutTools = yield* estimate.input({ ...request, tools: [] })
      assert.isAbove(counted.usage.inputTokens, withoutTools.usage.inputTokens + o200k("lookup"))
    }))
})
