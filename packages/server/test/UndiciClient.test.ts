/**
 * The gateway's upstream client (`UndiciClient`) against a real `node:http` server: what it sends
 * and reads, and what happens to the call and its connection when the caller stops early.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { HttpClient, HttpClientRequest, UrlParams } from "effect/http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { UndiciClient } from "@switchyard/server"

/** What the server saw of one request, and how its exchange ended. */
interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
  /** The client's port: the same for two requests on one connection. */
  readonly port: number | undefined
  /** Whether the client closed the connection before the answer was complete. */
  readonly aborted: Promise<boolean>
}

/** A server answering with `handler`, closed with the scope; `seen` lists the requests as they arrive. */
const serve = (handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly url: string; readonly seen: Array<Seen>; readonly server: Server }>((ready) => {
        const seen: Array<Seen> = []
        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8")
            const aborted = new Promise<boolean>((done) => res.on("close", () => done(!res.writableFinished)))
            seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, port: req.socket.remotePort, aborted })
            handler(req, res, body)
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          ready({ url: `http://127.0.0.1:${port}`, seen, server })
        })
      })
    ),
    ({ server }) =>
      Effect.promise(() =>
        new Promise<void>((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
      )
  )

const client = Layer.effect(HttpClient.HttpClient, UndiciClient.make).pipe(
  Layer.provide(NodeHttpClient.layerDispatcher),
  // As the gateway calls without a collector (`Telemetry`): no span, no trace context.
  Layer.merge(Layer.succeed(HttpClient.TracerDisabledWhen, () => true))
)

const within = <A>(ms: number, self: Promise<A>) =>
  Promise.race([self, new Promise<A>((_, fail) => setTimeout(() => fail(new Error(`not within ${ms} ms`)), ms))])

describe("UndiciClient", () => {
  it.live("sends the method, path, headers and body, and reads status, headers and a whole body", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* serve((_, res, body) => {
        res.writeHead(201, { "content-type": "application/json", "x-upstream": "yes", "set-cookie": "a=1" })
        res.end(JSON.stringify({ echoed: JSON.parse(body) }))
      })
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.post(`${url}/v1/chat/completions?beta=true`).pipe(
          HttpClientRequest.setHeader("authorization", "Bearer sk-test"),
          HttpClientRequest.bodyJsonUnsafe({ model: "m" })
        )
      )
      assert.strictEqual(response.status, 201)
      assert.strictEqual(response.headers["x-upstream"], "yes")
      assert.strictEqual(response.cookies.cookies["a"]?.value, "1")
      assert.deepStrictEqual(yield* response.json, { echoed: { model: "m" } })
      // Read twice, the body is the same (read from the connection once).
      assert.deepStrictEqual(yield* response.json, { echoed: { model: "m" } })
      assert.strictEqual(response.url, `${url}/v1/chat/completions?beta=true`)
      const [request] = seen
      assert.strictEqual(request!.method, "POST")
      assert.strictEqual(request!.url, "/v1/chat/completions?beta=true")
      assert.strictEqual(request!.headers["authorization"], "Bearer sk-test")
      assert.strictEqual(request!.headers["content-type"], "application/json")
      assert.strictEqual(request!.body, "{\"model\":\"m\"}")
      assert.isUndefined(request!.headers["traceparent"])
    }).pipe(Effect.scoped, Effect.provide(client)))

  it.live("streams a body as it arrives, and leaves the connection to be used again when read to its end", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: one\n\n")
        setTimeout(() => res.end("data: two\n\n"), 20)
      })
      const http = yield* HttpClient.HttpClient
      for (let i = 0; i < 4; i++) {
        const response = yield* http.execute(HttpClientRequest.post(`${url}/stream`))
        const text = yield* response.stream.pipe(Stream.decodeText(), Stream.mkString)
        assert.strictEqual(text, "data: one\n\ndata: two\n\n")
      }
      assert.strictEqual(seen.length, 4)
      assert.deepStrictEqual(yield* Effect.promise(() => Promise.all(seen.map((s) => s.aborted))), [false, false, false, false])
      // Connections were used again (undici may open a second while the first finishes its answer).
      assert.isAtMost(new Set(seen.map((s) => s.port)).size, 2)
    }).pipe(Effect.scoped, Effect.provide(client)))

  it.live("an interrupted call closes its connection: while waiting for the head, and in the middle of the body", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const { seen, url } = yield* serve((req, res) => {
        if (req.url === "/silent") return // never answers
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n") // and never ends
      })
      const http = yield* HttpClient.HttpClient
      // Waiting for the head.
      const silent = yield* Effect.forkChild(http.execute(HttpClientRequest.post(`${url}/silent`)))
      yield* Effect.promise(() => within(2_000, (async () => { while (seen.length < 1) await new Promise((r) => setTimeout(r, 5)) })()))
      yield* Fiber.interrupt(silent)
      assert.isTrue(yield* Effect.promise(() => within(2_000, seen[0]!.aborted)))
      // In the middle of the body: the first event read, then the reader stops.
      const reading = yield* Effect.forkChild(Effect.gen(function*() {
        const response = yield* http.execute(HttpClientRequest.post(`${url}/endless`))
        yield* response.stream.pipe(Stream.tap(() => Deferred.succeed(started, undefined)), Stream.runDrain)
      }))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(reading)
      assert.isTrue(yield* Effect.promise(() => within(2_000, seen[1]!.aborted)))
    }).pipe(Effect.scoped, Effect.provide(client)))

  it.live("a response dropped unread has its connection closed once it is garbage collected", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n") // and never ends
      })
      const http = yield* HttpClient.HttpClient
      // The response is not kept: only its status leaves this effect.
      assert.strictEqual(yield* Effect.map(http.execute(HttpClientRequest.post(`${url}/endless`)), (r) => r.status), 200)
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      const closed = yield* Effect.promise(() =>
        within(5_000, (async () => {
          for (;;) {
            gc()
            const aborted = await Promise.race([seen[0]!.aborted, new Promise<undefined>((r) => setTimeout(r, 50))])
            if (aborted !== undefined) return aborted
          }
        })())
      )
      assert.isTrue(closed)
    }).pipe(Effect.scoped, Effect.provide(client)))

  it.live("a refused connection is a TransportError; a body cut by the server fails the stream with a DecodeError", () =>
    Effect.gen(function*() {
      const http = yield* HttpClient.HttpClient
      const { url: closedUrl } = yield* Effect.scoped(serve((_, res) => res.end()))
      const refused = yield* Effect.exit(http.execute(HttpClientRequest.post(`${closedUrl}/gone`)))
      assert.isTrue(Exit.isFailure(refused))
      const refusal = Exit.isFailure(refused) ? refused.cause.reasons[0] : undefined
      assert.strictEqual(refusal?._tag === "Fail" ? refusal.error.reason._tag : undefined, "TransportError")

      const { url } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n")
        setTimeout(() => res.socket?.destroy(), 20)
      })
      const response = yield* http.execute(HttpClientRequest.post(`${url}/cut`))
      const read = yield* Effect.exit(Stream.runCollect(response.stream))
      assert.isTrue(Exit.isFailure(read))
      const cut = Exit.isFailure(read) ? read.cause.reasons[0] : undefined
      assert.strictEqual(cut?._tag === "Fail" ? cut.error.reason._tag : undefined, "DecodeError")
    }).pipe(Effect.scoped, Effect.provide(client)))

  it.live("reads a form body as URL parameters and as form data; a response is no upgrade", () =>
    Effect.gen(function*() {
      const { url } = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" })
        res.end("a=1&b=two")
      })
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(HttpClientRequest.post(`${url}/form`))
      assert.deepStrictEqual(UrlParams.toRecord(yield* response.urlParamsBody), { a: "1", b: "two" })
      const form = yield* response.formData
      assert.strictEqual(form.get("b"), "two")
      const upgraded = yield* Effect.exit(response.upgrade)
      const refusal = Exit.isFailure(upgraded) ? upgraded.cause.reasons[0] : undefined
      assert.strictEqual(refusal?._tag === "Fail" ? refusal.error.reason._tag : undefined, "StatusCodeError")
    }).pipe(Effect.scoped, Effect.provide(client)))

  it.live("a call it does not make itself (a query given as parameters) goes through Effect's undici client", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* serve((_, res) => res.end("ok"))
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(HttpClientRequest.get(`${url}/models`).pipe(HttpClientRequest.setUrlParam("limit", "5")))
      assert.strictEqual(yield* response.text, "ok")
      assert.strictEqual(seen[0]!.url, "/models?limit=5")
    }).pipe(Effect.scoped, Effect.provide(client)))
})
