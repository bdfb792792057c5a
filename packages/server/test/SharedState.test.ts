/**
 * The gateway with `state: { kind: redis }` through the real server: `GET /healthz` says where the
 * shared state is served from, and requests are answered whether Redis is there or not.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as Testing from "@switchyard/state-redis/Testing"
import type { GatewayConfig } from "@switchyard/gateway"
import { serveConfig } from "./harness.ts"

const redisUrl = process.env["SWITCHYARD_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

const config = (state?: GatewayConfig.GatewayConfig["state"]): GatewayConfig.GatewayConfig => ({
  providers: { demo: { kind: "demo" } },
  budgets: [{ model: "fast", limit_usd: 1, window: "daily" }],
  models: { fast: { routes: [{ provider: "demo", model: "m" }] } },
  ...(state === undefined ? {} : { state })
})

const health = (url: string) =>
  Effect.promise(() => fetch(`${url}/healthz`).then((r) => r.json() as Promise<{ status: string; state: string }>))

const answer = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fast", messages: [{ role: "user", content: "hi" }] })
    }).then((r) => r.status)
  )

describe("shared state through the server", () => {
  it.live("no state section: the health check says memory", () =>
    Effect.gen(function*() {
      const url = yield* serveConfig(config())
      assert.deepStrictEqual(yield* health(url), { status: "ok", state: "memory" })
      assert.strictEqual(yield* answer(url), 200)
    }))

  it.live("state redis: the health check says redis, and requests are answered", () =>
    Effect.gen(function*() {
      const prefix = yield* Testing.testPrefix(redisUrl)
      const url = yield* serveConfig(config({ kind: "redis", url: Redacted.make(redisUrl), prefix }))
      assert.deepStrictEqual(yield* health(url), { status: "ok", state: "redis" })
      assert.strictEqual(yield* answer(url), 200)
      assert.isAbove((yield* Testing.keysUnder(redisUrl, prefix)).length, 0, "the request's budget hold is in Redis")
    }))

  it.live("state redis with Redis unreachable: the gateway starts, says local, and answers", () =>
    Effect.gen(function*() {
      const url = yield* serveConfig(config({ kind: "redis", url: Redacted.make("redis://127.0.0.1:1") }))
      assert.deepStrictEqual(yield* health(url), { status: "ok", state: "local" })
      assert.strictEqual(yield* answer(url), 200)
    }))
})
