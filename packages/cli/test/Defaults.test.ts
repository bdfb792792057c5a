/**
 * The defaults, as most users run them: `switchyard serve` with no config file, only
 * `OPENAI_API_KEY` and `OPENAI_BASE_URL` set, each request naming its fallback in `"models"`.
 * The upstream misbehaves for model `flaky` and answers for model `steady`; what the client gets,
 * what the upstream saw, and when, are asserted against the documented defaults
 * (docs/routing.md, "Defaults").
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Fault, MockUpstream, OpenAiChatWire, type Reply } from "@switchyard/testing"
import { cleanEnv, start } from "./processes.ts"

const script = (text: string) => ({ text: [text], usage: { inputTokens: 5, outputTokens: 2 } })

/** Replies by model: `flaky` gets `fault`, any other model a normal answer. */
const byModel = (fault: (request: MockUpstream.RecordedRequest) => Reply.Reply) => (request: MockUpstream.RecordedRequest) =>
  (request.json as { model?: string }).model === "flaky"
    ? fault(request)
    : OpenAiChatWire.answer(script("steady answer"))(request)

const setup = (fault: (request: MockUpstream.RecordedRequest) => Reply.Reply) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    yield* upstream.setDefault(OpenAiChatWire.route, byModel(fault))
    const server = yield* start(["serve", "--port", "0"], {
      ...cleanEnv(),
      OPENAI_API_KEY: "sk-test-0123456789",
      OPENAI_BASE_URL: `${upstream.url}/v1`
    })
    return { upstream, url: server.url }
  })

const chat = (url: string, body: Record<string, unknown>) =>
  Effect.promise(async () => {
    const started = Date.now()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "flaky", messages: [{ role: "user", content: "hi" }], ...body })
    })
    const text = await response.text()
    return { status: response.status, text, elapsed: Date.now() - started, attempts: response.headers.get("x-switchyard-attempts") }
  })

const streamedText = (text: string) =>
  text.split("\n\n").filter((f) => f.startsWith("data: {")).map((f) => JSON.parse(f.slice(6)))
    .map((c) => c.choices?.[0]?.delta?.content ?? "").join("")

const seenBy = (upstream: MockUpstream.MockUpstreamShape, model: string) =>
  Effect.map(upstream.exchanges, (all) => all.filter((e) => (e.request.json as { model?: string }).model === model))

describe.concurrent("zero-config defaults against a misbehaving upstream", () => {
  it.live("a silent upstream: the stream fails over to the listed fallback at the 10 s first-token limit, and is not retried", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup((request) => OpenAiChatWire.answer(script("never"))(request).pipe(Fault.hang))
      const r = yield* chat(url, { stream: true, models: ["steady"] })
      assert.strictEqual(r.status, 200)
      assert.strictEqual(streamedText(r.text), "steady answer")
      assert.isAtLeast(r.elapsed, 9_900)
      assert.isBelow(r.elapsed, 13_000)
      assert.lengthOf(yield* seenBy(upstream, "flaky"), 1)
      const [silent] = yield* seenBy(upstream, "flaky")
      assert.strictEqual(silent!.outcome._tag, "ClosedByClient")
      assert.strictEqual(r.attempts, "openai/flaky:primary=timeout, openai/steady:fallback=ok")
    }).pipe(Effect.scoped), { timeout: 40_000 })

  it.live("a slow first token (20 s): with a fallback listed the client has its answer by ~10 s; alone, it waits for it", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup(() =>
        OpenAiChatWire.stream(script("slow answer"), { includeUsage: true }).pipe(Fault.firstChunkDelay("20 seconds"))
      )
      const [withFallback, alone] = yield* Effect.all([
        chat(url, { stream: true, models: ["steady"] }),
        chat(url, { stream: true })
      ], { concurrency: "unbounded" })
      assert.strictEqual(streamedText(withFallback.text), "steady answer")
      assert.isBelow(withFallback.elapsed, 13_000)
      assert.strictEqual(streamedText(alone.text), "slow answer")
      assert.isAtLeast(alone.elapsed, 19_900)
      assert.lengthOf(yield* seenBy(upstream, "flaky"), 2)
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("a persistent 429 without Retry-After: 3 attempts at least 250 ms apart, then the fallback", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup(() => OpenAiChatWire.error(429))
      const r = yield* chat(url, { models: ["steady"] })
      assert.strictEqual(r.status, 200)
      assert.strictEqual(JSON.parse(r.text).choices[0].message.content, "steady answer")
      const tries = yield* seenBy(upstream, "flaky")
      assert.lengthOf(tries, 3)
      const gaps = tries.slice(1).map((t, i) => t.request.receivedAt - tries[i]!.request.receivedAt)
      for (const gap of gaps) assert.isAtLeast(gap, 240)
      assert.isAtMost(tries[2]!.request.receivedAt - tries[0]!.request.receivedAt, 3_000)
      assert.strictEqual(r.attempts, "openai/flaky:primary=rate_limited, openai/flaky:retry=rate_limited, openai/flaky:retry=rate_limited, openai/steady:fallback=ok")
    }).pipe(Effect.scoped), { timeout: 40_000 })

  it.live("context length exceeded: the listed fallback is tried once, the overflowing route never again", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup(() =>
        OpenAiChatWire.error(400, {
          message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          type: "invalid_request_error",
          code: "context_length_exceeded",
          param: "messages"
        })
      )
      const r = yield* chat(url, { models: ["steady", "flaky"] })
      assert.strictEqual(r.status, 200)
      assert.strictEqual(JSON.parse(r.text).choices[0].message.content, "steady answer")
      assert.lengthOf(yield* seenBy(upstream, "flaky"), 1)
      assert.lengthOf(yield* seenBy(upstream, "steady"), 1)
      // Without a fallback, the client gets the provider's 400.
      const alone = yield* chat(url, {})
      assert.strictEqual(alone.status, 400)
      assert.strictEqual(JSON.parse(alone.text).error.type, "context_overflow")
    }).pipe(Effect.scoped), { timeout: 40_000 })

  it.live("GET /v1/models lists what can be addressed: on the zero-config demo, the demo model", () =>
    Effect.gen(function*() {
      const server = yield* start(["serve", "--port", "0"], cleanEnv())
      const list = yield* Effect.promise(() => fetch(`${server.url}/v1/models`).then((r) => r.json()))
      assert.strictEqual(list.object, "list")
      assert.includeMembers(list.data.map((m: { id: string }) => m.id), ["demo", "demo/demo"])
    }).pipe(Effect.scoped), { timeout: 40_000 })
})
