/**
 * A log-bucketed histogram of durations (the DDSketch layout): bucket `i` holds values in
 * `(γ^(i-1), γ^i]` with `γ = (1+α)/(1-α)`, so any quantile comes back within relative error `α`.
 * Memory is fixed (one `Float64Array` over `[minMs, maxMs]`); values outside are clamped. Counts
 * are weights, so exponential decay is one multiplication.
 */

export interface Histogram {
  readonly gamma: number
  readonly offset: number
  readonly counts: Float64Array
  total: number
  decayedAt: number
}

export interface Layout {
  /** Relative accuracy α of quantiles. */
  readonly accuracy: number
  readonly minMs: number
  readonly maxMs: number
}

const indexOf = (gamma: number, value: number): number => Math.ceil(Math.log(value) / Math.log(gamma))

export const make = (layout: Layout, now: number): Histogram => {
  const gamma = (1 + layout.accuracy) / (1 - layout.accuracy)
  const offset = indexOf(gamma, layout.minMs)
  return {
    gamma,
    offset,
    counts: new Float64Array(indexOf(gamma, layout.maxMs) - offset + 1),
    total: 0,
    decayedAt: now
  }
}

/**
 * The bucket holding `valueMs`, clamped to the layout. Bucket numbers do not depend on the range
 * (only on the accuracy), so histograms of the same accuracy can be merged bucket by bucket.
 */
export const bucketOf = (h: Histogram, valueMs: number): number =>
  Math.min(Math.max(indexOf(h.gamma, valueMs), h.offset), h.offset + h.counts.length - 1)

/** Adds `weight` to a bucket (clamped to the layout). */
export const addTo = (h: Histogram, bucket: number, weight: number): void => {
  const i = Math.min(Math.max(bucket - h.offset, 0), h.counts.length - 1)
  h.counts[i]! += weight
  h.total += weight
}

export const add = (h: Histogram, valueMs: number): void => addTo(h, bucketOf(h, valueMs), 1)

/** Multiplies every weight by `0.5^(elapsed / halfLife)`. */
export const decay = (h: Histogram, now: number, halfLifeMs: number): void => {
  const factor = Math.pow(0.5, (now - h.decayedAt) / halfLifeMs)
  h.decayedAt = now
  if (factor === 1) return
  for (let i = 0; i < h.counts.length; i++) h.counts[i]! *= factor
  h.total *= factor
}

/** The `q` quantile (0..1), or `undefined` when empty. */
export const quantile = (h: Histogram, q: number): number | undefined => {
  if (h.total <= 0) return undefined
  const rank = Math.min(Math.max(q, 0), 1) * h.total
  let seen = 0
  let i = 0
  for (; i < h.counts.length - 1; i++) {
    seen += h.counts[i]!
    if (seen >= rank && seen > 0) break
  }
  return (2 * Math.pow(h.gamma, i + h.offset)) / (h.gamma + 1)
}
