/**
 * Routing through the real server against fault-injecting upstreams: what the client gets, which
 * attempts each upstream saw and when, and that abandoned attempts had their sockets closed. Delays
 * are scaled down (tens to hundreds of milliseconds); the behaviour is what is tested.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { GatewayConfig } from "@switchyard/gateway"
import { Fault, OpenAiChatWire, Reply } from "@switchyard/testing"
import { content, postChat as post, servePair, streamed } from "./harness.ts"

const script = (text: string) => ({ text: text.split(" ").map((w, i) => (i === 0 ? w : ` ${w}`)), usage: { inputTokens: 10, outputTokens: 4 } })
/** Answers as the request asks: JSON, or a stream. */
const answer = (text: string) => OpenAiChatWire.answer(script(text))
/** A streamed answer, for faults on its timing. */
const streamOf = (text: string) => OpenAiChatWire.stream(script(text), { includeUsage: true })

/** The pair of upstreams behind alias `smart`, with `routing` settings; the backup answers. */
const setup = (
  routing: GatewayConfig.GatewayConfig["routing"],
  extra: Partial<GatewayConfig.GatewayConfig> = {},
  options: { readonly backupPrefill?: boolean } = {}
) =>
  Effect.gen(function*() {
    const pair = yield* servePair({ ...(routing === undefined ? {} : { routing }), ...extra }, options)
    yield* pair.backup.setDefault(OpenAiChatWire.route, answer("from backup"))
    return pair
  })

