import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { type ChatRequest, type Provider, ProviderError, StreamAccumulator, type StreamEvent } from "@switchyard/core"
import { Accounting, Demo, Gateway, GatewayConfig, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"

const request = (model: string): ChatRequest.ChatRequest => ({ model, messages: [{ role: "user", content: "ping" }] })

/** A provider that fails with `error`, or answers like the demo; records the models it was asked for. */
const provider = (name: string, error?: ProviderError.ProviderError) => {
  const asked: Array<string> = []
  const demo = Demo.make(name)
  const shape: Provider.ProviderShape = {
    name,
    complete: (req) => Effect.suspend(() => {
      asked.push(req.model)
      return error === undefined ? demo.complete(req) : Effect.fail(error)
    }),
    stream: (req) => Stream.suspend(() => {
      asked.push(req.model)
      return error === undefined ? demo.stream(req) : Stream.fail(error)
    })
  }
  return { shape, asked }
}

// Without retries, a retryable failure moves straight on to the next route (retries and their
// backoff are the router's own tests).
const config = (aliases: GatewayConfig.GatewayConfig["models"], names: ReadonlyArray<string>): GatewayConfig.GatewayConfig => ({
  providers: Object.fromEntries(names.map((n) => [n, { kind: "demo" as const }])),
  routing: { retries: { max: 0 } },
  ...(aliases === undefined ? {} : { models: aliases })
})

const gatewayWith = (providers: ReadonlyArray<Provider.ProviderShape>, aliases?: GatewayConfig.GatewayConfig["models"]) =>
  Gateway.layer(config(aliases, providers.map((p) => p.name))).pipe(
    Layer.provide(ProviderRegistry.fromProviders(providers)),
    Layer.provide(Accounting.layer({ providers: {}, ledger: { kind: "memory" } }, ".")),
    Layer.provide(RoutingConfig.layer({ retries: { max: 0 } }))
  )

const rateLimited = new ProviderError.RateLimited({ provider: "a", message: "slow down", status: 429 })

describe("Gateway", () => {
  it.effect("resolves aliases, provider/model and the only provider", () =>
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      assert.deepStrictEqual(yield* gateway.resolve("fast"), [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }])
      assert.deepStrictEqual(yield* gateway.resolve("b/some-model"), [{ provider: "b", model: "some-model" }])
      const unknown = yield* gateway.resolve("nope").pipe(Effect.flip)
      assert.strictEqual(unknown._tag, "UnknownModel")
      assert.include(unknown.message, "fast")
    }).pipe(Effect.provide(gatewayWith([provider("a").shape, provider("b").shape], {
      fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] }
    }))))

  it.effect("fails over on a retryable error and lists every attempt", () => {
    const a = provider("a", rateLimited)
    const b = provider("b")
    return Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const answer = yield* gateway.complete(request("fast"))
      assert.deepStrictEqual(answer.route, { provider: "b", model: "m2" })
      assert.deepStrictEqual(answer.attempts.map((x) => x.outcome), ["rate_limited", "ok"])
      assert.deepStrictEqual(a.asked, ["m1"])
      assert.deepStrictEqual(b.asked, ["m2"])
    }).pipe(Effect.provide(gatewayWith([a.shape, b.shape], {
      fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] }
    })))
  })

  it.effect("stops at a bad request instead of failing over", () => {
    const bad = new ProviderError.BadRequest({ provider: "a", message: "bad tool schema", status: 400 })
    const a = provider("a", bad)
    const b = provider("b")
    return Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const error = yield* gateway.complete(request("fast")).pipe(Effect.flip)
      assert.strictEqual(error._tag, "RoutesExhausted")
      if (error._tag === "RoutesExhausted") assert.strictEqual(error.last.category, "bad_request")
      assert.deepStrictEqual(b.asked, [])
    }).pipe(Effect.provide(gatewayWith([a.shape, b.shape], {
      fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] }
    })))
  })

  it.effect("reports all attempts when every route fails", () => {
    const a = provider("a", rateLimited)
    const b = provider("b", new ProviderError.Overloaded({ provider: "b", message: "busy", status: 529 }))
    return Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const error = yield* gateway.complete(request("fast")).pipe(Effect.flip)
      assert.strictEqual(error._tag, "RoutesExhausted")
      if (error._tag !== "RoutesExhausted") return
      assert.deepStrictEqual(error.attempts.map((x) => [x.route.provider, x.outcome, x.status]), [
        ["a", "rate_limited", 429],
        ["b", "overloaded", 529]
      ])
      assert.include(error.message, "All 2 attempts failed")
    }).pipe(Effect.provide(gatewayWith([a.shape, b.shape], {
      fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] }
    })))
  })

  it.effect("fails a stream over before its first content, then commits", () => {
    const a = provider("a", rateLimited)
    const b = provider("b")
    return Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const answer = yield* gateway.stream({ ...request("fast"), stream: true })
      const events: Array<StreamEvent.StreamEvent> = [...yield* Stream.runCollect(answer.events)]
      assert.strictEqual(answer.route.provider, "b")
      const response = StreamAccumulator.assemble(events)
      assert.include(response.choices[0]?.content ?? "", "You said: \"ping\"")
      assert.strictEqual(response.choices[0]?.finishReason, "stop")
    }).pipe(Effect.provide(gatewayWith([a.shape, b.shape], {
      fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] }
    })))
  })

  it.effect("treats a stream that ends before any content as a failed attempt", () => {
    const empty: Provider.ProviderShape = {
      name: "a",
      complete: () => Effect.die("unused"),
      stream: () => Stream.make({ _tag: "ResponseStart", id: "x", model: "m1", created: 0 } as const)
    }
    const b = provider("b")
    return Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const answer = yield* gateway.stream(request("fast"))
      assert.strictEqual(answer.route.provider, "b")
      assert.deepStrictEqual(answer.attempts.map((x) => x.outcome), ["stream_interrupted", "ok"])
    }).pipe(Effect.provide(gatewayWith([empty, b.shape], {
      fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] }
    })))
  })

  it.effect("estimates a request's input without asking a provider or recording anything", () => {
    const a = provider("a")
    return Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const long = { model: "a/m1", messages: [{ role: "user" as const, content: "ping ".repeat(200) }] }
      const short = yield* gateway.estimateInput(request("a/m1"))
      const estimated = yield* gateway.estimateInput(long)
      assert.strictEqual(estimated.source, "estimated")
      assert.isAbove(estimated.inputTokens, short.inputTokens + 150)
      assert.deepStrictEqual(a.asked, [])
    }).pipe(Effect.provide(gatewayWith([a.shape])))
  })

  it("holds a json_schema response format as a contract, and nothing else", () => {
    const schema = { type: "object", properties: { severity: { enum: ["low", "high"] } }, required: ["severity"] }
    const contract = Gateway.formatContract({
      ...request("m"),
      response_format: { type: "json_schema", json_schema: { name: "review", schema } }
    })
    assert.strictEqual(contract?.name, "review")
    assert.deepStrictEqual(contract?.validate({ severity: "low" }), [])
    assert.lengthOf(contract?.validate({ severity: "urgent" }) ?? [], 1)
    assert.isUndefined(Gateway.formatContract({ ...request("m"), response_format: { type: "json_object" } }))
    assert.isUndefined(Gateway.formatContract(request("m")))
  })
})
