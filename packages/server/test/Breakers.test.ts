/**
 * When every route's breaker is open the client still hears why: a route shut by rate limits answers
 * 429 with `Retry-After` (when its breaker lets a probe through) and the skipped routes listed, so the
 * SDKs raise their RateLimitError, in both dialects.
 */
import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const setup = Effect.gen(function*() {
  const upstream = yield* MockUpstream.make()
  yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(429))
  const url = yield* serveConfig({
    providers: { busy: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-busy-0123456789") } },
    models: { only: { routes: [{ provider: "busy", model: "m" }] } },
    routing: { retries: { max: 0 }, breaker: { consecutive_failures: 2, cooldown_ms: 20_000 } }
  })
  return { upstream, url }
})

const chat = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "only", messages: [{ role: "user", content: "hi" }] })
    })
    return { status: response.status, headers: response.headers, body: await response.json() }
  })

describe("every breaker open", () => {
  it.live("a route shut by rate limits answers 429 with Retry-After and lists the skipped route", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup
      const first = yield* chat(url)
      const second = yield* chat(url)
      assert.deepStrictEqual([first.status, second.status], [429, 429])
      const shut = yield* chat(url)
      assert.lengthOf(yield* upstream.requests, 2, "no call while the breaker is open")
      assert.strictEqual(shut.status, 429)
      assert.strictEqual(shut.body.error.type, "rate_limited")
      const retryAfter = Number(shut.headers.get("retry-after"))
      assert.isAtLeast(retryAfter, 15)
      assert.isAtMost(retryAfter, 25)
      assert.deepStrictEqual(shut.body.error.attempts.map((a: { outcome: string }) => a.outcome), ["circuit_open"])
      assert.strictEqual(shut.headers.get("x-switchyard-attempts"), "busy/m:primary=circuit_open")
      assert.include(shut.body.error.message, "busy/m opened after rate limited failures")
    }))

  it.live("Anthropic's SDK raises its RateLimitError", () =>
    Effect.gen(function*() {
      const { url } = yield* setup
      const client = new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0 })
      const ask = Effect.promise(() =>
        client.messages.create({ model: "only", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
          .then(() => undefined, (e: unknown) => e)
      )
      yield* ask
      yield* ask
      const error = yield* ask
      assert.instanceOf(error, Anthropic.RateLimitError)
      assert.isNotNull((error as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after"))
    }))
})
