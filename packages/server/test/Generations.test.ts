/**
 * Generations of services: a replacement serves the requests to come, a request in flight keeps the
 * services it started with until it ends, which then closes them, and a failed build changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { Generations } from "@switchyard/server"

class Name extends Context.Service<Name, string>()("test/Name") {}

/** A layer providing `name`, recording its release in `released`. */
const named = (name: string, released: Array<string>) =>
  Layer.effect(Name, Effect.acquireRelease(Effect.succeed(name), () => Effect.sync(() => released.push(name))))

describe("Generations", () => {
  it.effect("a replacement serves new requests; the old one closes once the last request on it ends; a failed build keeps the one in force", () =>
    Effect.gen(function*() {
      const released: Array<string> = []
      const generations = yield* Generations.make(named("one", released))
      const request = yield* Scope.make()
      const inFlight = yield* generations.provide(Name.use(Effect.succeed)).pipe(Scope.provide(request))
      assert.strictEqual(inFlight, "one")

      yield* generations.replace(named("two", released))
      assert.strictEqual(yield* Effect.scoped(generations.provide(Name.use(Effect.succeed))), "two")
      assert.deepStrictEqual(released, [], "one is still held by the request in flight")
      yield* Scope.close(request, Exit.void)
      assert.deepStrictEqual(released, ["one"])

      const failed = yield* Effect.exit(generations.replace(Layer.effect(Name, Effect.fail("no ledger"))))
      assert.isTrue(Exit.isFailure(failed))
      assert.strictEqual(yield* Effect.scoped(generations.provide(Name.use(Effect.succeed))), "two")

      yield* generations.replace(named("three", released))
      assert.deepStrictEqual(released, ["one", "two"], "an unused generation closes as soon as it is replaced")
    }))

  it.effect("every generation closes with the scope that made them", () =>
    Effect.gen(function*() {
      const released: Array<string> = []
      const scope = yield* Scope.make()
      const generations = yield* Generations.make(named("one", released)).pipe(Scope.provide(scope))
      const request = yield* Scope.make()
      yield* generations.provide(Name.use(Effect.succeed)).pipe(Scope.provide(request))
      yield* generations.replace(named("two", released))
      yield* Scope.close(scope, Exit.void)
      assert.sameMembers(released, ["one", "two"])
    }))
})
