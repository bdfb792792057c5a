/**
 * The bundled `@pydantic/genai-prices` dataset, used offline: `updatePrices` is never called, so the
 * library only reads the data it shipped with. Its engine splits `input_tokens` into uncached, cache
 * read and cache write parts (each at its own price), picks dated and time-of-day prices from the
 * timestamp, and switches every tiered price of a request when its total input passes a tier start.
 */
import { calcPrice, type Provider, type Usage as WireUsage } from "@pydantic/genai-prices"
import type { Usage } from "@switchyard/core"

/** What the engine returned for one priced request, before any discount. */
export interface Priced {
  readonly input: number
  readonly output: number
  readonly total: number
  /** The dataset's provider id (or the id of a config-made provider). */
  readonly provider: string
  /** The dataset's model id that matched. */
  readonly model: string
}

/** A price per `per` tokens, in USD, as written in the config. */
export interface PriceSheet {
  readonly input: number
  readonly output: number
  readonly cachedInput?: number | undefined
  readonly cacheWrite?: number | undefined
  readonly per: number
}

/**
 * Core usage in the engine's vocabulary. Both count cache reads and writes inside the input total,
 * and reasoning inside the output total, so the numbers pass through unchanged.
 */
const toWireUsage = (usage: Usage.Usage): WireUsage => ({
  input_tokens: usage.inputTokens,
  cache_read_tokens: usage.cachedInputTokens,
  cache_write_tokens: usage.cacheWriteTokens,
  output_tokens: usage.outputTokens,
  ...(usage.reasoningTokens === undefined ? {} : { output_reasoning_tokens: usage.reasoningTokens })
})

/**
 * Prices usage with the bundled dataset's provider of that id (or a name it matches), or with a
 * provider given whole. `undefined` when the provider or model is not known. Throws when the usage
 * is inconsistent (cache parts larger than the input).
 */
export const price = (options: {
  readonly provider: string | Provider
  readonly model: string
  readonly usage: Usage.Usage
  readonly at: Date
}): Priced | undefined => {
  const result = calcPrice(toWireUsage(options.usage), options.model, {
    ...(typeof options.provider === "string" ? { providerId: options.provider } : { provider: options.provider }),
    timestamp: options.at
  })
  if (result === null) return undefined
  return {
    input: result.input_price,
    output: result.output_price,
    total: result.total_price,
    provider: result.provider.id,
    model: result.model.id
  }
}

/**
 * A one-model provider for a price from the config, so config prices go through the same engine
 * (the same split of cached and cache-write tokens) as the dataset's.
 */
export const sheetProvider = (providerId: string, model: string, sheet: PriceSheet): Provider => {
  const perMillion = (price: number) => (price * 1_000_000) / sheet.per
  return {
    id: providerId,
    name: providerId,
    api_pattern: "$^",
    models: [{
      id: model,
      match: { equals: model },
      prices: {
        input_mtok: perMillion(sheet.input),
        output_mtok: perMillion(sheet.output),
        ...(sheet.cachedInput === undefined ? {} : { cache_read_mtok: perMillion(sheet.cachedInput) }),
        ...(sheet.cacheWrite === undefined ? {} : { cache_write_mtok: perMillion(sheet.cacheWrite) })
      }
    }]
  }
}
