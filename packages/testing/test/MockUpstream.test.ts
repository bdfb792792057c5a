import { assert, describe, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Effect, Fiber, Stream } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Sse } from "@switchyard/core"
import { Fault, GeminiWire, MockUpstream, OpenAiChatWire, Reply } from "@switchyard/testing"

const chatBody = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream: true }

const post = (url: string, body: unknown = chatBody) =>
  HttpClientRequest.post(url).pipe(
    HttpClientRequest.setHeader("authorization", "Bearer sk-test"),
    HttpClientRequest.bodyJsonUnsafe(body)
  )

/** Reads a body chunk by chunk, noting when each arrived (ms after `since`). */
const readTimed = (stream: Stream.Stream<Uint8Array, unknown>, since: number) =>
  Effect.gen(function*() {
    const arrivals: Array<{ at: number; bytes: Uint8Array }> = []
    const error = yield* stream.pipe(
      Stream.runForEach((bytes) =>
        Effect.map(Clock.currentTimeMillis, (now) => void arrivals.push({ at: now - since, bytes }))),
      Effect.flip,
      Effect.option
    )
    const text = new TextDecoder().decode(Buffer.concat(arrivals.map((a) => a.bytes)))
    return { arrivals, text, error }
  })

describe("MockUpstream", () => {
  it.live("answers a route's queue in order, then its default, then 500 no script; records each request", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({
        routes: { [OpenAiChatWire.route]: [OpenAiChatWire.json({ text: ["one"] }), OpenAiChatWire.error(400)] }
      })
      yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.json({ text: ["default"] }))
      const client = yield* HttpClient.HttpClient
      const url = `${upstream.url}/v1/chat/completions?api-version=2024-10-21`
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) statuses.push((yield* client.execute(post(url))).status)
      const third = yield* client.execute(post(url)).pipe(Effect.flatMap((r) => r.json))
      const unknown = yield* client.execute(post(`${upstream.url}/v1/other`))
      assert.deepStrictEqual(statuses, [200, 400, 200])
      assert.strictEqual((third as any).choices[0].message.content, "default")
      assert.strictEqual(unknown.status, 500)
      assert.include(yield* unknown.text, "no scripted reply for POST /v1/other")

      const exchanges = yield* upstream.exchanges
      const first = exchanges[0]!.request
      assert.deepInclude(first, { index: 0, method: "POST", path: "/v1/chat/completions" })
      assert.deepStrictEqual(first.query, { "api-version": "2024-10-21" })
      assert.strictEqual(first.headers["authorization"], "Bearer sk-test")
      assert.deepStrictEqual(first.json, chatBody)
      assert.isAtMost(Math.abs(first.receivedAt - Date.now()), 5_000)
      assert.deepStrictEqual(exchanges.map((e) => e.route), [
        OpenAiChatWire.route,
        OpenAiChatWire.route,
        OpenAiChatWire.route,
        OpenAiChatWire.route,
        undefined
      ])
      const settled = yield* upstream.awaitOutcome(4)
      assert.strictEqual(settled.outcome._tag, "Completed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("matches prefix routes, preferring the most specific; responders see the request", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(GeminiWire.route, GeminiWire.answer({ text: ["from gemini"] }))
      yield* upstream.setDefault("POST /v1beta/models/special:generateContent", Reply.text(418, "special"))
      const client = yield* HttpClient.HttpClient
      const streamed = yield* client.execute(
        post(`${upstream.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, { contents: [] })
      )
      const events = yield* streamed.stream.pipe(Sse.decode, Stream.runCollect)
      assert.strictEqual(JSON.parse(events[0]!.data).modelVersion, "gemini-2.5-pro")
      const special = yield* client.execute(post(`${upstream.url}/v1beta/models/special:generateContent`, {}))
      assert.strictEqual(special.status, 418)
      const thrown = yield* upstream.enqueue("/boom", () => {
        throw new Error("bad script")
      }).pipe(Effect.andThen(client.execute(HttpClientRequest.get(`${upstream.url}/boom`))))
      assert.strictEqual(thrown.status, 500)
      assert.include(yield* thrown.text, "bad script")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("latency delays the headers", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({
        routes: { [OpenAiChatWire.route]: OpenAiChatWire.json({ text: ["slow"] }).pipe(Fault.latency("300 millis")) }
      })
      const client = yield* HttpClient.HttpClient
      const start = yield* Clock.currentTimeMillis
      const response = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      const headersAt = (yield* Clock.currentTimeMillis) - start
      assert.strictEqual(response.status, 200)
      assert.isAtLeast(headersAt, 280)
      assert.isBelow(headersAt, 2_000)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("firstChunkDelay sends headers at once and the first token later; chunkDelay spaces the rest", () =>
    Effect.gen(function*() {
      const reply = OpenAiChatWire.stream({ text: ["a", "b", "c"] }).pipe(
        Fault.firstChunkDelay("300 millis"),
        Fault.chunkDelay("50 millis")
      )
      const upstream = yield* MockUpstream.make({ routes: { [OpenAiChatWire.route]: reply } })
      const client = yield* HttpClient.HttpClient
      const start = yield* Clock.currentTimeMillis
      const response = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      const headersAt = (yield* Clock.currentTimeMillis) - start
      const { arrivals, error, text } = yield* readTimed(response.stream, start)
      assert.isTrue(error._tag === "None")
      assert.isAtLeast(arrivals[0]!.at, 280)
      assert.isAtLeast(arrivals[0]!.at - headersAt, 150)
      assert.isAtLeast(arrivals.at(-1)!.at - arrivals[0]!.at, 5 * 50 - 30)
      assert.isTrue(text.endsWith("data: [DONE]\n\n"))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a 429 carries Retry-After when scripted, and not otherwise", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({
        routes: { [OpenAiChatWire.route]: [OpenAiChatWire.error(429, { retryAfter: 3 }), OpenAiChatWire.error(429)] }
      })
      const client = yield* HttpClient.HttpClient
      const first = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      const second = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      assert.strictEqual(first.status, 429)
      assert.strictEqual(first.headers["retry-after"], "3")
      assert.strictEqual(((yield* first.json) as any).error.code, "rate_limit_exceeded")
      assert.strictEqual(second.status, 429)
      assert.isUndefined(second.headers["retry-after"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("serves proxy HTML error pages and plain-text errors", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({
        routes: {
          [OpenAiChatWire.route]: [
            Reply.nginxError(502),
            Reply.cloudflareError(504, { host: "api.openai.com" }),
            Reply.text(503, "upstream connect error or disconnect/reset before headers")
          ]
        }
      })
      const client = yield* HttpClient.HttpClient
      const url = `${upstream.url}/v1/chat/completions`
      const nginx = yield* client.execute(post(url))
      assert.strictEqual(nginx.status, 502)
      assert.strictEqual(nginx.headers["server"], "nginx")
      assert.include(yield* nginx.text, "<center><h1>502 Bad Gateway</h1></center>\r\n")
      const cloudflare = yield* client.execute(post(url))
      assert.strictEqual(cloudflare.status, 504)
      assert.strictEqual(cloudflare.headers["content-type"], "text/html; charset=UTF-8")
      assert.match(cloudflare.headers["cf-ray"]!, /-SJC$/)
      assert.include(yield* cloudflare.text, "<title>api.openai.com | 504: Gateway time-out</title>")
      const plain = yield* client.execute(post(url))
      assert.strictEqual(plain.headers["content-type"], "text/plain; charset=utf-8")
      assert.strictEqual(yield* plain.text, "upstream connect error or disconnect/reset before headers")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a hung request interrupted by the client's timeout is recorded as closed by client", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({ routes: { [OpenAiChatWire.route]: Reply.empty.pipe(Fault.hang) } })
      const client = yield* HttpClient.HttpClient
      const call = yield* Effect.forkChild(
        client.execute(post(`${upstream.url}/v1/chat/completions`)).pipe(Effect.timeout("300 millis"))
      )
      yield* upstream.awaitRequests(1)
      const error = yield* Fiber.join(call).pipe(Effect.flip)
      assert.strictEqual(error._tag, "TimeoutError")
      const exchange = yield* upstream.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
      assert.isAtLeast((exchange.outcome as { at: number }).at, exchange.request.receivedAt)
      assert.strictEqual(exchange.chunksWritten, 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a stalled stream the client stops reading is closed by the client after the chunks it got", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({
        routes: { [OpenAiChatWire.route]: OpenAiChatWire.stream({ text: ["a", "b", "c"] }).pipe(Fault.stallAfter(2)) }
      })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      const events = yield* response.stream.pipe(Sse.decode, Stream.take(2), Stream.runCollect)
      assert.strictEqual(events.length, 2)
      const exchange = yield* upstream.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
      assert.strictEqual(exchange.chunksWritten, 2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("disconnectAfter cuts the body mid-stream: the client's read fails after the first chunks", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({
        routes: { [OpenAiChatWire.route]: OpenAiChatWire.stream({ text: ["a", "b", "c"] }).pipe(Fault.disconnectAfter(2)) }
      })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      assert.strictEqual(response.status, 200)
      const { error, text } = yield* readTimed(response.stream, 0)
      assert.strictEqual(error._tag, "Some")
      assert.strictEqual(error._tag === "Some" && (error.value as { _tag: string })._tag, "HttpClientError")
      assert.strictEqual(text.split("\n\n").filter((frame) => frame.length > 0).length, 2)
      const exchange = yield* upstream.awaitOutcome(0)
      assert.strictEqual(exchange.outcome._tag, "ClosedByServer")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("reset drops the connection before headers: a transport error", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make({ routes: { [OpenAiChatWire.route]: Reply.empty.pipe(Fault.reset) } })
      const client = yield* HttpClient.HttpClient
      const error = yield* client.execute(post(`${upstream.url}/v1/chat/completions`)).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "TransportError")
      assert.strictEqual((yield* upstream.awaitOutcome(0)).outcome._tag, "ClosedByServer")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("tinyWrites sends the body in many small network chunks that still decode exactly", () =>
    Effect.gen(function*() {
      const reply = OpenAiChatWire.stream({ text: ["héllo ", "wörld ", "🌍"] })
      const size = reply.chunks.reduce((n, c) => n + c.bytes.length, 0)
      const upstream = yield* MockUpstream.make({ routes: { [OpenAiChatWire.route]: reply.pipe(Fault.tinyWrites(3)) } })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(post(`${upstream.url}/v1/chat/completions`))
      const pieces = yield* Stream.runCollect(response.stream)
      assert.isAtLeast(pieces.length, size / 3 / 4)
      assert.isTrue(pieces.every((p) => p.length <= 3 * 4))
      const events = yield* Stream.fromIterable(pieces).pipe(Sse.decode, Stream.runCollect)
      const text = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0].delta.content ?? "").join("")
      assert.strictEqual(text, "héllo wörld 🌍")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("as a layer: the service is built once, and reset forgets scripts and records", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.MockUpstream
      const client = yield* HttpClient.HttpClient
      assert.strictEqual((yield* client.execute(post(`${upstream.url}/api/chat`))).status, 200)
      yield* upstream.reset
      assert.deepStrictEqual(yield* upstream.requests, [])
      assert.strictEqual((yield* client.execute(post(`${upstream.url}/api/chat`))).status, 500)
    }).pipe(
      Effect.provide(MockUpstream.layer({ routes: { "POST /api/chat": Reply.json({ ok: true }) } })),
      Effect.provide(NodeHttpClient.layerUndici)
    ))
})
