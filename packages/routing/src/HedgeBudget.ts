/**
 * Caps hedging at a fraction of requests, as a token bucket filled by requests: each request adds
 * `ratio` tokens (up to `burst`), each hedge spends one. Over any stretch, hedges ≤ ratio × requests
 * + burst, so a slow provider cannot make hedging double the load.
 */
import { Context, Effect, Layer } from "effect"

export interface HedgeBudgetShape {
  /** Counts one request (call once per routed request). */
  readonly deposit: Effect.Effect<void>
  /** Takes one hedge from the budget, if there is one. */
  readonly withdraw: Effect.Effect<boolean>
}

export class HedgeBudget extends Context.Service<HedgeBudget, HedgeBudgetShape>()("@switchyard/routing/HedgeBudget") {}

export interface Options {
  /** Hedges per request, at most (default 0.1). */
  readonly ratio?: number | undefined
  /** Tokens that can accumulate (default 10); the bucket starts empty. */
  readonly burst?: number | undefined
}

export const makeMemory = (options: Options = {}): Effect.Effect<HedgeBudgetShape> =>
  Effect.sync(() => {
    const ratio = options.ratio ?? 0.1
    const burst = options.burst ?? 10
    let tokens = 0
    return {
      deposit: Effect.sync(() => {
        tokens = Math.min(burst, tokens + ratio)
      }),
      withdraw: Effect.sync(() => {
        if (tokens < 1 - 1e-9) return false
        tokens = Math.max(0, tokens - 1)
        return true
      })
    }
  })

export const layerMemory = (options: Options = {}): Layer.Layer<HedgeBudget> =>
  Layer.effect(HedgeBudget, makeMemory(options))
