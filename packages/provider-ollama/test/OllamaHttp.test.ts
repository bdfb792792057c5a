import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { StreamAccumulator } from "@switchyard/core"
import { Ollama } from "../src/index.ts"

interface Received {
  readonly method: string | undefined
  readonly url: string | undefined
  readonly headers: IncomingHttpHeaders
  readonly body: unknown
}

/** A loopback server that records each request and answers with `respond`. */
const serve = (respond: (res: ServerResponse, body: unknown) => void) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Server; readonly received: Array<Received> }>((resume) => {
      const received: Array<Received> = []
      const server = createServer((req, res) => {
        let text = ""
        req.setEncoding("utf8")
        req.on("data", (chunk: string) => (text += chunk))
        req.on("end", () => {
          const body: unknown = JSON.parse(text)
          received.push({ method: req.method, url: req.url, headers: req.headers, body })
          respond(res, body)
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, received })))
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ received, server }) => ({
    received,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })))

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name))

/** Writes bytes in small slices, as a real upstream does. */
const writeSlowly = (res: ServerResponse, bytes: Uint8Array) => {
  for (let i = 0; i < bytes.length; i += 61) res.write(bytes.subarray(i, i + 61))
  res.end()
}

describe("Ollama over HTTP", () => {
  it.effect("streams: POST {baseUrl}/api/chat without auth; NDJSON decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* serve((res) => {
        res.writeHead(200, { "content-type": "application/x-ndjson" })
        writeSlowly(res, fixture("chat-stream-thinking.ndjson"))
      })
      const ollama = yield* Ollama.make({ name: "ollama", baseUrl })
      const events = yield* ollama.stream({
        model: "qwen3:8b",
        messages: [{ role: "user", content: "What is 17 × 23?" }],
        temperature: 0
      }).pipe(Stream.runCollect)
      const response = StreamAccumulator.assemble(events)
      assert.strictEqual(response.choices[0]!.content, "17 × 23 = 391.")
      assert.strictEqual(response.usage?.outputTokens, 62)

      assert.strictEqual(received.length, 1)
      const [request] = received
      assert.strictEqual(request!.method, "POST")
      assert.strictEqual(request!.url, "/api/chat")
      assert.isUndefined(request!.headers["authorization"])
      assert.deepStrictEqual(request!.body, {
        model: "qwen3:8b",
        messages: [{ role: "user", content: "What is 17 × 23?" }],
        options: { temperature: 0 },
        stream: true
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("a hosted Ollama gets Bearer auth; stream:false answers are decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* serve((res) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" })
        res.end(fixture("chat-response-tool-call.json"))
      })
      const ollama = yield* Ollama.make({ name: "ollama-cloud", baseUrl, apiKey: Redacted.make("ollama-key-0123456789") })
      const response = yield* ollama.complete({ model: "llama3.2", messages: [{ role: "user", content: "Weather in Paris?" }] })
      assert.strictEqual(response.choices[0]!.toolCalls[0]!.name, "get_current_weather")
      assert.strictEqual(received[0]!.headers["authorization"], "Bearer ollama-key-0123456789")
      assert.strictEqual((received[0]!.body as Record<string, unknown>)["stream"], false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("a 404 for a missing model is NotFound with Ollama's message", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* serve((res) => {
        res.writeHead(404, { "content-type": "application/json; charset=utf-8" })
        res.end(fixture("error-404-model-not-found.json"))
      })
      const ollama = yield* Ollama.make({ name: "ollama", baseUrl })
      const error = yield* ollama.stream({ model: "llama3.3", messages: [{ role: "user", content: "hi" }] }).pipe(
        Stream.runCollect,
        Effect.flip
      )
      assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual(error.status, 404)
      assert.include(error.message, "try pulling it first")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
