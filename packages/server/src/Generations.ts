/**
 * Services that can be replaced while they serve, for a config reload without a restart. A
 * generation is the services built from one layer in a scope of their own. Each request takes the
 * generation in force when it arrives and holds it until its scope closes (for a request served by
 * Node: once its response is sent, a stream's last byte included). `replace` builds the next
 * generation beside the one in force, swaps it in with one atomic update of a `Ref`, and closes the
 * old generation's scope once the last request that started on it has ended. A build that fails
 * changes nothing.
 *
 * A swap needs no route rebuilt: a route's handler reads its services from the request's context, so
 * one router serves every generation, each request given its generation's `Context`.
 */
import { type Context, Effect, Exit, Layer, Ref, Scope } from "effect"
import * as Held from "./internal/held.ts"

/** The services of one build, and the scope that holds them. */
export interface Generation<R> {
  readonly context: Context.Context<R>
  readonly scope: Scope.Closeable
}

/** The generation in force, and how many requests hold each generation. */
export interface State<R> {
  readonly current: Generation<R>
  readonly users: ReadonlyMap<Generation<R>, number>
}

const count = <R>(users: ReadonlyMap<Generation<R>, number>, generation: Generation<R>, by: number) => {
  const next = new Map(users)
  const n = (users.get(generation) ?? 0) + by
  if (n === 0) next.delete(generation)
  else next.set(generation, n)
  return next
}

/** A request takes the generation in force. */
export const enter = <R>(state: State<R>): readonly [Generation<R>, State<R>] => [
  state.current,
  { ...state, users: count(state.users, state.current, 1) }
]

/** A request let go of `generation`: whether that generation is now unused and replaced (to close). */
export const leave = <R>(state: State<R>, generation: Generation<R>): readonly [boolean, State<R>] => {
  const users = count(state.users, generation, -1)
  return [generation !== state.current && !users.has(generation), { ...state, users }]
}

/** `next` is in force: the generation it replaced, when no request holds it (to close). */
export const swap = <R>(state: State<R>, next: Generation<R>): readonly [Generation<R> | undefined, State<R>] => [
  state.users.has(state.current) ? undefined : state.current,
  { ...state, current: next }
]

export interface Generations<R> {
  /** `effect` with the services of the generation in force, held until the current scope closes. */
  readonly provide: <A, E, R2>(effect: Effect.Effect<A, E, R2>) => Effect.Effect<A, E, Exclude<R2, R> | Scope.Scope>
  /** Builds `layer` and puts it in force; a failed build leaves the generation in force as it was. */
  readonly replace: <E>(layer: Layer.Layer<R, E>) => Effect.Effect<void, E>
}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** Builds `layer` in a scope of its own (closed if the build fails); only the build is interruptible. */
const build = <R, E>(layer: Layer.Layer<R, E>, restore: Restore): Effect.Effect<Generation<R>, E> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* restore(Layer.buildWithScope(layer, scope)).pipe(
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
    return { context, scope }
  })

const close = <R>(generation: Generation<R> | undefined) =>
  generation === undefined ? Effect.void : Scope.close(generation.scope, Exit.void)

/** Generations of `layer`'s services, the first built at once; all are closed with the current scope. */
export const make = <R, E>(layer: Layer.Layer<R, E>): Effect.Effect<Generations<R>, E, Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const state = yield* Ref.make<State<R>>({ current: yield* build(layer, restore), users: new Map() })
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(state), ({ current, users }) => Effect.forEach(new Set([current, ...users.keys()]), close, { discard: true }))
      )
      const hold = Held.acquire(
        Ref.modify(state, enter),
        (generation) => Effect.flatMap(Ref.modify(state, (s) => leave(s, generation)), (unused) => unused ? close(generation) : Effect.void)
      )
      return {
        provide: (effect) => Effect.flatMap(hold, (generation) => Effect.provideContext(effect, generation.context)),
        replace: (next) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(build(next, restore), (generation) => Effect.flatMap(Ref.modify(state, (s) => swap(s, generation)), close))
          )
      }
    })
  )
