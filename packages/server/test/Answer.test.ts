/**
 * A streamed answer's body runs after its handler returned; when it never runs (Node skips the body
 * of a response whose client is already gone), the request's scope lets the answer go.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Stream } from "effect"
import type { Provider, StreamEvent } from "@switchyard/core"
import { Accounting, Gateway, type GatewayConfig, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"
import * as Admission from "../src/Admission.ts"
import * as Answer from "../src/Answer.ts"
import * as ClientKeys from "../src/ClientKeys.ts"

const config: GatewayConfig.GatewayConfig = {
  providers: { a: { kind: "demo" } },
  ledger: { kind: "memory" },
  // Room for one request's reservation (its input and `max_tokens`), not two.
  models: { fast: { routes: [{ provider: "a", model: "m1" }], tpm: 150 } }
}

const head: ReadonlyArray<StreamEvent.StreamEvent> = [
  { _tag: "ResponseStart", id: "r", model: "m1", created: 0 },
  { _tag: "TextDelta", choice: 0, text: "hel" }
]

/** The gateway over a provider that streams its first events, then waits (the router commits to it). */
const holding = (onClose: Effect.Effect<void>) => {
  const provider: Provider.ProviderShape = {
    name: "a",
    complete: () => Effect.never,
    stream: () => Stream.fromIterable(head).pipe(Stream.concat(Stream.never), Stream.ensuring(onClose))
  }
  return Gateway.layer(config).pipe(
    Layer.provideMerge(ProviderRegistry.fromProviders([provider])),
    Layer.provideMerge(Accounting.layer(config, ".")),
    Layer.provide(RoutingConfig.layer(config.routing)),
    Layer.merge(Layer.effect(Admission.CurrentAdmission, Admission.make(10)))
  )
}

const streamed = (requestId: string) =>
  Answer.streamed({ model: "fast", messages: [{ role: "user", content: "Say hello" }], max_tokens: 100, stream: true }, {
    call: { requestId, client: ClientKeys.anonymous, refuse: () => assert.fail("not refused") },
    caller: {},
    body: (answer) => Effect.succeed(Stream.orDie(Stream.map(answer.events, () => new Uint8Array())))
  })

describe("Answer.streamed", () => {
  it.effect("an answer whose body never runs is let go when the request's scope closes: upstream closed, tpm room back", () =>
    Effect.gen(function*() {
      const closed = yield* Deferred.make<void>()
      yield* Effect.gen(function*() {
        // The handler answers 200 with a body that is never run, as for a client gone before it started.
        assert.strictEqual((yield* Effect.scoped(streamed("req_1"))).status, 200)
        assert.isTrue(Option.isSome(yield* Deferred.poll(closed)))
        assert.strictEqual((yield* Effect.scoped(streamed("req_2"))).status, 200)
      }).pipe(Effect.provide(holding(Deferred.succeed(closed, undefined))))
    }))

  it.effect("while the request's scope is open the answer is held: a second request does not fit", () =>
    Effect.scoped(Effect.gen(function*() {
      assert.strictEqual((yield* streamed("req_1")).status, 200)
      assert.strictEqual((yield* streamed("req_2")).status, 429)
    })).pipe(Effect.provide(holding(Effect.void))))
})
