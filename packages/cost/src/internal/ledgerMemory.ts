/**
 * The ledger's queries over entries in memory: the reference the SQL layers must agree with.
 */
import type { Dimension, Entry, Figures, FiguresRow, Totals, UsageQuery, UsageRow, Window } from "../LedgerEntry.ts"
import { compareRows, emptyTotals, isError, rankOf } from "../LedgerEntry.ts"

export const matches = (window: Window) => (entry: Entry): boolean =>
  entry.timestamp >= window.from &&
  entry.timestamp < window.to &&
  Object.entries(window.where ?? {}).every(([dimension, value]) => entry[dimension as Dimension] === value)

export const totalsOf = (entries: ReadonlyArray<Entry>): Totals =>
  entries.length === 0
    ? emptyTotals
    : {
      requests: new Set(entries.map((e) => e.requestId)).size,
      attempts: entries.length,
      cost: entries.reduce((sum, e) => sum + (e.cost ?? 0), 0),
      unknownCost: entries.filter((e) => e.cost === null).length,
      estimated: entries.filter((e) => e.usage.source === "estimated").length,
      inputTokens: entries.reduce((sum, e) => sum + e.usage.inputTokens, 0),
      outputTokens: entries.reduce((sum, e) => sum + e.usage.outputTokens, 0),
      cachedInputTokens: entries.reduce((sum, e) => sum + e.usage.cachedInputTokens, 0),
      cacheWriteTokens: entries.reduce((sum, e) => sum + e.usage.cacheWriteTokens, 0),
      reasoningTokens: entries.reduce((sum, e) => sum + (e.usage.reasoningTokens ?? 0), 0)
    }

const bucketOf = (timestamp: number, size: number): number => timestamp - (timestamp % size)

/**
 * The entries a query selects, grouped by its dimensions and buckets, each group summarized, in
 * `compareRows` order; without `groupBy` and `bucket`, one group of them all.
 */
const grouped = <A>(entries: ReadonlyArray<Entry>, query: UsageQuery, summarize: (entries: ReadonlyArray<Entry>) => A) => {
  const groupBy = query.groupBy ?? []
  const selected = entries.filter(matches(query))
  if (groupBy.length === 0 && query.bucket === undefined) return [{ group: {}, summary: summarize(selected) }]
  const groups = new Map<string, { row: { group: Partial<Record<Dimension, string | null>>; bucket?: number }; entries: Array<Entry> }>()
  for (const entry of selected) {
    const group = Object.fromEntries(groupBy.map((d) => [d, entry[d]]))
    const bucket = query.bucket === undefined ? undefined : bucketOf(entry.timestamp, query.bucket)
    const key = JSON.stringify([bucket, group])
    const existing = groups.get(key)
    if (existing === undefined) {
      groups.set(key, { row: { group, ...(bucket === undefined ? {} : { bucket }) }, entries: [entry] })
    } else {
      existing.entries.push(entry)
    }
  }
  return [...groups.values()].map(({ entries, row }) => ({ ...row, summary: summarize(entries) })).sort(compareRows(groupBy))
}

/** Groups the entries a query selects and sums each group, in `compareRows` order. */
export const usage = (entries: ReadonlyArray<Entry>, query: UsageQuery): Array<UsageRow> =>
  grouped(entries, query, totalsOf).map(({ summary, ...row }) => ({ ...row, totals: summary }))

const figuresOf = (entries: ReadonlyArray<Entry>): Figures => {
  const latencies = entries.filter((e) => e.outcome !== "cancelled").map((e) => e.latencyMs).sort((a, b) => a - b)
  const percentile = (percent: number) => (latencies.length === 0 ? null : latencies[rankOf(percent, latencies.length) - 1]!)
  return {
    attempts: entries.length,
    errors: entries.filter(isError).length,
    p50: percentile(50),
    p95: percentile(95),
    p99: percentile(99)
  }
}

/** Groups the entries a query selects and takes each group's figures, in `compareRows` order. */
export const figures = (entries: ReadonlyArray<Entry>, query: UsageQuery): Array<FiguresRow> =>
  grouped(entries, query, figuresOf).map(({ summary, ...row }) => ({ ...row, figures: summary }))

/** `CostLedger.requests` over entries in memory. */
export const recentRequests = (entries: ReadonlyArray<Entry>, window: Window & { readonly limit: number }): Array<Entry> => {
  const byRequest = new Map<string, Array<Entry>>()
  for (const entry of entries.filter(matches(window))) {
    const attempts = byRequest.get(entry.requestId)
    if (attempts === undefined) byRequest.set(entry.requestId, [entry])
    else attempts.push(entry)
  }
  const latest = (attempts: ReadonlyArray<Entry>) => Math.max(...attempts.map((e) => e.timestamp))
  return [...byRequest.entries()]
    .map(([id, attempts]) => ({ id, last: latest(attempts), attempts: attempts.sort((a, b) => a.timestamp - b.timestamp) }))
    .sort((a, b) => b.last - a.last || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, Math.max(0, Math.floor(window.limit)))
    .flatMap((r) => r.attempts)
}
