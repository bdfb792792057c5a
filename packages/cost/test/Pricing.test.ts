/**
 * Prices checked against each provider's published price list. Every expected number is worked out
 * by hand below from the per-million-token prices quoted in the comment, which are the ones in the
 * bundled dataset: @pydantic/genai-prices 0.1.8, published 2026-09-23. Requests are dated
 * 2026-09-15 12:00 UTC unless a test says otherwise (prices can depend on the date and time of day).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import * as Usage from "@switchyard/core/Usage"
import { Pricing } from "../src/index.ts"

const noon = Date.parse("2026-09-15T12:00:00Z")
const evening = Date.parse("2026-09-15T20:00:00Z")

const dataset = Pricing.make()

/** The cost, failing the test when it is unknown. */
const priced = (pricing: Pricing.PricingShape, request: Pricing.PriceRequest) =>
  Effect.flatMap(pricing.price({ at: noon, ...request }), (cost) =>
    Option.match(cost, {
      onNone: () => Effect.die(new Error(`no price for ${request.provider}/${request.model}`)),
      onSome: Effect.succeed
    }))

const close = (actual: number, expected: number) => assert.closeTo(actual, expected, 1e-12)

describe("Pricing: published prices (cached and reasoning tokens included)", () => {
  it.effect("OpenAI gpt-5: cached input at its own price, reasoning inside output", () =>
    Effect.gen(function*() {
      // https://developers.openai.com/api/docs/pricing — gpt-5: input $1.25, cached input $0.125,
      // output $10 per 1M tokens. OpenAI's prompt_tokens include the 40,000 cached ones.
      // uncached 60,000 × 1.25 = $0.075; cached 40,000 × 0.125 = $0.005; output 20,000 × 10 = $0.20
      const cost = yield* priced(dataset, {
        provider: "openai",
        model: "gpt-5",
        usage: Usage.make({ inputTokens: 100_000, cachedInputTokens: 40_000, outputTokens: 20_000, reasoningTokens: 8_000 })
      })
      close(cost.input, 0.08)
      close(cost.output, 0.2)
      close(cost.total, 0.28)
      assert.strictEqual(cost.source, "dataset")
      assert.strictEqual(cost.model, "gpt-5")
    }))

  it.effect("Anthropic claude-sonnet-4-5: uncached, cache read and 5-minute cache write each at their price", () =>
    Effect.gen(function*() {
      // https://platform.claude.com/docs/en/about-claude/pricing — Sonnet 4.5 (≤ 200K input): input
      // $3, 5m cache write $3.75, cache hit $0.30, output $15 per 1M. Anthropic's own input_tokens
      // exclude cache reads/writes; the core Usage counts them in (10,000 + 30,000 + 10,000).
      // 10,000 × 3 = $0.03; 30,000 × 0.30 = $0.009; 10,000 × 3.75 = $0.0375; 5,000 × 15 = $0.075
      const cost = yield* priced(dataset, {
        provider: "anthropic",
        model: "claude-sonnet-4-5-20250929",
        usage: Usage.make({
          inputTokens: 50_000,
          cachedInputTokens: 30_000,
          cacheWriteTokens: 10_000,
          outputTokens: 5_000,
          reasoningTokens: 2_000
        })
      })
      close(cost.input, 0.0765)
      close(cost.total, 0.1515)
      assert.strictEqual(cost.model, "claude-sonnet-4-5")
    }))

  it.effect("Google gemini-2.5-pro (configured as `gemini`): cached prompt tokens and thinking tokens", () =>
    Effect.gen(function*() {
      // https://ai.google.dev/gemini-api/docs/pricing — 2.5 Pro, prompts ≤ 200k: input $1.25,
      // context caching $0.125, output (thinking included) $10 per 1M. promptTokenCount includes the
      // 100,000 cached tokens. 20,000 × 1.25 = $0.025; 100,000 × 0.125 = $0.0125; 8,000 × 10 = $0.08
      const cost = yield* priced(dataset, {
        provider: "gemini",
        model: "gemini-2.5-pro",
        usage: Usage.make({ inputTokens: 120_000, cachedInputTokens: 100_000, outputTokens: 8_000, reasoningTokens: 6_000 })
      })
      close(cost.total, 0.1175)
      assert.strictEqual(cost.provider, "google")
    }))

  it.effect("xAI grok-4 (configured as `xai`)", () =>
    Effect.gen(function*() {
      // https://docs.x.ai/docs/models — grok-4: input $3, cached input $0.75, output $15 per 1M.
      // 6,000 × 3 = $0.018; 4,000 × 0.75 = $0.003; 3,000 × 15 = $0.045
      const cost = yield* priced(dataset, {
        provider: "xai",
        model: "grok-4",
        usage: Usage.make({ inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 3_000, reasoningTokens: 2_000 })
      })
      close(cost.total, 0.066)
      assert.strictEqual(cost.provider, "x-ai")
    }))

  it.effect("DeepSeek deepseek-reasoner: the price depends on the time of day", () =>
    Effect.gen(function*() {
      // https://api-docs.deepseek.com/quick_start/pricing as recorded in the dataset — deepseek-reasoner,
      // standard hours (UTC 00:30–16:30): cache miss $0.55, cache hit $0.14, output $2.19 per 1M;
      // off-peak (UTC 16:30–00:30): $0.135, $0.035, $0.55.
      const usage = Usage.make({
        inputTokens: 1_000_000,
        cachedInputTokens: 600_000,
        outputTokens: 100_000,
        reasoningTokens: 80_000
      })
      // 400,000 × 0.55 = $0.22; 600,000 × 0.14 = $0.084; 100,000 × 2.19 = $0.219
      const peak = yield* priced(dataset, { provider: "deepseek", model: "deepseek-reasoner", usage, at: noon })
      close(peak.total, 0.523)
      // 400,000 × 0.135 = $0.054; 600,000 × 0.035 = $0.021; 100,000 × 0.55 = $0.055
      const offPeak = yield* priced(dataset, { provider: "deepseek", model: "deepseek-reasoner", usage, at: evening })
      close(offPeak.total, 0.13)
    }))

  it.effect("Groq openai/gpt-oss-120b: a model name with a slash", () =>
    Effect.gen(function*() {
      // https://groq.com/pricing — GPT-OSS 120B: input $0.15, cached input $0.075, output $0.60 per 1M.
      // 12,000 × 0.15 = $0.0018; 8,000 × 0.075 = $0.0006; 4,000 × 0.60 = $0.0024
      const cost = yield* priced(dataset, {
        provider: "groq",
        model: "openai/gpt-oss-120b",
        usage: Usage.make({ inputTokens: 20_000, cachedInputTokens: 8_000, outputTokens: 4_000, reasoningTokens: 3_000 })
      })
      close(cost.total, 0.0048)
    }))

  it.effect("Mistral magistral-medium: without a cache price, cached tokens cost the full input price", () =>
    Effect.gen(function*() {
      // https://mistral.ai/pricing/api — Magistral Medium: input $2, output $5 per 1M; no cached-input
      // price is listed. 10,000 × 2 = $0.02 (the 2,000 cached included); 5,000 × 5 = $0.025
      const cost = yield* priced(dataset, {
        provider: "mistral",
        model: "magistral-medium-2509",
        usage: Usage.make({ inputTokens: 10_000, cachedInputTokens: 2_000, outputTokens: 5_000, reasoningTokens: 4_000 })
      })
      close(cost.total, 0.045)
    }))

  it.effect("a call that used no tokens costs zero, which is a known cost", () =>
    Effect.gen(function*() {
      const usage = Usage.make({ inputTokens: 0, outputTokens: 0 })
      const cost = yield* dataset.price({ provider: "openai", model: "gpt-5", usage })
      assert.isTrue(Option.isSome(cost))
      close(Option.getOrThrow(cost).total, 0)
    }))
})

