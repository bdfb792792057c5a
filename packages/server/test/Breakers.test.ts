/**
 * A rate-limited route is busy, not down: it cools down for its `Retry-After` without counting
 * towards opening its breaker, other requests skip it meanwhile, and when no route is usable the
 * client hears why (a 429 stays a 429) and for how long (`Retry-After`), with the skipped routes
 * listed, so each SDK raises its own retryable error. Server faults still open the breaker.
 */
import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

/** One route, or two, on mock upstreams: the first answers `first`, the second (if any) answers. */
const setup = (first: ReturnType<typeof OpenAiChatWire.error>, withBackup = false) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    const backup = yield* MockUpstream.make()
    yield* upstream.setDefault(OpenAiChatWire.route, first)
    yield* backup.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["from backup"], usage: { inputTokens: 3, outputTokens: 2 } }))
    const url = yield* serveConfig({
      providers: {
        busy: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-busy-0123456789") },
        backup: { kind: "openai", base_url: `${backup.url}/v1`, api_key: Redacted.make("sk-backup-0123456789") }
      },
      models: {
        only: { routes: [{ provider: "busy", model: "m" }, ...(withBackup ? [{ provider: "backup", model: "b" }] : [])] }
      },
      routing: { deadline_ms: 5_000, retries: { max: 0 }, breaker: { consecutive_failures: 2, cooldown_ms: 20_000 } }
    })
    return { upstream, backup, url }
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

describe("routes that cannot be used now", () => {
  it.live("a rate-limited route cools down for its Retry-After: the next request is a 429 with what is left of it, and no call", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup(OpenAiChatWire.error(429, { retryAfter: 20 }))
      const first = yield* chat(url)
      assert.strictEqual(first.status, 429)
      const cooled = yield* chat(url)
      assert.lengthOf(yield* upstream.requests, 1, "no call while the route cools down")
      assert.strictEqual(cooled.status, 429)
      assert.strictEqual(cooled.body.error.type, "rate_limited")
      const retryAfter = Number(cooled.headers.get("retry-after"))
      assert.isAtLeast(retryAfter, 18)
      assert.isAtMost(retryAfter, 20)
      assert.strictEqual(cooled.headers.get("x-switchyard-attempts"), "busy/m:primary=cooling_down")
      assert.deepStrictEqual(cooled.body.error.attempts.map((a: { outcome: string }) => a.outcome), ["cooling_down"])
      assert.include(cooled.body.error.message, "busy/m is cooling down after a rate limit")
    }))

  it.live("rate limits never open the breaker; meanwhile other requests go to the next route", () =>
    Effect.gen(function*() {
      const { backup, upstream, url } = yield* setup(OpenAiChatWire.error(429, { retryAfter: 20 }), true)
      const first = yield* chat(url)
      assert.strictEqual(first.status, 200)
      assert.strictEqual(first.headers.get("x-switchyard-attempts"), "busy/m:primary=rate_limited, backup/b:fallback=ok")
      const second = yield* chat(url)
      assert.strictEqual(second.body.choices[0].message.content, "from backup")
      assert.strictEqual(second.headers.get("x-switchyard-attempts"), "busy/m:primary=cooling_down, backup/b:fallback=ok")
      assert.lengthOf(yield* upstream.requests, 1)
      assert.lengthOf(yield* backup.requests, 2)
    }))

  it.live("server faults do open the breaker: then a 503 with Retry-After until the probe, the route listed as circuit_open", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup(OpenAiChatWire.error(503))
      yield* chat(url)
      yield* chat(url)
      const open = yield* chat(url)
      assert.lengthOf(yield* upstream.requests, 2)
      assert.strictEqual(open.status, 503)
      assert.strictEqual(open.body.error.type, "overloaded")
      assert.isAtLeast(Number(open.headers.get("retry-after")), 15)
      assert.strictEqual(open.headers.get("x-switchyard-attempts"), "busy/m:primary=circuit_open")
    }))

  it.live("Anthropic's SDK raises its RateLimitError for a cooling route, with retry-after", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(OpenAiChatWire.error(429, { retryAfter: 20 }))
      const client = new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0 })
      const ask = Effect.promise(() =>
        client.messages.create({ model: "only", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
          .then(() => undefined, (e: unknown) => e)
      )
      yield* ask
      const error = yield* ask
      assert.instanceOf(error, Anthropic.RateLimitError)
      assert.isNotNull((error as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after"))
    }))
})
