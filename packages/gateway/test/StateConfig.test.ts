/**
 * `state: { kind: redis }` from a config file: the router's breakers, the budgets and the rate
 * limits of two gateway instances built from it are one (the real Redis at 127.0.0.1:6379); without it they are apart.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import * as Testing from "@switchyard/state-redis/Testing"
import { Budgets, RateLimits } from "@switchyard/cost"
import { RouteHealth } from "@switchyard/routing"
import { Accounting, GatewayConfig, RoutingConfig } from "@switchyard/gateway"

const url = process.env["SWITCHYARD_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

const configText = (state: string) => `
providers: { demo: { kind: demo } }
ledger: { kind: memory }
routing: { breaker: { consecutive_failures: 2 } }
budgets:
  - { model: smart, limit_usd: 1, window: daily }
rate_limits: { key: { rpm: 1 } }
${state}
`

/** One gateway instance's routing and cost services for `config`, built in the test's scope. */
const instance = (config: GatewayConfig.GatewayConfig) =>
  Layer.build(Layer.mergeAll(RoutingConfig.layer(config.routing, config.state), Accounting.layer(config, ".")))

/** A prefix of the test's own, its keys deleted at the end. */
const testPrefix = Testing.testPrefix(url)

const subject = { apiKeyId: null, modelAlias: "smart" }
const keyed = { apiKeyId: "k1", modelAlias: "smart" }

const openOn = (health: RouteHealth.RouteHealthShape) =>
  Effect.repeat(Effect.flatMap(health.admit("demo/m"), (admission) => health.record("demo/m", admission, "failure")), { times: 1 })

describe("state config", () => {
  it.live("state: redis loads, and two instances built from it share breakers, budgets and rate limits", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const config = yield* GatewayConfig.parse(
        configText(`state: { kind: redis, url: "\${REDIS_URL}", prefix: "${prefix}", timeout_ms: 500 }`),
        "switchyard.yaml",
        { REDIS_URL: url }
      )
      assert.strictEqual(config.state?.kind, "redis")
      const a = yield* instance(config)
      const b = yield* instance(config)
      yield* openOn(Context.get(a, RouteHealth.RouteHealth))
      assert.strictEqual(yield* Context.get(b, RouteHealth.RouteHealth).status("demo/m"), "open")
      yield* Context.get(a, Budgets.Budgets).reserve(subject, 0.75)
      const refused = yield* Effect.flip(Context.get(b, Budgets.Budgets).reserve(subject, 0.5))
      assert.strictEqual(refused.spent, 0.75)
      yield* Context.get(a, RateLimits.RateLimits).acquire(keyed, Effect.succeed(0))
      const limited = yield* Effect.flip(Context.get(b, RateLimits.RateLimits).acquire(keyed, Effect.succeed(0)))
      assert.deepInclude(limited, { scope: "key", name: "k1", used: 1 })
    }))

  it.live("without state (memory), two instances are apart", () =>
    Effect.gen(function*() {
      const config = yield* GatewayConfig.parse(configText(""), "switchyard.yaml", {})
      const a = yield* instance(config)
      const b = yield* instance(config)
      yield* openOn(Context.get(a, RouteHealth.RouteHealth))
      assert.strictEqual(yield* Context.get(b, RouteHealth.RouteHealth).status("demo/m"), "closed")
      yield* Context.get(a, Budgets.Budgets).reserve(subject, 0.75)
      const reservation = yield* Context.get(b, Budgets.Budgets).reserve(subject, 0.5)
      assert.strictEqual(reservation.amount, 0.5)
      yield* Context.get(a, RateLimits.RateLimits).acquire(keyed, Effect.succeed(0))
      yield* Context.get(b, RateLimits.RateLimits).acquire(keyed, Effect.succeed(0))
    }))

  it.effect("a Redis URL's password is a secret; a URL that is not redis:// is refused", () =>
    Effect.gen(function*() {
      const config = yield* GatewayConfig.parse(
        configText(`state: { kind: redis, url: "redis://gateway:s3cret-pass@redis.internal:6379/0" }`),
        "switchyard.yaml",
        {}
      )
      assert.include(GatewayConfig.secrets(config).map(Redacted.value), "s3cret-pass")
      const error = yield* Effect.flip(GatewayConfig.parse(configText(`state: { kind: redis, url: "http://x" }`), "switchyard.yaml", {}))
      assert.isTrue(error.problems.some((problem) => problem.path.startsWith("state")))
    }))
})