describe("routing through the server", () => {
  it.live("retries a 429 on the same route after its Retry-After", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ deadline_ms: 5000 })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 1 }), answer("from primary"))
      const r = yield* post(url, {})
      assert.strictEqual(r.status, 200)
      assert.strictEqual(content(r), "from primary")
      const seen = yield* primary.exchanges
      assert.lengthOf(seen, 2)
      assert.isAtLeast(seen[1]!.request.receivedAt - seen[0]!.request.receivedAt, 950)
      assert.strictEqual(r.headers.get("x-switchyard-attempts"), "primary/big:primary=rate_limited, primary/big:retry=ok")
    }))

  it.live("fails over at once when the Retry-After would break the deadline", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ deadline_ms: 2000 })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 30 }))
      const r = yield* post(url, {})
      assert.strictEqual(content(r), "from backup")
      assert.isBelow(r.elapsed, 1500)
      assert.lengthOf(yield* primary.exchanges, 1)
      assert.lengthOf(yield* backup.exchanges, 1)
      assert.strictEqual(r.headers.get("x-switchyard-provider"), "backup")
    }))

  it.live("retries a 500 once, and fails over from a persistent 503, with the model that answered named", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ retries: { max: 1, base_ms: 10, cap_ms: 20 } })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(500), answer("from primary"))
      assert.strictEqual(content(yield* post(url, {})), "from primary")
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(503))
      const r = yield* post(url, {})
      assert.strictEqual(content(r), "from backup")
      assert.strictEqual(JSON.parse(r.text).model, "small")
      assert.strictEqual(r.headers.get("x-switchyard-model"), "small")
      assert.strictEqual(JSON.parse(r.text).usage.prompt_tokens, 10)
    }))

  it.live("fails over when the connection is reset before headers", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ retries: { max: 0 } })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.json(script("never")).pipe(Fault.reset))
      assert.strictEqual(content(yield* post(url, {})), "from backup")
    }))

  it.live("gives up on a route that accepts and never answers, within the first-token timeout, and closes its socket", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ first_token_ms: 300, deadline_ms: 5000 })
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("never").pipe(Fault.hang))
      const r = yield* post(url, { stream: true })
      assert.strictEqual(streamed(r), "from backup")
      assert.isBelow(r.elapsed, 2000)
      const exchange = yield* primary.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }))

  it.live("hedges a slow first token: the backup wins, the primary is aborted, both attempts are in the ledger", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ hedge: { delay_ms: 150 }, hedge_budget: { ratio: 1, burst: 10 } }, {
        keys: [{ id: "ops", key: Redacted.make("sk-ops-0123456789"), admin: true }]
      })
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("slow primary").pipe(Fault.firstChunkDelay("3 seconds")))
      const r = yield* post(url, { stream: true }, { authorization: "Bearer sk-ops-0123456789" })
      assert.strictEqual(streamed(r), "from backup")
      assert.isBelow(r.elapsed, 1500)
      assert.strictEqual(r.headers.get("x-switchyard-attempts"), "primary/big:primary=cancelled, backup/small:hedge=ok")
      const exchange = yield* primary.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
      // The loser cost something too: its row is there, estimated.
      yield* Effect.sleep("100 millis")
      const usage = yield* Effect.promise(() =>
        fetch(`${url}/v1/usage?group_by=provider`, { headers: { authorization: "Bearer sk-ops-0123456789" } }).then((res) => res.json() as Promise<any>)
      )
      assert.deepStrictEqual(usage.data.map((row: any) => [row.provider, row.attempts, row.estimated_attempts]), [
        ["backup", 1, 0],
        ["primary", 1, 1]
      ])
    }))

  it.live("does not hedge when the primary answers before the delay", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ hedge: { delay_ms: 400 }, hedge_budget: { ratio: 1, burst: 10 } })
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("quick primary").pipe(Fault.firstChunkDelay("50 millis")))
      assert.strictEqual(streamed(yield* post(url, { stream: true })), "quick primary")
      assert.lengthOf(yield* backup.exchanges, 0)
    }))

  it.live("ends a stream cut mid-answer with an error event, never as a complete answer", () =>
    Effect.gen(function*() {
      const { url, primary } = yield* setup({})
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.stream({ text: ["one ", "two ", "three ", "four"] }).pipe(Fault.disconnectAfter(3)))
      const r = yield* post(url, { stream: true })
      assert.strictEqual(r.status, 200)
      assert.include(r.text, "\"type\":\"stream_interrupted\"")
      assert.notInclude(r.text, "data: [DONE]")
      assert.notInclude(streamed(r), "four")
    }))

  it.live("moves a context overflow to the configured larger-context route, and stops at a content filter", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ context_fallback: { "primary/big": { provider: "backup", model: "huge" } } })
      yield* primary.enqueue(
        OpenAiChatWire.route,
        Reply.json(
          { error: { message: "This model's maximum context length is 8192 tokens.", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } },
          { status: 400 }
        ),
        Reply.json(
          { error: { message: "Your request was rejected by the safety system.", type: "invalid_request_error", param: null, code: "content_policy_violation" } },
          { status: 400 }
        )
      )
      const overflow = yield* post(url, {})
      assert.strictEqual(content(overflow), "from backup")
      assert.strictEqual(((yield* backup.exchanges)[0]!.request.json as { model: string }).model, "huge")
      const filtered = yield* post(url, {})
      assert.strictEqual(filtered.status, 400)
      assert.strictEqual(JSON.parse(filtered.text).error.type, "content_filter")
      assert.lengthOf(yield* backup.exchanges, 1)
    }))

  it.live("opens the breaker of a failing primary, serves from the backup, and probes it back", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 }, breaker: { consecutive_failures: 2, cooldown_ms: 400 } })
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(503))
      for (let i = 0; i < 4; i++) assert.strictEqual(content(yield* post(url, {})), "from backup")
      // Two failures opened it: the next two requests went straight to the backup.
      assert.lengthOf(yield* primary.exchanges, 2)
      assert.lengthOf(yield* backup.exchanges, 4)
      yield* primary.setDefault(OpenAiChatWire.route, answer("primary is back"))
      yield* Effect.sleep("600 millis")
      assert.strictEqual(content(yield* post(url, {})), "primary is back")
      assert.strictEqual(content(yield* post(url, {})), "primary is back")
      assert.lengthOf(yield* primary.exchanges, 4)
    }))

  it.live("tries the request's own fallback models (the OpenRouter convention), and lists every attempt when all fail", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 } })
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(503))
      yield* backup.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(502))
      const r = yield* post(url, { model: "primary/big", models: ["backup/other"] })
      assert.strictEqual(r.status, 502)
      const error = JSON.parse(r.text).error
      assert.deepStrictEqual(error.attempts.map((a: any) => [a.provider, a.model, a.role, a.outcome, a.status]), [
        ["primary", "big", "primary", "overloaded", 503],
        ["backup", "other", "fallback", "server_error", 502]
      ])
      const bad = yield* post(url, {}, { "x-switchyard-deadline-ms": "soon" })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(JSON.parse(bad.text).error.param, "x-switchyard-deadline-ms")
    }))

  it.live("retries a 429 without Retry-After after a jittered backoff", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ retries: { max: 2, base_ms: 50, cap_ms: 100 } })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429), answer("from primary"))
      const r = yield* post(url, {})
      assert.strictEqual(content(r), "from primary")
      assert.lengthOf(yield* primary.exchanges, 2)
    }))

  it.live("fails a stall before the first token over to the backup, and ends a stall after content with an error event", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ first_token_ms: 300, idle_ms: 300, retries: { max: 0 } })
      yield* primary.enqueue(
        OpenAiChatWire.route,
        streamOf("never").pipe(Fault.stallAfter(0)),
        streamOf("one two three four").pipe(Fault.stallAfter(2))
      )
      assert.strictEqual(streamed(yield* post(url, { stream: true })), "from backup")
      const stalled = yield* post(url, { stream: true })
      assert.include(stalled.text, "\"type\":\"timeout\"")
      assert.notInclude(stalled.text, "data: [DONE]")
      const exchange = yield* primary.awaitOutcome(1).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }))

  it.live("treats a malformed chunk as a broken stream, never as text", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({ retries: { max: 0 } })
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("one two three four").pipe(Fault.malformedChunk(2)))
      const r = yield* post(url, { stream: true })
      assert.include(r.text, "\"type\":\"stream_interrupted\"")
      assert.notInclude(r.text, "data: [DONE]")
      assert.notInclude(streamed(r), "{")
    }))

  it.live("accepts a stream whose choices finished even without [DONE]", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup({})
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("complete answer").pipe(Fault.dropTerminal))
      const r = yield* post(url, { stream: true })
      assert.strictEqual(streamed(r), "complete answer")
      assert.include(r.text, "data: [DONE]")
    }))

  it.live("recovers a stream cut mid-answer by regenerating elsewhere and forwarding only what follows the delivered text", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 } })
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("one two three four five").pipe(Fault.disconnectAfter(3)))
      yield* backup.setDefault(OpenAiChatWire.route, answer("one two three four five"))
      const r = yield* post(url, { stream: true })
      assert.strictEqual(streamed(r), "one two three four five")
      assert.include(r.text, "data: [DONE]")
      const sent = (yield* backup.exchanges)[0]!.request.json as { messages: Array<{ role: string }> }
      assert.strictEqual(sent.messages.at(-1)!.role, "user")
    }))

  it.live("continues on a route that accepts prefill, and regenerates on one that rejects it", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 } }, {}, { backupPrefill: true })
      yield* primary.setDefault(OpenAiChatWire.route, streamOf("one two three four five").pipe(Fault.disconnectAfter(3)))
      // The backup continues a partial answer: it is sent what was delivered, and adds the rest.
      yield* backup.setDefault(OpenAiChatWire.route, (request) => {
        const messages = (request.json as { messages: Array<{ role: string; content: string }> }).messages
        const last = messages.at(-1)!
        return last.role === "assistant"
          ? OpenAiChatWire.stream(script("one two three four five".slice(last.content.length)), { includeUsage: true })
          : OpenAiChatWire.stream(script("something else entirely"), { includeUsage: true })
      })
      const continued = yield* post(url, { stream: true })
      assert.strictEqual(streamed(continued), "one two three four five")
      const sent = (yield* backup.exchanges)[0]!.request.json as { messages: Array<{ role: string; content: string }> }
      assert.strictEqual(sent.messages.at(-1)!.role, "assistant")

      // A backup that rejects prefill (400) is asked again without it, and its regeneration is used.
      yield* backup.setDefault(OpenAiChatWire.route, (request) => {
        const messages = (request.json as { messages: Array<{ role: string }> }).messages
        return messages.at(-1)!.role === "assistant"
          ? OpenAiChatWire.error(400, { message: "This model does not support assistant message prefill." })
          : OpenAiChatWire.stream(script("one two three four five"), { includeUsage: true })
      })
      const regenerated = yield* post(url, { stream: true })
      assert.strictEqual(streamed(regenerated), "one two three four five")
      assert.lengthOf(yield* backup.exchanges, 3)
    }))

  it.live("bounds a takeover by the same timeouts: a stalled regeneration ends the stream with an error event", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 }, idle_ms: 300 })
      yield* primary.enqueue(OpenAiChatWire.route, streamOf("one two three four five").pipe(Fault.disconnectAfter(3)))
      yield* backup.setDefault(OpenAiChatWire.route, streamOf("one two three four five").pipe(Fault.stallAfter(2)))
      const r = yield* post(url, { stream: true })
      assert.isBelow(r.elapsed, 2000)
      assert.include(r.text, "\"error\"")
      assert.notInclude(r.text, "data: [DONE]")
      const exchange = yield* backup.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }))
})
