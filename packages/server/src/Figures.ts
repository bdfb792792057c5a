/**
 * The dashboard's figures as its data routes write them: a ledger's figures (attempts, errors, error
 * rate, latency percentiles; computed by the store, see `Ledger.figures`) as JSON, per time bucket
 * with the empty buckets listed, and attempts grouped by a key. Pure functions.
 */
import type { Ledger } from "@switchyard/gateway"

/** Figures of no attempt. */
export const none: Ledger.Figures = { attempts: 0, errors: 0, p50: null, p95: null, p99: null }

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

/**
 * Every `size`-ms bucket from `from` to `to`, aligned to the epoch as the ledger's buckets are, with
 * its figures from `rows` (a ledger's figures per bucket), or none.
 */
export const series = (
  rows: ReadonlyArray<Ledger.FiguresRow>,
  window: { readonly from: number; readonly to: number; readonly size: number }
): Array<{ readonly start: number; readonly figures: Ledger.Figures }> => {
  const first = window.from - (window.from % window.size)
  const byBucket = new Map(rows.map((row) => [row.bucket, row.figures]))
  const count = Math.max(0, Math.ceil((window.to - first) / window.size))
  return Array.from({ length: count }, (_, i) => {
    const start = first + i * window.size
    return { start, figures: byBucket.get(start) ?? none }
  })
}

/** Figures as JSON fields; the error rate is `errors / attempts`, 0 with no attempts. */
export const json = (f: Ledger.Figures) => ({
  attempts: f.attempts,
  errors: f.errors,
  error_rate: f.attempts === 0 ? 0 : f.errors / f.attempts,
  p50_ms: f.p50,
  p95_ms: f.p95,
  p99_ms: f.p99
})
