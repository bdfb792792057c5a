/**
 * Every attempt the gateway makes lands in the cost ledger, priced, and budgets hold money before a
 * provider is called.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { type ChatRequest, type Provider, ProviderError, type StreamEvent, Usage } from "@switchyard/core"
import { Budgets, CostLedger, Estimate } from "@switchyard/cost"
import { Accounting, Gateway, type GatewayConfig, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"

// $2 per million input tokens, $8 per million output tokens, on both routes.
const config: GatewayConfig.GatewayConfig = {
  providers: { a: { kind: "demo" }, b: { kind: "demo" } },
  ledger: { kind: "memory" },
  pricing: { prices: { "a/m1": { input: 2, output: 8 }, "b/m2": { input: 2, output: 8 } } },
  budgets: [{ model: "fast", limit_usd: 0.05, window: "daily" }],
  routing: { retries: { max: 0 } },
  models: { fast: { routes: [{ provider: "a", model: "m1" }, { provider: "b", model: "m2" }] } }
}

const usage = Usage.make({ inputTokens: 1000, outputTokens: 500 })
// 1,000 × $2/M + 500 × $8/M = $0.002 + $0.004
const answerCost = 0.006

const events = (text: ReadonlyArray<string>, withUsage: boolean): ReadonlyArray<StreamEvent.StreamEvent> => [
  { _tag: "ResponseStart", id: "r", model: "m", created: 0 },
  ...text.map((t) => ({ _tag: "TextDelta", choice: 0, text: t }) as const),
  { _tag: "Finish", choice: 0, reason: "stop", raw: "stop" },
  ...(withUsage ? [{ _tag: "UsageReport", usage } as const] : [])
]

/** A provider that answers with usage, fails, hangs, or cuts its stream after some text. */
const provider = (name: string, behaviour: "answer" | "rate_limited" | "hang" | "cut"): Provider.ProviderShape => ({
  name,
  complete: () => {
    switch (behaviour) {
      case "answer":
        return Effect.succeed({
          id: "r",
          model: "m",
          created: 0,
          choices: [{ index: 0, content: "hello", toolCalls: [], finishReason: "stop", rawFinishReason: "stop" }],
          usage
        })
      case "rate_limited":
        return Effect.fail(new ProviderError.RateLimited({ provider: name, message: "slow down", status: 429 }))
      default:
        return Effect.never
    }
  },
  stream: () => {
    switch (behaviour) {
      case "answer":
        return Stream.fromIterable(events(["hel", "lo"], true))
      case "cut":
        return Stream.fromIterable(events(["partial answer that was cut"], false).slice(0, 2)).pipe(
          Stream.concat(Stream.fail(new ProviderError.StreamInterrupted({ provider: name, message: "socket closed" })))
        )
      case "rate_limited":
        return Stream.fail(new ProviderError.RateLimited({ provider: name, message: "slow down", status: 429 }))
      case "hang":
        return Stream.never
    }
  }
})

const gatewayWith = (a: Provider.ProviderShape, b: Provider.ProviderShape) =>
  Gateway.layer(config).pipe(
    Layer.provideMerge(ProviderRegistry.fromProviders([a, b])),
    Layer.provideMerge(Accounting.layer(config, ".")),
    Layer.provide(RoutingConfig.layer(config.routing))
  )

const request: ChatRequest.ChatRequest = { model: "fast", messages: [{ role: "user", content: "Say hello" }], max_tokens: 100 }

const ledgerRows = Effect.gen(function*() {
  const ledger = yield* CostLedger.CostLedger
  return yield* ledger.entries({ from: 0, to: Number.MAX_SAFE_INTEGER })
})

