/**
 * The two-instances recipe: two gateways serve the same config with `state: redis` (the local Redis,
 * a prefix of this run's own) over mock upstreams. A breaker opened through A is open on B, a key's
 * rate limit counts the requests of both, and a budget the spend of both.
 */
import { NodeHttpClient, NodeRedis } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { randomUUID } from "node:crypto"
import { AnthropicWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { ask } from "./client.ts"

const redisUrl = process.env["SWITCHYARD_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"
const keys = { app: "sk-app-0123456789", web: "sk-web-0123456789", batch: "sk-batch-0123456789" }

/** A key prefix of this run's own, its keys deleted at the end. */
const runPrefix = Effect.gen(function*() {
  const prefix = `switchyard-test:${randomUUID()}:`
  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      const redis = Context.get(yield* Layer.build(NodeRedis.layer({ url: redisUrl })), Redis.Redis)
      const held = yield* redis.send<ReadonlyArray<string>>("KEYS", `${prefix}*`)
      if (held.length > 0) yield* redis.send("DEL", ...held)
    }).pipe(Effect.scoped, Effect.orDie)
  )
  return prefix
})

/** Whether an instance's `GET /healthz` says `"state": "redis"` within 5 seconds (it connects in the background). */
const onRedis = (instance: string) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < 5000; waited += 100) {
      const health = yield* Effect.promise(() => fetch(`${instance}/healthz`).then((r) => r.json() as Promise<{ state: string }>))
      if (health.state === "redis") return true
      yield* Effect.sleep("100 millis")
    }
    return false
  })

describe("cookbook: two instances with Redis", () => {
  it.live("share breakers, rate limits and budgets", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(500))
      // 500 tokens in, 1,500 out: $0.008 at claude-haiku-4-5's price ($1 and $5 per million).
      yield* anthropic.setDefault(
        AnthropicWire.route,
        AnthropicWire.answer({ text: ["Done."], usage: { inputTokens: 500, outputTokens: 1500 } })
      )
      const env = {
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
        APP_KEY: keys.app,
        WEB_KEY: keys.web,
        BATCH_KEY: keys.batch,
        REDIS_URL: redisUrl,
        STATE_PREFIX: yield* runPrefix
      }
      const config = beside(import.meta.url, "switchyard.yaml")
      const a = yield* serveFile(config, env)
      const b = yield* serveFile(config, env)
      // Each instance says where its state is served from; both must be on Redis (not `local`).
      for (const instance of [a, b]) assert.isTrue(yield* onRedis(instance), `${instance} serves its state from Redis`)
      const on = (instance: string, key: string) => Effect.promise(() => ask(instance, key, "Summarize this ticket."))

      // The breaker: two failures through A open OpenAI's; B then skips it.
      const throughA = [yield* on(a, keys.app), yield* on(a, keys.app)]
      assert.deepStrictEqual(throughA.map((r) => r.attempts), [
        "openai/gpt-5-mini:primary=server_error, anthropic/claude-haiku-4-5:fallback=ok",
        "openai/gpt-5-mini:primary=server_error, anthropic/claude-haiku-4-5:fallback=ok"
      ])
      const throughB = yield* on(b, keys.app)
      assert.deepStrictEqual([throughB.answer, throughB.attempts], ["Done.", "anthropic/claude-haiku-4-5:primary=ok"])
      assert.lengthOf(yield* openai.requests, 2)

      // The rate limit: `web` may send 3 requests a minute, whichever instance they reach.
      const web = [yield* on(a, keys.web), yield* on(b, keys.web), yield* on(a, keys.web), yield* on(b, keys.web)]
      assert.deepStrictEqual(web.map((r) => r.status), [200, 200, 200, 429])
      assert.strictEqual(web[3]!.error, "rate_limited")
      assert.isTrue(Number(web[3]!.retryAfter) > 50, "until the first request leaves the minute")

      // The budget: $0.02 a day for `batch`, spent through both.
      const batch = [yield* on(a, keys.batch), yield* on(b, keys.batch), yield* on(a, keys.batch)]
      assert.deepStrictEqual(batch.map((r) => r.status), [200, 200, 429])
      assert.strictEqual(batch[2]!.error, "budget_exceeded")
      assert.lengthOf(yield* anthropic.requests, 3 + 3 + 2, "refused requests never reached a provider")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
