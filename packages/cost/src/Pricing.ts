/**
 * The `Pricing` service: what a request cost, in USD, from its normalized `Usage`. Prices come from
 * the `@pydantic/genai-prices` dataset bundled with this package (read offline, never refreshed at
 * run time), then from the config: prices for models the dataset lacks (or that it prices wrong) and
 * discounts. A model nobody prices has an unknown cost (`Option.none()`), never zero.
 */
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import type { Usage } from "@switchyard/core"
import * as Dataset from "./internal/dataset.ts"

// ---------------------------------------------------------------------------------------------------
// config

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** A price for one model, in USD per `per` tokens (default 1,000,000). */
export const ModelPrice = Schema.Struct({
  /** Uncached input tokens. */
  input: NonNegative,
  /** Output tokens, reasoning included. */
  output: NonNegative,
  /** Cache reads; absent means they cost the full input price. */
  cached_input: Schema.optionalKey(NonNegative),
  /** Cache writes; absent means they cost the full input price. */
  cache_write: Schema.optionalKey(NonNegative),
  per: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})
export type ModelPrice = typeof ModelPrice.Type

/**
 * The `pricing` section of the config.
 *
 * ```yaml
 * pricing:
 *   providers: { kimi: moonshotai }          # configured provider name → dataset provider id
 *   prices:                                  # "provider/model" → price (wins over the dataset)
 *     ollama/llama3.2: { input: 0, output: 0 }
 *     openai/gpt-9: { input: 2, output: 8, cached_input: 0.2, per: 1000000 }
 *   discounts: { anthropic: 0.1, openai/gpt-5: 0.25 }   # fraction off; "provider/model" beats "provider"
 * ```
 */
export const Config = Schema.Struct({
  providers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  prices: Schema.optionalKey(Schema.Record(Schema.String, ModelPrice)),
  discounts: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
  )
})
export type Config = typeof Config.Type

// ---------------------------------------------------------------------------------------------------
// service

/** What to price: one attempt's usage on one provider's model. */
export interface PriceRequest {
  /** The configured provider name (mapped to a dataset provider with `providers`, else used as is). */
  readonly provider: string
  /** The upstream model name. */
  readonly model: string
  readonly usage: Usage.Usage
  /** When the request was made (epoch ms): dated and time-of-day prices depend on it. Defaults to now. */
  readonly at?: number | undefined
}

/** A known cost, in USD. */
export interface Cost {
  /** Input plus output, after the discount. */
  readonly total: number
  /** Uncached input, cache reads and cache writes, after the discount. */
  readonly input: number
  /** Output (reasoning included), after the discount. */
  readonly output: number
  /** The fraction taken off (0 when none). */
  readonly discount: number
  /** Where the price came from. */
  readonly source: "dataset" | "config"
  /** The dataset provider id, or the configured provider name for a config price. */
  readonly provider: string
  /** The model id that matched (the dataset's id, which can differ from the upstream name). */
  readonly model: string
}

export interface PricingShape {
  /** The cost of `usage`, or `Option.none()` when no price is known for the provider's model. */
  readonly price: (request: PriceRequest) => Effect.Effect<Option.Option<Cost>>
}

export class Pricing extends Context.Service<Pricing, PricingShape>()("@switchyard/cost/Pricing") {}

const lower = (s: string) => s.toLowerCase()

const lowerKeys = <A>(record: Readonly<Record<string, A>> | undefined): ReadonlyMap<string, A> =>
  new Map(Object.entries(record ?? {}).map(([k, v]) => [lower(k), v]))

/** A pricing function over the bundled dataset and `config`. Pure apart from the clock default. */
export const make = (config: Config = {}): PricingShape => {
  const aliases = lowerKeys(config.providers)
  const sheets = lowerKeys(config.prices)
  const discounts = lowerKeys(config.discounts)

  const discountFor = (provider: string, model: string): number =>
    discounts.get(`${provider}/${model}`) ?? discounts.get(provider) ?? 0

  const compute = (request: PriceRequest, at: number): Option.Option<Cost> => {
    const provider = lower(request.provider)
    const model = request.model
    const sheet = sheets.get(`${provider}/${lower(model)}`)
    const priced = Dataset.price({
      provider: sheet === undefined
        ? aliases.get(provider) ?? provider
        : Dataset.sheetProvider(provider, model, {
          input: sheet.input,
          output: sheet.output,
          cachedInput: sheet.cached_input,
          cacheWrite: sheet.cache_write,
          per: sheet.per ?? 1_000_000
        }),
      model,
      usage: request.usage,
      at: new Date(at)
    })
    if (priced === undefined) return Option.none()
    const discount = discountFor(provider, lower(model))
    const keep = 1 - discount
    return Option.some({
      total: priced.total * keep,
      input: priced.input * keep,
      output: priced.output * keep,
      discount,
      source: sheet === undefined ? "dataset" : "config",
      provider: sheet === undefined ? priced.provider : request.provider,
      model: priced.model
    })
  }

  return {
    price: (request) =>
      Effect.gen(function*() {
        const at = request.at ?? (yield* Clock.currentTimeMillis)
        // The engine throws on inconsistent usage (cache parts larger than the input): cost unknown.
        return yield* Effect.try({
          try: () => compute(request, at),
          catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
        }).pipe(
          Effect.catch((reason) =>
            Effect.logWarning(`cost unknown for ${request.provider}/${request.model}: ${reason}`).pipe(
              Effect.as(Option.none<Cost>())
            )
          )
        )
      })
  }
}

/** `Pricing` from the bundled dataset and the config's prices and discounts. */
export const layer = (config: Config = {}): Layer.Layer<Pricing> => Layer.succeed(Pricing, make(config))
