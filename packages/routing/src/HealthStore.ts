/**
 * Where route breaker states live. The breaker logic is pure (`admit`/`record` over a state), so a
 * store only has to read a key and update it atomically: `layerMemory` for one process; a shared
 * store (Redis with `WATCH`/`MULTI`, or a Lua script running the same transitions) can replace it
 * without touching `RouteHealth` or the router.
 */
import { Context, Effect, Layer } from "effect"
import { type BreakerState, initial } from "./internal/breaker.ts"
import * as Recent from "./internal/recent.ts"

export type { BreakerState } from "./internal/breaker.ts"
/** The state of a key nothing was stored under: closed, generation 0. */
export { initial } from "./internal/breaker.ts"

export interface HealthStoreShape {
  readonly get: (key: string) => Effect.Effect<BreakerState>
  /** Applies `f` to the key's state atomically, storing the new state and returning the result. */
  readonly modify: <A>(key: string, f: (state: BreakerState) => readonly [A, BreakerState]) => Effect.Effect<A>
}

export class HealthStore extends Context.Service<HealthStore, HealthStoreShape>()("@switchyard/routing/HealthStore") {}

/**
 * An in-process store (updates are synchronous, hence atomic) of at most `maxRoutes` route keys
 * (default 4,096), one not used lately dropped past it: clients name routes (`provider/model`), so
 * the keys are not bounded by the config. A dropped route starts again closed.
 */
export const makeMemory = (maxRoutes = Recent.DEFAULT_ROUTES): Effect.Effect<HealthStoreShape> => Effect.sync(() => {
  const states = Recent.make<string, BreakerState>(maxRoutes)
  return {
    get: (key) => Effect.sync(() => states.get(key) ?? initial),
    modify: (key, f) =>
      Effect.sync(() => {
        const state = states.get(key)
        const [result, next] = f(state ?? initial)
        // A route whose circuit was never touched stays unstored (most calls admit it unchanged).
        if (state !== undefined || next !== initial) states.set(key, next)
        return result
      })
  }
})

export const layerMemory: Layer.Layer<HealthStore> = Layer.effect(HealthStore, makeMemory())
