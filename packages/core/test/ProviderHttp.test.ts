import { assert, describe, it } from "@effect/vitest"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { Deferred, Duration, Effect, Redacted, Stream } from "effect"
import { ProviderHttp, StreamAccumulator, StreamMachine, Sse, type StreamEvent } from "@switchyard/core"

/** A loopback server whose handler is the test's; resolves `closed` when a client aborts a response. */
const upstream = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.callback<{ url: string; aborted: Deferred.Deferred<void>; server: Server }>((resume) => {
      const aborted = Deferred.makeUnsafe<void>()
      const server = createServer((req, res) => {
        res.on("close", () => {
          if (!res.writableFinished) Deferred.doneUnsafe(aborted, Effect.void)
        })
        handler(req, res)
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, aborted, server }))
      })
    }),
    ({ server }) => Effect.sync(() => {
      server.closeAllConnections()
      server.close()
    })
  )

/** A minimal dialect: `data: <text>` lines become text deltas, `data: [DONE]` ends. */
const toyDialect: ProviderHttp.Dialect = {
  encode: (request, stream) => Effect.succeed({ path: "/chat", body: { model: request.model, stream } }),
  decodeResponse: (body) =>
    Effect.succeed({
      id: "x",
      model: "m",
      created: 0,
      choices: [{ index: 0, content: String((body as { text: string }).text), toolCalls: [], finishReason: "stop", rawFinishReason: "stop" }]
    }),
  decodeStream: (bytes) =>
    bytes.pipe(
      Sse.decode,
      Stream.mapError((e) => e as never),
      StreamMachine.run<undefined, Sse.SseEvent>({
        initial: () => undefined,
        step: (s, event) => [s, event.data === "[DONE]" ? [StreamMachine.End] : [{ _tag: "TextDelta", choice: 0, text: event.data } satisfies StreamEvent.StreamEvent]],
        end: () => []
      })
    ),
  authHeaders: (key) => ({ authorization: `Bearer ${key}` })
}

const provider = (url: string) =>
  ProviderHttp.make({ name: "toy", baseUrl: `${url}/v1/`, apiKey: Redacted.make("sk-test-secret-123"), dialect: toyDialect })

const request = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }

describe("ProviderHttp", () => {
  it.live("sends the encoded body with auth headers and decodes the answer", () =>
    Effect.gen(function*() {
      const seen: Array<{ url: string; auth: string; body: string }> = []
      const { url } = yield* upstream((req, res) => {
        let body = ""
        req.on("data", (c) => (body += c))
        req.on("end", () => {
          seen.push({ url: req.url ?? "", auth: req.headers.authorization ?? "", body })
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ text: "hello" }))
        })
      })
      const p = yield* provider(url)
      const response = yield* p.complete(request)
      assert.strictEqual(response.choices[0]?.content, "hello")
      assert.deepStrictEqual(seen, [{ url: "/v1/chat", auth: "Bearer sk-test-secret-123", body: "{\"model\":\"m\",\"stream\":false}" }])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("classifies an error status with its headers and redacts the API key from the body", () =>
    Effect.gen(function*() {
      const { url } = yield* upstream((_req, res) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "3" })
          .end(JSON.stringify({ error: { message: "Too many requests for key sk-test-secret-123", type: "requests" } }))
      })
      const p = yield* provider(url)
      const error = yield* p.complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "rate_limited")
      assert.strictEqual(error.status, 429)
      assert.strictEqual(Duration.toSeconds(error.retryAfter!), 3)
      assert.notInclude(error.body ?? "", "sk-test-secret-123")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("streams events and stops at the terminal marker", () =>
    Effect.gen(function*() {
      const { url } = yield* upstream((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.end("data: a\n\ndata: b\n\ndata: [DONE]\n\n")
      })
      const p = yield* provider(url)
      const events = yield* Stream.runCollect(p.stream(request))
      assert.strictEqual(StreamAccumulator.assemble(events).choices[0]?.content, "ab")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("aborts the upstream request when the call is interrupted (the socket closes)", () =>
    Effect.gen(function*() {
      const { aborted, url } = yield* upstream((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n") // then hang forever
      })
      const p = yield* provider(url)
      const first = yield* p.stream(request).pipe(Stream.take(1), Stream.runCollect)
      assert.strictEqual(first.length, 1)
      yield* Deferred.await(aborted).pipe(Effect.timeout("2 seconds"))
      const hung = yield* p.stream(request).pipe(Stream.runDrain, Effect.timeout("100 millis"), Effect.flip)
      assert.strictEqual(hung._tag, "TimeoutError")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("turns a refused connection into a retryable server_error", () =>
    Effect.gen(function*() {
      const p = yield* provider("http://127.0.0.1:1")
      const error = yield* p.complete(request).pipe(Effect.flip)
      assert.strictEqual(error.category, "server_error")
      assert.strictEqual(error.retryable, true)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
