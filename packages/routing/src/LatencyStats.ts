/**
 * Latency per route key, as streaming quantiles with bounded memory: time to first token (`ttft`)
 * and total duration, each in a log-bucketed histogram (relative error `accuracy`), optionally
 * decayed so old traffic fades with a half-life.
 *
 * Several instances can pool what they observe (`makePooled`): each keeps its own histograms and,
 * on a timer, pushes the observations made since the last push to a `Pool` (Redis, in
 * `@switchyard/state-redis`) and pulls everyone's back as a merged copy. Reads never wait on the
 * pool: they use the merged copy, or this instance's own histograms while the pool is unreachable
 * (or has nothing for the route).
 */
import { Clock, Context, Duration, Effect, Layer, Option, Ref, Schedule, type Scope } from "effect"
import * as Histogram from "./internal/histogram.ts"
import * as Recent from "./internal/recent.ts"

export type Kind = "ttft" | "total"

export interface LatencyStatsShape {
  readonly observe: (key: string, kind: Kind, latency: Duration.Input) => Effect.Effect<void>
  /** The `q` quantile (0..1) of what was observed, `None` before any observation. */
  readonly quantile: (key: string, kind: Kind, q: number) => Effect.Effect<Option.Option<Duration.Duration>>
}

export class LatencyStats extends Context.Service<LatencyStats, LatencyStatsShape>()(
  "@switchyard/routing/LatencyStats"
) {}

export interface Options {
  /** Relative accuracy of quantiles (default 0.02, that is ±2%). */
  readonly accuracy?: number | undefined
  /** Range kept; values outside are clamped (default 1 millisecond to 10 minutes). */
  readonly min?: Duration.Input | undefined
  readonly max?: Duration.Input | undefined
  /** Weight of an observation halves every `halfLife` (default: no decay). */
  readonly halfLife?: Duration.Input | undefined
  /**
   * Route keys kept (default 4,096), one not used lately dropped past it: clients name routes, and
   * each route's two histograms take about 5 KB at the default accuracy.
   */
  readonly maxRoutes?: number | undefined
}

/** Route keys kept when `maxRoutes` is not set. */
export const defaultMaxRoutes = Recent.DEFAULT_ROUTES

/** The observations of one route key and kind: weight per histogram bucket. */
export interface Counts {
  readonly key: string
  readonly kind: Kind
  /** `[bucket, weight]` pairs; bucket numbers are the same in every instance with the same accuracy. */
  readonly buckets: ReadonlyArray<readonly [number, number]>
}

/** Where instances pool their observations. */
export interface Pool {
  /** Adds this instance's observations made since its last push (up to `now`). */
  readonly push: (counts: ReadonlyArray<Counts>, now: number) => Effect.Effect<void>
  /** Every instance's observations as they weigh at `now`; `None` while the pool is unreachable. */
  readonly pull: (now: number) => Effect.Effect<Option.Option<ReadonlyArray<Counts>>>
}

export interface PooledOptions extends Options {
  /** How often to push this instance's observations and pull the merged copy (default 1 second). */
  readonly syncEvery?: Duration.Input | undefined
}

const idOf = (key: string, kind: Kind): string => `${kind} ${key}`

/** This instance's histograms, decayed on access. */
const makeHistograms = (options: Options) => {
  const layout: Histogram.Layout = {
    accuracy: options.accuracy ?? 0.02,
    minMs: Duration.toMillis(options.min ?? "1 millis"),
    maxMs: Duration.toMillis(options.max ?? "10 minutes")
  }
  const halfLifeMs = options.halfLife === undefined ? undefined : Duration.toMillis(options.halfLife)
  const routes = Recent.make<string, Partial<Record<Kind, Histogram.Histogram>>>(options.maxRoutes ?? defaultMaxRoutes)
  return {
    layout,
    get: (key: string, kind: Kind, now: number, create: boolean): Histogram.Histogram | undefined => {
      let route = routes.get(key)
      if (route === undefined && create) routes.set(key, route = {})
      let h = route?.[kind]
      if (h === undefined && create) h = route![kind] = Histogram.make(layout, now)
      if (h !== undefined && halfLifeMs !== undefined) Histogram.decay(h, now, halfLifeMs)
      return h
    }
  }
}

const quantileOf = (h: Histogram.Histogram | undefined, q: number): Option.Option<Duration.Duration> =>
  Option.fromUndefinedOr(h).pipe(Option.flatMapNullishOr((h) => Histogram.quantile(h, q)), Option.map(Duration.millis))

export const makeMemory = (options: Options = {}): Effect.Effect<LatencyStatsShape> =>
  Effect.sync(() => {
    const histograms = makeHistograms(options)
    return {
      observe: (key, kind, latency) =>
        Effect.map(Clock.currentTimeMillis, (now) => Histogram.add(histograms.get(key, kind, now, true)!, Duration.toMillis(latency))),
      quantile: (key, kind, q) => Effect.map(Clock.currentTimeMillis, (now) => quantileOf(histograms.get(key, kind, now, false), q))
    }
  })

/** Statistics in process memory, pooled with other instances' through `pool` every `syncEvery`. */
export const makePooled = (pool: Pool, options: PooledOptions = {}): Effect.Effect<LatencyStatsShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const histograms = makeHistograms(options)
    /** Observations not pushed yet: per route key and kind, weight per bucket. */
    const pending = new Map<string, { readonly key: string; readonly kind: Kind; readonly buckets: Map<number, number> }>()
    const pooled = yield* Ref.make<ReadonlyMap<string, Histogram.Histogram> | undefined>(undefined)

    const drain = Effect.sync((): ReadonlyArray<Counts> => {
      const counts = [...pending.values()].map(({ buckets, key, kind }) => ({ key, kind, buckets: [...buckets] }))
      pending.clear()
      return counts
    })
    const merge = (counts: ReadonlyArray<Counts>, now: number): ReadonlyMap<string, Histogram.Histogram> =>
      new Map(counts.map(({ buckets, key, kind }) => {
        const h = Histogram.make(histograms.layout, now)
        for (const [bucket, weight] of buckets) Histogram.addTo(h, bucket, weight)
        return [idOf(key, kind), h]
      }))
    const sync = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const counts = yield* drain
      if (counts.length > 0) yield* pool.push(counts, now)
      const all = yield* pool.pull(now)
      yield* Ref.set(pooled, Option.isSome(all) ? merge(all.value, now) : undefined)
    })
    yield* Effect.forkScoped(Effect.repeat(sync, Schedule.spaced(options.syncEvery ?? "1 second")))

    return {
      observe: (key, kind, latency) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const h = histograms.get(key, kind, now, true)!
          const ms = Duration.toMillis(latency)
          Histogram.add(h, ms)
          const id = idOf(key, kind)
          const entry = pending.get(id) ?? { key, kind, buckets: new Map<number, number>() }
          const bucket = Histogram.bucketOf(h, ms)
          entry.buckets.set(bucket, (entry.buckets.get(bucket) ?? 0) + 1)
          pending.set(id, entry)
        }),
      quantile: (key, kind, q) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const merged = (yield* Ref.get(pooled))?.get(idOf(key, kind))
          return quantileOf(merged ?? histograms.get(key, kind, now, false), q)
        })
    }
  })

/** Statistics in process memory. */
export const layerMemory = (options: Options = {}): Layer.Layer<LatencyStats> =>
  Layer.effect(LatencyStats, makeMemory(options))