describe("Pricing: long-context tiers switch the price of the whole request", () => {
  it.effect("Anthropic: above 200K input tokens (cache reads and writes included) every token is premium", () =>
    Effect.gen(function*() {
      // https://platform.claude.com/docs/en/about-claude/pricing#long-context-pricing — when input
      // exceeds 200K tokens, all tokens are charged at the long-context rates: Sonnet 4.5 input $6,
      // 5m cache write $7.50, cache hit $0.60, output $22.50 per 1M; the threshold counts cache reads
      // and writes. Only 50,000 tokens are uncached here, yet the request is over 200K.
      // 50,000 × 6 = $0.30; 150,000 × 0.60 = $0.09; 50,000 × 7.5 = $0.375; 5,000 × 22.5 = $0.1125
      const long = yield* priced(dataset, {
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        usage: Usage.make({ inputTokens: 250_000, cachedInputTokens: 150_000, cacheWriteTokens: 50_000, outputTokens: 5_000 })
      })
      close(long.total, 0.8775)
      // Exactly 200,000 does not exceed 200K: 200,000 × 3 = $0.60; 1,000 × 15 = $0.015
      const atLimit = yield* priced(dataset, {
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        usage: Usage.make({ inputTokens: 200_000, outputTokens: 1_000 })
      })
      close(atLimit.total, 0.615)
      // One token more: 200,001 × 6 = $1.200006; 1,000 × 22.5 = $0.0225
      const over = yield* priced(dataset, {
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        usage: Usage.make({ inputTokens: 200_001, outputTokens: 1_000 })
      })
      close(over.total, 1.222506)
    }))

  it.effect("Gemini 2.5 Pro: prompts over 200k tokens pay the higher input, cache and output prices", () =>
    Effect.gen(function*() {
      // https://ai.google.dev/gemini-api/docs/pricing — 2.5 Pro, prompts > 200k: input $2.50, context
      // caching $0.25, output $15 per 1M. 200,000 × 2.5 = $0.50; 100,000 × 0.25 = $0.025;
      // 8,000 × 15 = $0.12
      const long = yield* priced(dataset, {
        provider: "gemini",
        model: "gemini-2.5-pro",
        usage: Usage.make({ inputTokens: 300_000, cachedInputTokens: 100_000, outputTokens: 8_000 })
      })
      close(long.total, 0.645)
      // "≤ 200k" is the base tier: 200,000 × 1.25 = $0.25; 8,000 × 10 = $0.08
      const atLimit = yield* priced(dataset, {
        provider: "gemini",
        model: "gemini-2.5-pro",
        usage: Usage.make({ inputTokens: 200_000, outputTokens: 8_000 })
      })
      close(atLimit.total, 0.33)
      // One token more: 200,001 × 2.5 = $0.5000025; 8,000 × 15 = $0.12
      const over = yield* priced(dataset, {
        provider: "gemini",
        model: "gemini-2.5-pro",
        usage: Usage.make({ inputTokens: 200_001, outputTokens: 8_000 })
      })
      close(over.total, 0.6200025)
    }))

  it.effect("OpenAI gpt-5.5 and xAI grok-4.20: the higher rate starts AT the threshold", () =>
    Effect.gen(function*() {
      // https://developers.openai.com/api/docs/models/gpt-5.5 — below 272K input: $5 / cached $0.50 /
      // output $30; from 272K: $10 / $1 / $45 for the whole request.
      // 200,000 × 10 = $2.00; 72,000 × 1 = $0.072; 10,000 × 45 = $0.45
      const openAi = yield* priced(dataset, {
        provider: "openai",
        model: "gpt-5.5",
        usage: Usage.make({ inputTokens: 272_000, cachedInputTokens: 72_000, outputTokens: 10_000 })
      })
      close(openAi.total, 2.522)
      // 199,999 × 5 = $0.999995; 72,000 × 0.5 = $0.036; 10,000 × 30 = $0.30
      const openAiBelow = yield* priced(dataset, {
        provider: "openai",
        model: "gpt-5.5",
        usage: Usage.make({ inputTokens: 271_999, cachedInputTokens: 72_000, outputTokens: 10_000 })
      })
      close(openAiBelow.total, 1.335995)
      // https://docs.x.ai/docs/models — grok-4.20: "< 200k" $1.25 / output $2.50, "≥ 200k" $2.50 / $5.
      // 200,000 × 2.5 = $0.50; 1,000 × 5 = $0.005
      const xai = yield* priced(dataset, {
        provider: "xai",
        model: "grok-4.20",
        usage: Usage.make({ inputTokens: 200_000, outputTokens: 1_000 })
      })
      close(xai.total, 0.505)
      // 199,999 × 1.25 = $0.24999875; 1,000 × 2.5 = $0.0025
      const xaiBelow = yield* priced(dataset, {
        provider: "xai",
        model: "grok-4.20",
        usage: Usage.make({ inputTokens: 199_999, outputTokens: 1_000 })
      })
      close(xaiBelow.total, 0.25249875)
    }))
})

