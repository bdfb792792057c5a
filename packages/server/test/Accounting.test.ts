/**
 * Client keys, budgets and `GET /v1/usage` through the real server.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import OpenAI from "openai"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const setup = Effect.gen(function*() {
  const upstream = yield* MockUpstream.make()
  yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["ok"], usage: { inputTokens: 1000, outputTokens: 500 } }))
  const url = yield* serveConfig({
    providers: { openai: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-upstream-0123456789") } },
    keys: [{ id: "team-a", key: Redacted.make("sk-team-a-0123456789") }, { id: "ops", key: Redacted.make("sk-ops-0123456789"), admin: true }],
    // gpt-4.1: $2 / $8 per million tokens in the bundled dataset.
    budgets: [{ key: "team-a", limit_usd: 0.05, window: "daily" }]
  })
  return { upstream, url }
})

const client = (url: string, apiKey: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 })

const failure = (promise: Promise<unknown>) => Effect.promise(() => promise.then(() => undefined, (e: unknown) => e))

describe("client keys, budgets and usage", () => {
  it.live("refuses a request without a known key", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup
      const error = yield* failure(client(url, "sk-wrong-0123456789").chat.completions.create({ model: "openai/gpt-4.1", messages: [{ role: "user", content: "hi" }] }))
      assert.instanceOf(error, OpenAI.AuthenticationError)
      assert.lengthOf(yield* upstream.exchanges, 0)
    }))

  it.live("refuses a request over the key's budget before calling the provider, with 429 budget_exceeded", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup
      // Up to 10,000 output tokens × $8/M = $0.08 > $0.05.
      const error = yield* failure(client(url, "sk-team-a-0123456789").chat.completions.create({
        model: "openai/gpt-4.1",
        max_tokens: 10_000,
        messages: [{ role: "user", content: "hi" }]
      }))
      assert.instanceOf(error, OpenAI.RateLimitError)
      const refused = error as InstanceType<typeof OpenAI.RateLimitError>
      const body = refused.error as { type: string; retryable: boolean }
      assert.strictEqual(body.type, "budget_exceeded")
      assert.strictEqual(body.retryable, false)
      // A daily window: Retry-After is the time left until the next UTC midnight.
      const untilMidnight = (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000
      const retryAfter = Number(refused.headers?.get("retry-after"))
      assert.isAtMost(Math.abs(retryAfter - untilMidnight), 5)
      assert.lengthOf(yield* upstream.exchanges, 0)
    }))

  it.live("reports spend by key and provider on GET /v1/usage, to admin keys only", () =>
    Effect.gen(function*() {
      const { url } = yield* setup
      yield* Effect.promise(() =>
        client(url, "sk-team-a-0123456789").chat.completions.create({ model: "openai/gpt-4.1", max_tokens: 100, messages: [{ role: "user", content: "hi" }] })
      )
      const forbidden = yield* Effect.promise(() => fetch(`${url}/v1/usage`, { headers: { authorization: "Bearer sk-team-a-0123456789" } }))
      assert.strictEqual(forbidden.status, 403)
      const response = yield* Effect.promise(() =>
        fetch(`${url}/v1/usage?group_by=key,provider`, { headers: { authorization: "Bearer sk-ops-0123456789" } }).then((r) => r.json() as Promise<any>)
      )
      // 1,000 × $2/M + 500 × $8/M = $0.006
      assert.closeTo(response.totals.cost_usd, 0.006, 1e-9)
      assert.strictEqual(response.totals.requests, 1)
      assert.deepStrictEqual(response.data.map((r: any) => [r.key, r.provider, r.attempts]), [["team-a", "openai", 1]])
      const bad = yield* Effect.promise(() =>
        fetch(`${url}/v1/usage?group_by=color`, { headers: { authorization: "Bearer sk-ops-0123456789" } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }))
      )
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.body.error.param, "group_by")
    }))
})
