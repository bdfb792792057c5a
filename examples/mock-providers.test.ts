/**
 * Testing code that uses the gateway without any network: providers are swapped for mock layers,
 * and time is the test clock. Also checks that the example config in this folder is valid.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import { NodeServices } from "@effect/platform-node"
import { Accounting, Gateway, GatewayConfig, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"
import { MockProvider } from "@switchyard/testing"

const config: GatewayConfig.GatewayConfig = {
  providers: { primary: { kind: "demo" }, backup: { kind: "demo" } },
  ledger: { kind: "memory" },
  routing: { on: { rate_limited: "failover" } },
  models: { smart: { routes: [{ provider: "primary", model: "big" }, { provider: "backup", model: "small" }] } }
}

describe("swapping providers for mocks", () => {
  it.effect("fails over from a rate-limited primary to the backup", () =>
    Effect.gen(function*() {
      const primary = yield* MockProvider.make("primary", [[MockProvider.fail("rate_limited")]])
      const backup = yield* MockProvider.make("backup", [MockProvider.answer({ text: ["Hel", "lo"] })])
      const answer = yield* Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        return yield* gateway.complete({ model: "smart", messages: [{ role: "user", content: "hi" }] })
      }).pipe(
        Effect.provide(Gateway.layer(config).pipe(
          Layer.provide(ProviderRegistry.fromProviders([primary, backup])),
          Layer.provide(Accounting.layer(config, ".")),
          Layer.provide(RoutingConfig.layer(config.routing))
        ))
      )
      assert.strictEqual(answer.response.choices[0]?.content, "Hello")
      assert.deepStrictEqual(answer.attempts.map((a) => [a.route.provider, a.outcome]), [["primary", "rate_limited"], ["backup", "ok"]])
    }))

  it.effect("the example config decodes", () =>
    Effect.gen(function*() {
      const path = fileURLToPath(new URL("./switchyard.yaml", import.meta.url))
      const loaded = yield* GatewayConfig.load(path, { OPENAI_API_KEY: "sk-x", ANTHROPIC_API_KEY: "sk-y", GEMINI_API_KEY: "g" })
      assert.deepStrictEqual(Object.keys(loaded.models ?? {}), ["smart", "cheap"])
      assert.strictEqual(loaded.keys?.[0]?.id, "web-app")
    }).pipe(Effect.provide(NodeServices.layer)))
})