describe("Pricing: config", () => {
  it.effect("a price for a model the dataset lacks, per 1,000 tokens, with a cached-input price", () =>
    Effect.gen(function*() {
      const pricing = Pricing.make({
        prices: { "ollama/llama3.2": { input: 0.1, output: 0.2, cached_input: 0.05, per: 1000 } }
      })
      // 1,500 × 0.1 / 1000 = $0.15; 500 × 0.05 / 1000 = $0.025; 1,000 × 0.2 / 1000 = $0.20
      const cost = yield* priced(pricing, {
        provider: "ollama",
        model: "llama3.2",
        usage: Usage.make({ inputTokens: 2_000, cachedInputTokens: 500, outputTokens: 1_000 })
      })
      close(cost.total, 0.375)
      assert.strictEqual(cost.source, "config")
      assert.strictEqual(cost.provider, "ollama")
      const free = Pricing.make({ prices: { "ollama/llama3.2": { input: 0, output: 0 } } })
      const usage = Usage.make({ inputTokens: 9, outputTokens: 9 })
      close((yield* priced(free, { provider: "ollama", model: "llama3.2", usage })).total, 0)
    }))

  it.effect("a config price wins over the dataset; without cache prices cache tokens cost the input price", () =>
    Effect.gen(function*() {
      const pricing = Pricing.make({ prices: { "openai/gpt-5": { input: 1, output: 8 } } })
      // 10,000 × 1 = $0.01 (4,000 cached included); 1,000 × 8 = $0.008
      const cost = yield* priced(pricing, {
        provider: "openai",
        model: "gpt-5",
        usage: Usage.make({ inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 1_000 })
      })
      close(cost.total, 0.018)
      assert.strictEqual(cost.source, "config")
    }))

  it.effect("discounts: provider-wide, and a model's own discount wins", () =>
    Effect.gen(function*() {
      const pricing = Pricing.make({ discounts: { anthropic: 0.1, "anthropic/claude-haiku-4-5": 0.5 } })
      const usage = Usage.make({ inputTokens: 100_000, outputTokens: 10_000 })
      // Sonnet 4.5: 100,000 × 3 = $0.30; 10,000 × 15 = $0.15; total $0.45, 10% off = $0.405
      const sonnet = yield* priced(pricing, { provider: "anthropic", model: "claude-sonnet-4-5", usage })
      close(sonnet.total, 0.405)
      close(sonnet.input, 0.27)
      assert.strictEqual(sonnet.discount, 0.1)
      // Haiku 4.5: 100,000 × 1 = $0.10; 10,000 × 5 = $0.05; total $0.15, 50% off = $0.075
      const haiku = yield* priced(pricing, { provider: "anthropic", model: "claude-haiku-4-5", usage })
      close(haiku.total, 0.075)
    }))

  it.effect("a configured provider name mapped to a dataset provider", () =>
    Effect.gen(function*() {
      const usage = Usage.make({ inputTokens: 1_000, outputTokens: 1_000 })
      const unmapped = yield* dataset.price({ provider: "my-proxy", model: "gpt-5", usage })
      assert.isTrue(Option.isNone(unmapped), "an unknown provider is not guessed from the model name")
      const mapped = yield* priced(Pricing.make({ providers: { "my-proxy": "openai" } }), {
        provider: "my-proxy",
        model: "gpt-5",
        usage
      })
      // 1,000 × 1.25 = $0.00125; 1,000 × 10 = $0.01
      close(mapped.total, 0.01125)
    }))

  it.effect("unknown model → unknown cost, never zero", () =>
    Effect.gen(function*() {
      const usage = Usage.make({ inputTokens: 1_000, outputTokens: 1_000 })
      assert.isTrue(Option.isNone(yield* dataset.price({ provider: "openai", model: "gpt-nonexistent-9", usage })))
      assert.isTrue(Option.isNone(yield* dataset.price({ provider: "ollama", model: "llama3.2", usage })))
    }))

  it.effect("inconsistent usage (more cached tokens than input) → unknown cost", () =>
    Effect.gen(function*() {
      const cost = yield* dataset.price({
        provider: "openai",
        model: "gpt-5",
        usage: Usage.make({ inputTokens: 10, cachedInputTokens: 20, outputTokens: 1 })
      })
      assert.isTrue(Option.isNone(cost))
    }))

  it.effect("the price follows the request's date (o3's price cut of 2025-06-10)", () =>
    Effect.gen(function*() {
      // https://developers.openai.com/api/docs/pricing — o3 before 2025-06-10: $10 / $40;
      // after: $2 / $8. 1,000 × 10 + 1,000 × 40 = $0.05; 1,000 × 2 + 1,000 × 8 = $0.01
      const usage = Usage.make({ inputTokens: 1_000, outputTokens: 1_000 })
      const o3 = (date: string) => priced(dataset, { provider: "openai", model: "o3", usage, at: Date.parse(date) })
      const before = yield* o3("2025-06-01T00:00:00Z")
      const after = yield* o3("2025-06-11T00:00:00Z")
      close(before.total, 0.05)
      close(after.total, 0.01)
    }))

  it("the config schema refuses a discount above 1 and a negative price", () => {
    const decode = Schema.decodeUnknownResult(Pricing.Config)
    assert.strictEqual(decode({ discounts: { openai: 1.5 } })._tag, "Failure")
    assert.strictEqual(decode({ prices: { "a/b": { input: -1, output: 1 } } })._tag, "Failure")
    const valid = { prices: { "a/b": { input: 1, output: 2, per: 1000 } }, discounts: { a: 0.2 } }
    assert.strictEqual(decode(valid)._tag, "Success")
  })
})
