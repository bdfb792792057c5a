/**
 * Figures over ledger attempts, for the dashboard's data routes: attempts, errors, error rate and
 * latency percentiles, over a set of attempts or per time bucket. An error is an attempt that ended
 * in a provider error (not `ok`, not `cancelled`); latency percentiles are over the attempts that
 * were not cancelled (a hedge that lost says nothing about its route's latency). Pure functions.
 */
import type { Ledger } from "@switchyard/gateway"

export interface Figures {
  readonly attempts: number
  readonly errors: number
  /** `errors / attempts`; 0 with no attempts. */
  readonly errorRate: number
  /** Milliseconds; `null` with no timed attempt. */
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
}

/** Attempts by a key of each, in order of first appearance. */
export const group = <K>(entries: ReadonlyArray<Ledger.Entry>, keyOf: (entry: Ledger.Entry) => K): Map<K, Array<Ledger.Entry>> => {
  const groups = new Map<K, Array<Ledger.Entry>>()
  for (const entry of entries) {
    const key = keyOf(entry)
    const members = groups.get(key)
    if (members === undefined) groups.set(key, [entry])
    else members.push(entry)
  }
  return groups
}

/** Whether an attempt ended in a provider error. */
export const isError = (entry: Ledger.Entry): boolean => entry.outcome !== "ok" && entry.outcome !== "cancelled"

/** The nearest-rank `p` percentile (0 < p <= 1) of ascending values; `null` for none. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!

export const figures = (entries: ReadonlyArray<Ledger.Entry>): Figures => {
  const errors = entries.filter(isError).length
  const latencies = entries.filter((e) => e.outcome !== "cancelled").map((e) => e.latencyMs).sort((a, b) => a - b)
  return {
    attempts: entries.length,
    errors,
    errorRate: entries.length === 0 ? 0 : errors / entries.length,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99)
  }
}

/** Figures per `size`-ms bucket from `from` to `to`, aligned to the epoch as the ledger's `usage` buckets are; empty buckets included. */
export const series = (
  entries: ReadonlyArray<Ledger.Entry>,
  window: { readonly from: number; readonly to: number; readonly size: number }
): Array<{ readonly start: number; readonly figures: Figures }> => {
  const first = window.from - (window.from % window.size)
  const byBucket = group(entries, (e) => e.timestamp - (e.timestamp % window.size))
  const count = Math.max(0, Math.ceil((window.to - first) / window.size))
  return Array.from({ length: count }, (_, i) => {
    const start = first + i * window.size
    return { start, figures: figures(byBucket.get(start) ?? []) }
  })
}

/** Figures as JSON fields. */
export const json = (f: Figures) => ({
  attempts: f.attempts,
  errors: f.errors,
  error_rate: f.errorRate,
  p50_ms: f.p50,
  p95_ms: f.p95,
  p99_ms: f.p99
})
