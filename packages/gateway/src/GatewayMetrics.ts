/**
 * The gateway's metrics, as Effect `Metric`s (rendered for Prometheus by `effect/observability`'s
 * `PrometheusMetrics`, or pushed over OTLP). Attempts are counted where they are metered, from the
 * same ledger entry, so the metrics and the ledger cannot disagree; requests are counted by the
 * server. Label values that come from clients or upstreams (a model name) are bounded: past
 * `MAX_LABEL_VALUES` distinct values of one label, new ones are counted as `other`.
 */
import { Effect, Metric } from "effect"
import type { LedgerEntry } from "@switchyard/cost"

/** Seconds, from 5 ms to 2 minutes: LLM calls range from a cached embedding to a long generation. */
const secondsBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]

/** Label names and values. */
type Labels = Readonly<Record<string, string>>

/** A metric with `labels` built in (none: the metric itself). */
type Definition<S> = (labels?: Labels) => Metric.Metric<number, S>

const counterWith = (name: string, description: string): Definition<Metric.CounterState<number>> => (labels) =>
  Metric.counter(name, { description, incremental: true, attributes: labels })

const secondsWith = (name: string, description: string): Definition<Metric.HistogramState> => (labels) =>
  Metric.histogram(name, { description, boundaries: secondsBoundaries, attributes: labels })

const requestsWith = counterWith(
  "switchyard_requests_total",
  "HTTP requests answered, by endpoint, status and error code (empty when it succeeded)"
)
export const requests = requestsWith()

const requestDurationWith = secondsWith(
  "switchyard_request_duration_seconds",
  "Time from a request's arrival to the end of its answer (a stream's last byte)"
)
export const requestDuration = requestDurationWith()

export const requestsInFlight = Metric.gauge("switchyard_requests_in_flight", {
  description: "Requests being answered, streams included until they end"
})

export const streamsInFlight = Metric.gauge("switchyard_streams_in_flight", {
  description: "Streamed answers being written"
})

const attemptsWith = counterWith(
  "switchyard_attempts_total",
  "Upstream attempts by provider, model, role (primary, retry, hedge, fallback) and outcome"
)
export const attempts = attemptsWith()

const attemptDurationWith = secondsWith("switchyard_attempt_duration_seconds", "Upstream attempt time, to its last byte")
export const attemptDuration = attemptDurationWith()

const timeToFirstTokenWith = secondsWith(
  "switchyard_time_to_first_token_seconds",
  "Time from a streamed attempt's start to its first output"
)
export const timeToFirstToken = timeToFirstTokenWith()

const tokensWith = counterWith(
  "switchyard_tokens_total",
  "Tokens by provider, model and type (input, output, cached_input, cache_write, reasoning); estimated usage included"
)
export const tokens = tokensWith()

const costWith = counterWith("switchyard_cost_usd_total", "Spend in USD by provider and model (attempts with a known price)")
export const cost = costWith()

const breakerStateWith: Definition<Metric.GaugeState<number>> = (labels) =>
  Metric.gauge("switchyard_breaker_state", {
    description: "Circuit breaker per route: 0 closed, 1 half open, 2 open",
    attributes: labels
  })
export const breakerState = breakerStateWith()

/** Distinct values one label may take before new ones are counted as `other`. */
export const MAX_LABEL_VALUES = 256

const seen = new Map<string, Set<string>>()

/** `value`, or `other` once `label` already has `MAX_LABEL_VALUES` other values. */
export const bounded = (label: string, value: string): string => {
  const values = seen.get(label) ?? new Set<string>()
  seen.set(label, values)
  if (values.has(value)) return value
  if (values.size >= MAX_LABEL_VALUES) return "other"
  values.add(value)
  return value
}

const seconds = (ms: number) => ms / 1000

/** Series kept, at most, per metric: label values are bounded, their combinations less so. */
const MAX_SERIES = 4096

/**
 * A metric's series by label values: for each label set a metric with the labels built in, made
 * once, which counts in the same series as `Metric.withAttributes(metric, labels)`.
 * `withAttributes` adds the labels to the context on every update (a new context each time), and
 * re-keys the metric's series whenever label sets alternate (a sort and a `JSON.stringify` each
 * time). The label names are given in the same order at each call site.
 */
const labelled = <S>(definition: Definition<S>) => {
  const handles = new Map<string, Metric.Metric<number, S>>()
  return (labels: Labels): Metric.Metric<number, S> => {
    const key = Object.values(labels).join("\u0000")
    const known = handles.get(key)
    if (known !== undefined) return known
    if (handles.size >= MAX_SERIES) handles.clear()
    const handle = definition(labels)
    handles.set(key, handle)
    return handle
  }
}

/** The request counter's series by endpoint, status and error code. */
export const requestsOf = labelled(requestsWith)

/** The request duration's series by endpoint. */
export const requestDurationOf = labelled(requestDurationWith)

const attemptsOf = labelled(attemptsWith)
const attemptDurationOf = labelled(attemptDurationWith)
const timeToFirstTokenOf = labelled(timeToFirstTokenWith)
const tokensOf = labelled(tokensWith)
const costOf = labelled(costWith)

/**
 * One change to a metric: `update` (a counter's increment, a histogram's sample, a gauge's value) or
 * `modify` (a gauge's delta).
 */
export type Change = readonly ["update" | "modify", Metric.Metric<number, unknown>, number]

/**
 * Applies `changes` in one step, in the current context, as `Metric.update` and `Metric.modify` do
 * one by one (two operations of the runtime each, and more to sequence them).
 */
export const apply = (changes: ReadonlyArray<Change>): Effect.Effect<void> =>
  Effect.contextWith((context) =>
    Effect.sync(() => {
      for (const [kind, metric, value] of changes) {
        if (kind === "update") metric.updateUnsafe(value, context)
        else metric.modifyUnsafe(value, context)
      }
    })
  )

/** Counts one metered attempt (its ledger entry) and, for a stream, its time to first output. */
export const attempt = (entry: LedgerEntry.Entry, firstOutputMs: number | undefined): Effect.Effect<void> => {
  const route = { provider: bounded("provider", entry.provider), model: bounded("model", entry.model) }
  const usage = entry.usage
  const typed = [
    ["input", usage.inputTokens],
    ["output", usage.outputTokens],
    ["cached_input", usage.cachedInputTokens ?? 0],
    ["cache_write", usage.cacheWriteTokens ?? 0],
    ["reasoning", usage.reasoningTokens ?? 0]
  ] as const
  return apply([
    ["update", attemptsOf({ ...route, role: entry.role, outcome: entry.outcome }), 1],
    ["update", attemptDurationOf(route), seconds(entry.latencyMs)],
    ...(firstOutputMs === undefined ? [] : [["update", timeToFirstTokenOf(route), seconds(firstOutputMs)] as const]),
    ...typed.filter(([, n]) => n > 0).map(([type, n]) => ["update", tokensOf({ ...route, type }), n] as const),
    ...(entry.cost === null || entry.cost === 0 ? [] : [["update", costOf(route), entry.cost] as const])
  ])
}

const breakerValue = { closed: 0, half_open: 1, open: 2 } as const

const breakerStateOf = labelled(breakerStateWith)

/** Sets one route's breaker gauge. */
export const breaker = (route: string, status: keyof typeof breakerValue): Effect.Effect<void> =>
  Metric.update(breakerStateOf({ route }), breakerValue[status])
