import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Accounting, Gateway, type GatewayConfig, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"
import { MockProvider } from "@switchyard/testing"
import * as Summarizer from "./summarizer.ts"

const config: GatewayConfig.GatewayConfig = {
  providers: { openai: { kind: "demo" }, anthropic: { kind: "demo" } },
  models: { summary: { routes: [{ provider: "openai", model: "gpt-5-mini" }, { provider: "anthropic", model: "claude-haiku-4-5" }] } },
  routing: { retries: { max: 0 }, attempt_ms: 2000 },
  ledger: { kind: "memory" }
}

/** The app over the real Gateway, its providers replaced by scripted mocks. */
const appWith = (providers: ReadonlyArray<MockProvider.MockProviderShape>) =>
  Summarizer.layer.pipe(
    Layer.provide(Gateway.layer(config)),
    Layer.provide(ProviderRegistry.fromProviders(providers)),
    Layer.provide(Accounting.layer(config, ".")),
    Layer.provide(RoutingConfig.layer(config.routing))
  )

const summarize = (ticket: string) =>
  Effect.gen(function*() {
    const summarizer = yield* Summarizer.Summarizer
    return yield* summarizer.summarize(ticket)
  })

describe("Summarizer", () => {
  it.effect("uses the second provider when the first is overloaded", () =>
    Effect.gen(function*() {
      const openai = yield* MockProvider.make("openai", [[MockProvider.fail("overloaded")]])
      const anthropic = yield* MockProvider.make("anthropic", [MockProvider.answer({ text: ["Login fails ", "after reset."] })])
      const result = yield* summarize("I reset my password and now I cannot log in.").pipe(Effect.provide(appWith([openai, anthropic])))
      assert.deepStrictEqual(result, { summary: "Login fails after reset.", by: "anthropic" })
      const [call] = yield* anthropic.calls
      assert.strictEqual(call!.request.max_tokens, 200)
    }))

  it.effect("gives up on a silent provider after attempt_ms, on the test clock", () =>
    Effect.gen(function*() {
      const openai = yield* MockProvider.make("openai", [[MockProvider.hang]])
      const anthropic = yield* MockProvider.make("anthropic", [MockProvider.answer({ text: ["Refund requested."] })])
      const fiber = yield* summarize("Please refund order 1234.").pipe(Effect.provide(appWith([openai, anthropic])), Effect.forkChild)
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { summary: "Refund requested.", by: "anthropic" })
      const [silent] = yield* openai.calls
      assert.strictEqual(silent!.outcome, "interrupted")
    }))

  it.effect("files the ticket without a summary when every provider fails", () =>
    Effect.gen(function*() {
      const openai = yield* MockProvider.make("openai", [[MockProvider.fail("server_error")]])
      const anthropic = yield* MockProvider.make("anthropic", [[MockProvider.fail("auth")]])
      const result = yield* summarize("The app crashes on start.").pipe(Effect.provide(appWith([openai, anthropic])))
      assert.deepStrictEqual(result, { summary: "(no summary)", by: "none" })
    }))
})
