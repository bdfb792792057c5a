/**
 * Latency per route key, as streaming quantiles with bounded memory: time to first token (`ttft`)
 * and total duration, each in a log-bucketed histogram (relative error `accuracy`), optionally
 * decayed so old traffic fades with a half-life.
 */
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import * as Histogram from "./internal/histogram.ts"

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
}

export const makeMemory = (options: Options = {}): Effect.Effect<LatencyStatsShape> =>
  Effect.sync(() => {
    const layout: Histogram.Layout = {
      accuracy: options.accuracy ?? 0.02,
      minMs: Duration.toMillis(options.min ?? "1 millis"),
      maxMs: Duration.toMillis(options.max ?? "10 minutes")
    }
    const halfLifeMs = options.halfLife === undefined ? undefined : Duration.toMillis(options.halfLife)
    const histograms = new Map<string, Histogram.Histogram>()
    const histogram = (key: string, kind: Kind, now: number, create: boolean) => {
      const id = `${kind} ${key}`
      let h = histograms.get(id)
      if (h === undefined && create) histograms.set(id, h = Histogram.make(layout, now))
      if (h !== undefined && halfLifeMs !== undefined) Histogram.decay(h, now, halfLifeMs)
      return h
    }
    return {
      observe: (key, kind, latency) =>
        Effect.map(Clock.currentTimeMillis, (now) =>
          Histogram.add(histogram(key, kind, now, true)!, Duration.toMillis(latency))),
      quantile: (key, kind, q) =>
        Effect.map(Clock.currentTimeMillis, (now) =>
          Option.fromUndefinedOr(histogram(key, kind, now, false)).pipe(
            Option.flatMapNullishOr((h) => Histogram.quantile(h, q)),
            Option.map(Duration.millis)
          ))
    }
  })

/** Statistics in process memory. */
export const layerMemory = (options: Options = {}): Layer.Layer<LatencyStats> =>
  Layer.effect(LatencyStats, makeMemory(options))
