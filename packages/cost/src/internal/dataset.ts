/**
 * The bundled `@pydantic/genai-prices` dataset, used offline: `updatePrices` is never called, so the
 * library only reads the data it shipped with. Its engine splits `input_tokens` into uncached, cache
 * read and cache write parts (each at its own price), picks dated and time-of-day prices from the
 * timestamp, and switches every tiered price of a request when its total input passes a tier start.
 */
import { calcPrice, type ModelInfo, type Provider, type Usage as WireUsage } from "@pydantic/genai-prices"
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
 * The price keys of the four token kinds core reports, each with its price's direction. In the
 * engine's units: per million tokens; cache reads and writes are parts of the input.
 */
const TOKEN_KEYS = {
  input_mtok: "input",
  cache_read_mtok: "input",
  cache_write_mtok: "input",
  output_mtok: "output"
} as const

type TokenKey = keyof typeof TOKEN_KEYS

/**
 * Price keys of usage core never reports (modalities, 1-hour cache writes, citations, pages,
 * searches): the engine prices them at zero and takes nothing from the four kinds for them.
 * `output_reasoning_mtok` is not one (core reports reasoning, so it would split the output), nor
 * `requests_kcount` (it applies to every request).
 */
const UNREPORTED_KEYS = new Set([
  "cache_write_1h_mtok",
  "input_audio_mtok",
  "cache_audio_read_mtok",
  "output_audio_mtok",
  "input_image_mtok",
  "cache_image_read_mtok",
  "output_image_mtok",
  "input_video_mtok",
  "output_video_mtok",
  "output_citation_mtok",
  "audio_hours",
  "input_audio_hours",
  "input_document_kpages",
  "input_annotated_document_kpages",
  "input_text_messages_kcount",
  "web_searches_kcount",
  "storage_searches_kcount"
])

/** A price per million tokens, or tiers on the request's whole input (the highest start it passes). */
type TokenPrice = number | { readonly base: number; readonly tiers: ReadonlyArray<{ readonly start: number; readonly price: number }> }

/** An undated model's prices of the four token kinds, in the dataset's order. */
export type TokenPrices = ReadonlyArray<readonly [TokenKey, TokenPrice]>

/**
 * What a name matched: the dataset's provider narrowed to that one model, and its `TokenPrices`
 * when it has them, which price usage without the engine.
 */
interface Match {
  readonly provider: Provider
  readonly prices: TokenPrices | undefined
}

/** A name's match, or `null`: no match. Later prices of that name skip matching it against every model. */
const matched = new Map<string, Match | null>()

const isPrice = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0

const tokenPrice = (value: unknown): TokenPrice | undefined => {
  if (isPrice(value)) return value
  if (typeof value !== "object" || value === null || !("base" in value) || !("tiers" in value)) return undefined
  const { base, tiers } = value
  if (!isPrice(base) || !Array.isArray(tiers)) return undefined
  const valid = tiers.every((tier: { start?: unknown; price?: unknown }) =>
    Number.isSafeInteger(tier.start) && (tier.start as number) >= 0 && isPrice(tier.price)
  )
  return valid ? { base, tiers: [...tiers].sort((a, b) => a.start - b.start) } : undefined
}

/**
 * A model's prices as `TokenPrices`, or `undefined` when they are dated or priced on what core
 * does not count (reasoning apart, requests).
 */
export const tokenPrices = (prices: ModelInfo["prices"]): TokenPrices | undefined => {
  if (Array.isArray(prices)) return undefined
  const entries: Array<readonly [TokenKey, TokenPrice]> = []
  for (const [key, value] of Object.entries(prices)) {
    if (value === undefined || UNREPORTED_KEYS.has(key)) continue
    const price = key in TOKEN_KEYS ? tokenPrice(value) : undefined
    if (price === undefined) return undefined
    entries.push([key as TokenKey, price])
  }
  return entries
}

/**
 * The engine's arithmetic for `TokenPrices`, term for term and in its order (the same float
 * results): the input's uncached part is what its priced cache parts leave; a tiered price is the
 * tier the whole input passes. `undefined` when the usage is not plain non-negative counts or its
 * cache parts exceed the input: the engine then decides (and throws).
 */
export const priceTokens = (prices: TokenPrices, usage: Usage.Usage) => {
  const { cachedInputTokens, cacheWriteTokens, inputTokens, outputTokens } = usage
  if (!(inputTokens >= 0 && outputTokens >= 0 && cachedInputTokens >= 0 && cacheWriteTokens >= 0)) return undefined
  if (!Number.isFinite(inputTokens + outputTokens + cachedInputTokens + cacheWriteTokens)) return undefined
  let parts = 0
  for (const [key] of prices) {
    if (key === "cache_read_mtok") parts += cachedInputTokens
    else if (key === "cache_write_mtok") parts += cacheWriteTokens
  }
  const uncached = inputTokens - parts
  if (uncached < 0) return undefined
  let input = 0
  let output = 0
  for (const [key, price] of prices) {
    const tokens = key === "input_mtok"
      ? uncached
      : key === "cache_read_mtok"
      ? cachedInputTokens
      : key === "cache_write_mtok"
      ? cacheWriteTokens
      : outputTokens
    const cost = typeof price === "number"
      ? price * tokens / 1_000_000
      : tokens <= 0
      ? 0
      // The engine prices a tier per million, then scales it by a million over the unit: the same steps.
      : price.tiers.reduce((at, tier) => (inputTokens > tier.start ? tier.price : at), price.base) * tokens / 1_000_000 *
        1_000_000 / 1_000_000
    if (TOKEN_KEYS[key] === "input") input += cost
    else output += cost
  }
  return { input, output, total: input + output }
}

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
  if (typeof options.provider !== "string") {
    return fromResult(calcPrice(toWireUsage(options.usage), options.model, { provider: options.provider, timestamp: options.at }))
  }
  const key = `${options.provider}\u0000${options.model}`
  const match = matched.get(key)
  if (match === null) return undefined
  if (match !== undefined) {
    const priced = match.prices === undefined ? undefined : priceTokens(match.prices, options.usage)
    if (priced !== undefined) return { ...priced, provider: match.provider.id, model: match.provider.models[0]!.id }
    return fromResult(calcPrice(toWireUsage(options.usage), options.model, { provider: match.provider, timestamp: options.at }))
  }
  const result = calcPrice(toWireUsage(options.usage), options.model, { providerId: options.provider, timestamp: options.at })
  if (matched.size >= MEMO_SIZE) matched.clear()
  matched.set(key, result === null ? null : { provider: { ...result.provider, models: [result.model] }, prices: tokenPrices(result.model.prices) })
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
