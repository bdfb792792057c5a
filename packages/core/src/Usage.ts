/**
 * Token usage, normalized across providers.
 *
 * Convention: `inputTokens` counts every billed input token, cache reads and cache writes included;
 * `cachedInputTokens` and `cacheWriteTokens` are parts of it. `outputTokens` includes reasoning tokens;
 * `reasoningTokens` is part of it, and is absent when the provider did not say.
 */
import { Schema } from "effect"

/** Where a usage figure came from. */
export const UsageSource = Schema.Literals(["provider", "estimated"])
export type UsageSource = typeof UsageSource.Type

export const Usage = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  cachedInputTokens: Schema.Number,
  cacheWriteTokens: Schema.Number,
  reasoningTokens: Schema.optionalKey(Schema.Number),
  source: UsageSource
})
export type Usage = typeof Usage.Type

/** A usage object from the provider's own numbers; missing cache counts are zero. */
export const make = (fields: {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cachedInputTokens?: number | undefined
  readonly cacheWriteTokens?: number | undefined
  readonly reasoningTokens?: number | undefined
  readonly source?: UsageSource | undefined
}): Usage => ({
  inputTokens: fields.inputTokens,
  outputTokens: fields.outputTokens,
  cachedInputTokens: fields.cachedInputTokens ?? 0,
  cacheWriteTokens: fields.cacheWriteTokens ?? 0,
  ...(fields.reasoningTokens === undefined ? {} : { reasoningTokens: fields.reasoningTokens }),
  source: fields.source ?? "provider"
})

/** Total tokens billed: input plus output. */
export const total = (usage: Usage): number => usage.inputTokens + usage.outputTokens
