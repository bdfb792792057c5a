/**
 * What the cost ledger stores and answers: one `Entry` per attempt (a primary call, a retry, a hedge,
 * a fallback), and usage totals over a time window, optionally grouped by provider, model, API key,
 * model alias and time bucket.
 */
import { Schema } from "effect"
import * as ProviderError from "@switchyard/core/ProviderError"
import * as Usage from "@switchyard/core/Usage"

/** Why the attempt was made. */
export const Role = Schema.Literals(["primary", "retry", "hedge", "fallback"])
export type Role = typeof Role.Type

/** How the attempt ended: `ok`, a provider error category, or `cancelled` (a hedge that lost, a client gone). */
export const Outcome = Schema.Literals(["ok", "cancelled", ...ProviderError.categories])
export type Outcome = typeof Outcome.Type

/** One attempt. */
export const Entry = Schema.Struct({
  requestId: Schema.String,
  /** The client API key's id (never the key itself); `null` for unauthenticated use. */
  apiKeyId: Schema.NullOr(Schema.String),
  /** The model the client asked for (an alias or `provider/model`). */
  modelAlias: Schema.String,
  /** The configured provider name that served the attempt. */
  provider: Schema.String,
  /** The upstream model name. */
  model: Schema.String,
  role: Role,
  outcome: Outcome,
  latencyMs: Schema.Finite,
  /** `usage.source` is `"estimated"` when the provider reported no usage (see `estimateMethod`). */
  usage: Usage.Usage,
  /** The method that estimated `usage` (`Estimate`'s `method`), `null` for provider-reported usage. */
  estimateMethod: Schema.NullOr(Schema.String),
  /** USD; `null` when the cost is unknown (no price for the model). */
  cost: Schema.NullOr(Schema.Finite),
  /** When the attempt started, epoch milliseconds. */
  timestamp: Schema.Finite
})
export type Entry = typeof Entry.Type

/** Whether an entry's usage was estimated rather than reported. */
export const isEstimated = (entry: Entry): boolean => entry.usage.source === "estimated"

/** What usage can be grouped by. */
export type Dimension = "provider" | "model" | "apiKeyId" | "modelAlias"

export const dimensions: ReadonlyArray<Dimension> = ["provider", "model", "apiKeyId", "modelAlias"]

/** Entries with `from <= timestamp < to` (epoch ms) that match every given field. */
export interface Window {
  readonly from: number
  readonly to: number
  readonly where?: Partial<Record<Dimension, string>> | undefined
}

export interface UsageQuery extends Window {
  /** Dimensions to group by, in this order. */
  readonly groupBy?: ReadonlyArray<Dimension> | undefined
  /** Time buckets of this size, aligned to the Unix epoch (so `"1 day"` is a UTC day). */
  readonly bucket?: number | undefined
}

/** Sums over a set of attempts. */
export interface Totals {
  /** Distinct request ids. */
  readonly requests: number
  readonly attempts: number
  /** USD, over the attempts whose cost is known. */
  readonly cost: number
  /** Attempts whose cost is unknown: when not 0, `cost` is a lower bound. */
  readonly unknownCost: number
  /** Attempts whose usage was estimated. */
  readonly estimated: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cachedInputTokens: number
  readonly cacheWriteTokens: number
  readonly reasoningTokens: number
}

/** One group of a `UsageQuery`. A `null` group value is an entry without an API key. */
export interface UsageRow {
  readonly group: Partial<Record<Dimension, string | null>>
  /** The bucket's start (epoch ms), when the query asked for buckets. */
  readonly bucket?: number | undefined
  readonly totals: Totals
}

/**
 * Attempts, errors and latency over a set of attempts (the dashboard's figures). An error is an
 * attempt that ended in a provider error (not `ok`, not `cancelled`); the latency percentiles are
 * over the attempts not cancelled (a hedge that lost says nothing of its route's latency).
 */
export interface Figures {
  readonly attempts: number
  readonly errors: number
  /** Nearest-rank percentiles, ms; `null` with no attempt that was not cancelled. */
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
}

export interface FiguresRow {
  readonly group: Partial<Record<Dimension, string | null>>
  /** The bucket's start (epoch ms), when the query asked for buckets. */
  readonly bucket?: number | undefined
  readonly figures: Figures
}

/** Whether an attempt ended in a provider error. */
export const isError = (entry: Entry): boolean => entry.outcome !== "ok" && entry.outcome !== "cancelled"

/** The 1-based nearest rank of the `percent` percentile among `n` values (integer arithmetic, as in SQL). */
export const rankOf = (percent: number, n: number): number => Math.ceil((percent * n) / 100)

export const emptyTotals: Totals = {
  requests: 0,
  attempts: 0,
  cost: 0,
  unknownCost: 0,
  estimated: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0
}

const compareValue = (a: string | number | null | undefined, b: string | number | null | undefined): number =>
  a === b ? 0 : a == null ? -1 : b == null ? 1 : a < b ? -1 : 1

/** The order of `UsageRow`s: by bucket, then by each grouped dimension (no key first). */
export const compareRows = (groupBy: ReadonlyArray<Dimension>) =>
(a: { readonly group: UsageRow["group"]; readonly bucket?: number | undefined }, b: { readonly group: UsageRow["group"]; readonly bucket?: number | undefined }): number => {
  const byBucket = compareValue(a.bucket, b.bucket)
  if (byBucket !== 0) return byBucket
  for (const dimension of groupBy) {
    const c = compareValue(a.group[dimension], b.group[dimension])
    if (c !== 0) return c
  }
  return 0
}
