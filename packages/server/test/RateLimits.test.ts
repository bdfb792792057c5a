/**
 * The gateway's own rate limits through the real server: refused before any upstream call, with a
 * 429 in the client's dialect that says it is the gateway's (`rate_limit_exceeded`, code
 * `rate_limited`) and when to retry.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import { Fault, OpenAiChatWire } from "@switchyard/testing"
import { postChat, servePair } from "./harness.ts"

const script = { text: ["hello", " there"], usage: { inputTokens: 10, outputTokens: 4 } }

const postMessages = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "smart", max_tokens: 50, messages: [{ role: "user", content: "hi" }] })
    })
    return { status: response.status, headers: response.headers, json: await response.json() as any }
  })

describe("rate limits through the server", () => {
  it.live("exactly N of N+k concurrent requests pass an alias's rpm of N; the upstream sees only those", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({
        models: { smart: { routes: [{ provider: "primary", model: "big" }], rpm: 4 } }
      })
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script))
      const results = yield* Effect.forEach(Array.from({ length: 10 }), () => postChat(url), { concurrency: "unbounded" })
      assert.strictEqual(results.filter((r) => r.status === 200).length, 4)
      const refused = results.filter((r) => r.status === 429)
      assert.lengthOf(refused, 6)
      assert.lengthOf(yield* primary.requests, 4)
      const body = JSON.parse(refused[0]!.text)
      assert.strictEqual(body.error.type, "rate_limit_exceeded")
      assert.strictEqual(body.error.code, "rate_limited")
      assert.strictEqual(body.error.provider, null)
      const retryAfter = Number(refused[0]!.headers.get("retry-after"))
      assert.isAtLeast(retryAfter, 1)
      assert.isAtMost(retryAfter, 60)
    }))

  it.live("an upstream 429 stays distinguishable: type rate_limited with its provider", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({ models: { smart: { routes: [{ provider: "primary", model: "big" }] } } })
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 30 }))
      const r = yield* postChat(url, {}, { "x-switchyard-deadline-ms": "300" })
      assert.strictEqual(r.status, 429)
      const error = JSON.parse(r.text).error
      assert.strictEqual(error.type, "rate_limited")
      assert.strictEqual(error.provider, "primary")
    }))

  it.live("on /v1/messages the refusal is Anthropic's rate_limit_error, with Retry-After", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({
        keys: [{ id: "k1", key: Redacted.make("sk-client-k1-000000"), rpm: 1 }],
        models: { smart: { routes: [{ provider: "primary", model: "big" }] } }
      })
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script))
      const auth = { "x-api-key": "sk-client-k1-000000" }
      assert.strictEqual((yield* postMessages(url, auth)).status, 200)
      const refused = yield* postMessages(url, auth)
      assert.strictEqual(refused.status, 429)
      assert.strictEqual(refused.json.type, "error")
      assert.strictEqual(refused.json.error.type, "rate_limit_error")
      assert.strictEqual(refused.json.error.category, "rate_limit_exceeded")
      assert.match(refused.json.error.message, /Key "k1" allows 1 requests per minute/)
      assert.isAtLeast(Number(refused.headers.get("retry-after")), 1)
      assert.lengthOf(yield* primary.requests, 1)
    }))

  it.live("tpm: a reservation that does not fit is refused while another is held; settled usage frees room", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({
        keys: [{ id: "k1", key: Redacted.make("sk-client-k1-000000"), tpm: 1000 }],
        models: { smart: { routes: [{ provider: "primary", model: "big" }] } }
      })
      const auth = { authorization: "Bearer sk-client-k1-000000" }
      // The first answer is slow: its reservation (input + 900) is held meanwhile.
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.json(script).pipe(Fault.latency("400 millis")))
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script))
      const slow = yield* Effect.forkChild(postChat(url, { max_tokens: 900 }, auth))
      yield* primary.awaitRequests(1)
      const refused = yield* postChat(url, { max_tokens: 900 }, auth)
      assert.strictEqual(refused.status, 429)
      assert.match(JSON.parse(refused.text).error.message, /allows 1000 tokens per minute/)
      // A request whose estimate does fit beside the reservation passes.
      assert.strictEqual((yield* postChat(url, { max_tokens: 20 }, auth)).status, 200)
      assert.strictEqual((yield* Fiber.join(slow)).status, 200)
      // Settled to 14 tokens, the first leaves room for another 900.
      assert.strictEqual((yield* postChat(url, { max_tokens: 900 }, auth)).status, 200)
      // A request larger than the whole limit can never pass: no Retry-After.
      const never = yield* postChat(url, { max_tokens: 5000 }, auth)
      assert.strictEqual(never.status, 429)
      assert.isNull(never.headers.get("retry-after"))
      assert.lengthOf(yield* primary.requests, 3)
    }))
})