describe("Gateway accounting", () => {
  it.effect("records an answered request with the provider's usage and its price", () =>
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      yield* gateway.complete(request, { requestId: "req_1", apiKeyId: "team-a" })
      const [row, ...rest] = yield* ledgerRows
      assert.strictEqual(rest.length, 0)
      assert.strictEqual(row!.requestId, "req_1")
      assert.strictEqual(row!.apiKeyId, "team-a")
      assert.strictEqual(row!.modelAlias, "fast")
      assert.strictEqual(row!.role, "primary")
      assert.strictEqual(row!.outcome, "ok")
      assert.strictEqual(row!.usage.source, "provider")
      assert.closeTo(row!.cost!, answerCost, 1e-12)
    }).pipe(Effect.provide(gatewayWith(provider("a", "answer"), provider("b", "answer")))))

  it.effect("records a refused attempt at no cost and the fallback that answered", () =>
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      yield* gateway.complete(request, { requestId: "req_2" })
      const rows = yield* ledgerRows
      assert.deepStrictEqual(rows.map((r) => [r.provider, r.role, r.outcome, r.cost]), [
        ["a", "primary", "rate_limited", 0],
        ["b", "fallback", "ok", rows[1]!.cost]
      ])
      assert.closeTo(rows[1]!.cost!, answerCost, 1e-12)
    }).pipe(Effect.provide(gatewayWith(provider("a", "rate_limited"), provider("b", "answer")))))

  it.effect("estimates an attempt that was cut off and marks it so", () =>
    Effect.gen(function*() {
      // The tokenizer's first load is real I/O, which the test clock's jump below would cut short:
      // the budget's estimate before the call must not be what the timeout interrupts.
      yield* Effect.flatMap(Estimate.make(), (estimate) => estimate.input(request))
      const gateway = yield* Gateway.Gateway
      const fiber = yield* Effect.forkChild(gateway.complete(request, { requestId: "req_3" }).pipe(Effect.timeout("5 seconds")))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      const [row] = yield* ledgerRows
      assert.strictEqual(row!.outcome, "cancelled")
      assert.strictEqual(row!.usage.source, "estimated")
      assert.isNotNull(row!.estimateMethod)
      assert.isAbove(row!.usage.inputTokens, 0)
      assert.isAbove(row!.cost!, 0)
    }).pipe(Effect.provide(gatewayWith(provider("a", "hang"), provider("b", "answer")))))

  it.effect("estimates a stream cut after content from what it had streamed", () =>
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const answer = yield* gateway.stream({ ...request, stream: true }, { requestId: "req_4" })
      const error = yield* Stream.runDrain(answer.events).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StreamInterrupted")
      // The cut attempt (the backup's regeneration did not continue it, so it ended there).
      const row = (yield* ledgerRows).find((r) => r.provider === "a")
      assert.strictEqual(row!.outcome, "stream_interrupted")
      assert.strictEqual(row!.usage.source, "estimated")
      assert.isAtLeast(row!.usage.outputTokens, 4)
    }).pipe(Effect.provide(gatewayWith(provider("a", "cut"), provider("b", "answer")))))

  it.effect("refuses a request over budget before calling any provider, and settles to the real cost", () =>
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const budgets = yield* Budgets.Budgets
      // A request that may produce 10,000 tokens could cost 10,000 × $8/M = $0.08 > $0.05: refused.
      const refused = yield* gateway.complete({ ...request, max_tokens: 10_000 }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "BudgetExceeded")
      assert.lengthOf(yield* ledgerRows, 0)
      // A small one reserves its upper bound, then settles to what it cost.
      yield* gateway.complete(request)
      const [status] = yield* budgets.status({ apiKeyId: null, modelAlias: "fast" })
      assert.closeTo(status!.spent, answerCost, 1e-12)
    }).pipe(Effect.provide(gatewayWith(provider("a", "answer"), provider("b", "answer")))))

  it.effect("an answer whose events are never read gives back its rate limit and closes its upstream once released", () =>
    Effect.gen(function*() {
      const closed = yield* Deferred.make<void>()
      // Streams its first event, then waits: the router commits to it and holds it open.
      const holding: Provider.ProviderShape = {
        ...provider("a", "answer"),
        stream: () =>
          Stream.fromIterable(events(["hel"], false).slice(0, 2)).pipe(
            Stream.concat(Stream.never),
            Stream.ensuring(Deferred.succeed(closed, undefined))
          )
      }
      // Room for one request's reservation (its input and `max_tokens`), not two.
      const limited = { ...config, budgets: [], models: { fast: { routes: [{ provider: "a", model: "m1" }], tpm: 150 } } }
      const layer = Gateway.layer(limited).pipe(
        Layer.provideMerge(ProviderRegistry.fromProviders([holding])),
        Layer.provideMerge(Accounting.layer(limited, ".")),
        Layer.provide(RoutingConfig.layer(limited.routing))
      )
      yield* Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        const streamed = { ...request, stream: true }
        const answer = yield* gateway.stream(streamed)
        const refused = yield* gateway.stream(streamed).pipe(Effect.flip)
        assert.strictEqual(refused._tag, "RateLimited")
        assert.isTrue(Option.isNone(yield* Deferred.poll(closed)))
        yield* answer.release
        yield* answer.release
        assert.isTrue(Option.isSome(yield* Deferred.poll(closed)))
        // The room is back: one more request fits, and no more.
        const again = yield* gateway.stream(streamed)
        assert.strictEqual((yield* gateway.stream(streamed).pipe(Effect.flip))._tag, "RateLimited")
        yield* again.release
      }).pipe(Effect.provide(layer))
    }))
})
