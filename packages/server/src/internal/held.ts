/**
 * A per-request resource whose release needs no service (a `Ref` update), held until the current
 * scope closes. `Effect.acquireRelease` would run its release with the acquiring fiber's whole
 * context merged into the closing fiber's: a copy of every service of the request, on every request.
 * Here the release runs as it is, in the closing fiber's context.
 */
import { Effect, Scope } from "effect"

/** What `take` gives, its `release` added to the current scope; the two are not interrupted between. */
export const acquire = <A, E, R>(
  take: Effect.Effect<A, E, R>,
  release: (a: A) => Effect.Effect<unknown>
): Effect.Effect<A, E, R | Scope.Scope> =>
  Effect.uninterruptible(Effect.flatMap(Effect.scope, (scope) => Effect.tap(take, (a) => Scope.addFinalizer(scope, release(a)))))
