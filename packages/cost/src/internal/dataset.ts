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

/** Model lookups kept, at most: names come from clients, so the memo is bounded. */
const MEMO_SIZE = 1024

/**
 * The dataset's provider narrowed to the one model a name matched (`null`: no match), so later
 * prices of that name skip matching it against every model of the provider.
 */
const matched = new Map<string, Provider | null>()

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
  const usage = toWireUsage(options.usage)
  if (typeof options.provider !== "string") return fromResult(calcPrice(usage, options.model, { provider: options.provider, timestamp: options.at }))
  const key = `${options.provider}\u0000${options.model}`
  const narrowed = matched.get(key)
  if (narrowed === null) return undefined
  if (narrowed !== undefined) return fromResult(calcPrice(usage, options.model, { provider: narrowed, timestamp: options.at }))
  const result = calcPrice(usage, options.model, { providerId: options.provider, timestamp: options.at })
  if (matched.size >= MEMO_SIZE) matched.clear()
  matched.set(key, result === null ? null : { ...result.provider, models: [result.model] })
  return fromResult(result)
}

const fromResult = (result: ReturnType<typeof calcPrice> | null): Priced | undefined => {
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
