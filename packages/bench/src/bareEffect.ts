/**
 * Floor B, the bare Effect proxy (a child process): Effect 4's `HttpRouter` served by
 * `@effect/platform-node`'s `NodeHttpServer`, forwarding `POST /v1/chat/completions` to the upstream
 * (`UPSTREAM_URL`) with `NodeHttpClient.layerUndici`. The small JSON request body is read, then sent;
 * the answer's body is returned as `HttpServerResponse.stream(response.stream)` (a stream, never
 * buffered), status and content-type kept. Nothing else: no logger, no middleware.
 * Reports `{ type: "ready", port }` over IPC.
 */
import { createServer } from "node:http"
import { Effect, Layer } from "effect"
import { HttpClient, HttpClientRequest, HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { NodeHttpClient, NodeHttpServer, NodeRuntime } from "@effect/platform-node"

const upstream = `${process.env["UPSTREAM_URL"]}/v1/chat/completions`

const proxy = HttpRouter.add("POST", "/v1/chat/completions", (request) =>
  Effect.gen(function*() {
    const body = yield* request.arrayBuffer
    const client = yield* HttpClient.HttpClient
    const answer = yield* client.execute(
      HttpClientRequest.post(upstream).pipe(HttpClientRequest.bodyUint8Array(new Uint8Array(body), "application/json"))
    )
    const contentType = answer.headers["content-type"]
    return HttpServerResponse.stream(answer.stream, { status: answer.status, ...(contentType === undefined ? {} : { contentType }) })
  }).pipe(Effect.catch(() => Effect.succeed(HttpServerResponse.empty({ status: 502 })))))

const ready = Layer.effectDiscard(Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const address = server.address
  process.send?.({ type: "ready", port: "port" in address ? address.port : 0 })
}))

const main = ready.pipe(
  Layer.provideMerge(
    HttpRouter.serve(proxy, { disableLogger: true, disableListenLog: true }).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 60_000 }), { host: "127.0.0.1", port: 0 }))
    )
  ),
  Layer.provide(NodeHttpClient.layerUndici)
)

process.on("disconnect", () => process.exit(0))
NodeRuntime.runMain(Layer.launch(main))
