/**
 * The dataset's undated per-token prices are applied without the engine once a name has matched;
 * these tests hold that shortcut to the engine's own results (`calcPrice`), to the last bit, over
 * every model of the bundled dataset that has such prices, and check that the others still go to
 * the engine.
 */
import { assert, describe, it } from "@effect/vitest"
import { calcPrice, findProvider } from "@pydantic/genai-prices"
import * as Usage from "@switchyard/core/Usage"
import * as Dataset from "../src/internal/dataset.ts"

const at = new Date("2026-09-15T12:00:00Z")

/** Providers whose every model is checked. */
const providers = ["openai", "anthropic", "google", "x-ai", "moonshotai", "groq", "mistral", "deepseek", "aws"]

/** Usages with and without cache parts, reasoning, zeros, large counts and tier starts (a fixed sequence). */
const usages: ReadonlyArray<Usage.Usage> = [
  Usage.make({ inputTokens: 12, outputTokens: 20 }),
  Usage.make({ inputTokens: 0, outputTokens: 0 }),
  Usage.make({ inputTokens: 100_000, cachedInputTokens: 40_000, outputTokens: 20_000, reasoningTokens: 8_000 }),
  Usage.make({ inputTokens: 9_001, cachedInputTokens: 1_234, cacheWriteTokens: 4_321, outputTokens: 777 }),
  Usage.make({ inputTokens: 1_999_999, cacheWriteTokens: 3, outputTokens: 123_457 }),
  // At and past the tier starts of the dataset (128k, 200k, 272k), cache parts included.
  Usage.make({ inputTokens: 128_000, cachedInputTokens: 28_000, outputTokens: 5 }),
  Usage.make({ inputTokens: 200_000, cachedInputTokens: 150_000, cacheWriteTokens: 10_000, outputTokens: 3_000 }),
  Usage.make({ inputTokens: 200_001, cachedInputTokens: 150_000, cacheWriteTokens: 10_000, outputTokens: 3_000 }),
  Usage.make({ inputTokens: 272_001, outputTokens: 1 })
]

const engine = (provider: string, model: string, usage: Usage.Usage) => {
  const result = calcPrice(
    {
      input_tokens: usage.inputTokens,
      cache_read_tokens: usage.cachedInputTokens,
      cache_write_tokens: usage.cacheWriteTokens,
      output_tokens: usage.outputTokens,
      ...(usage.reasoningTokens === undefined ? {} : { output_reasoning_tokens: usage.reasoningTokens })
    },
    model,
    { providerId: provider, timestamp: at }
  )
  return result === null
    ? undefined
    : { input: result.input_price, output: result.output_price, total: result.total_price, provider: result.provider.id, model: result.model.id }
}

describe("dataset: per-token prices without the engine", () => {
  it("every model with per-token prices: the same numbers as the engine, to the last bit, on every later call", () => {
    let checked = 0
    for (const id of providers) {
      const provider = findProvider({ providerId: id })
      assert.isDefined(provider, id)
      for (const model of provider!.models) {
        if (Dataset.tokenPrices(model.prices) === undefined) continue
        const name = model.match !== undefined && "equals" in model.match ? model.match.equals : model.id
        for (const usage of usages) {
          const expected = engine(id, name, usage)
          if (expected !== undefined) checked++
          // The first call matches the name (through the engine), the second takes the shortcut.
          assert.deepStrictEqual(Dataset.price({ provider: id, model: name, usage, at }), expected, `${id}/${name}`)
          assert.deepStrictEqual(Dataset.price({ provider: id, model: name, usage, at }), expected, `${id}/${name}`)
        }
      }
    }
    assert.isAbove(checked, 1_000)
  })

  it("prices of the shortcut are what the engine's units say: per million tokens, cache parts inside the input", () => {
    // gpt-4o: input $2.50, cached input $1.25, output $10 per 1M tokens.
    const flat = Dataset.tokenPrices({ input_mtok: 2.5, cache_read_mtok: 1.25, output_mtok: 10 })
    assert.isDefined(flat)
    const priced = Dataset.priceTokens(flat!, Usage.make({ inputTokens: 1_000_000, cachedInputTokens: 200_000, outputTokens: 100_000 }))
    assert.deepStrictEqual(priced, { input: 2.25, output: 1, total: 3.25 })
  })

  it("dated prices, reasoning and per-request prices are left to the engine; tiers are sorted", () => {
    assert.deepStrictEqual(
      Dataset.tokenPrices({ input_mtok: { base: 1, tiers: [{ start: 500, price: 3 }, { start: 200, price: 2 }] } as never }),
      [["input_mtok", { base: 1, tiers: [{ start: 200, price: 2 }, { start: 500, price: 3 }] }]]
    )
    assert.isUndefined(Dataset.tokenPrices({ input_mtok: { base: 1, tiers: [{ start: -1, price: 2 }] } as never }))
    assert.isUndefined(Dataset.tokenPrices({ input_mtok: 1, output_reasoning_mtok: 4 }))
    assert.isUndefined(Dataset.tokenPrices([{ prices: { input_mtok: 1 } }]))
    assert.isDefined(Dataset.tokenPrices({ input_mtok: 1, cache_read_mtok: undefined }))
    // Per-search and audio prices apply to usage the gateway never reports.
    assert.deepStrictEqual(
      Dataset.tokenPrices({ input_mtok: 1, web_searches_kcount: 10, input_audio_mtok: 8, output_mtok: 2 }),
      [["input_mtok", 1], ["output_mtok", 2]]
    )
    assert.isUndefined(Dataset.tokenPrices({ input_mtok: 1, requests_kcount: 5 }))
  })

  it("usage the shortcut cannot price goes to the engine: cache parts above the input throw, as before", () => {
    const usage = Usage.make({ inputTokens: 10, cachedInputTokens: 50, outputTokens: 1 })
    Dataset.price({ provider: "openai", model: "gpt-4o", usage: Usage.make({ inputTokens: 1, outputTokens: 1 }), at })
    assert.throws(() => Dataset.price({ provider: "openai", model: "gpt-4o", usage, at }), /cannot exceed|exceeds/)
  })

  it("a tiered model priced twice: the second call (matched) still switches tiers", () => {
    // Gemini 2.5 Pro: input $1.25 up to 200k prompt tokens, $2.50 above; output $10 / $15.
    const small = Usage.make({ inputTokens: 100_000, outputTokens: 1_000 })
    const large = Usage.make({ inputTokens: 300_000, outputTokens: 1_000 })
    assert.deepStrictEqual(Dataset.price({ provider: "google", model: "gemini-2.5-pro", usage: small, at }), engine("google", "gemini-2.5-pro", small))
    const priced = Dataset.price({ provider: "google", model: "gemini-2.5-pro", usage: large, at })
    assert.deepStrictEqual(priced, engine("google", "gemini-2.5-pro", large))
    assert.closeTo(priced!.input, 0.75, 1e-12)
  })
})
