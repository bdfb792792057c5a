import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { StreamAccumulator } from "@switchyard/core"
import * as OpenAiResponses from "../src/OpenAiResponses.ts"

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
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  })))

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "responses", name))

/** Writes bytes in small slices, as a real upstream does. */
const writeSlowly = (res: ServerResponse, bytes: Uint8Array) => {
  for (let i = 0; i < bytes.length; i += 97) res.write(bytes.subarray(i, i + 97))
  res.end()
}

const provider = (baseUrl: string) =>
  OpenAiResponses.make({
    name: "openai",
    baseUrl,
    apiKey: Redacted.make("sk-test-responses-0123456789"),
    headers: { "OpenAI-Organization": "org-switchyard" }
  })

describe("OpenAiResponses over HTTP", () => {
  it.effect("streams: POST {baseUrl}/responses with Bearer auth and the encoded body; SSE decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* serve((res) => {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" })
        writeSlowly(res, fixture("stream-reasoning-parallel-tools.sse"))
      })
      const openai = yield* provider(baseUrl)
      const events = yield* openai.stream({
        model: "o4-mini",
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris and Tokyo?" }],
        reasoning_effort: "low"
      }).pipe(Stream.runCollect)
      const response = StreamAccumulator.assemble(events)
      assert.deepStrictEqual(response.choices[0]!.toolCalls.map((c) => c.arguments), [
        "{\"city\":\"Paris\"}",
        "{\"city\":\"Tōkyō\"}"
      ])
      assert.strictEqual(response.usage?.reasoningTokens, 192)

      assert.strictEqual(received.length, 1)
      const [request] = received
      assert.strictEqual(request!.method, "POST")
      assert.strictEqual(request!.url, "/v1/responses")
      assert.strictEqual(request!.headers["authorization"], "Bearer sk-test-responses-0123456789")
      assert.strictEqual(request!.headers["openai-organization"], "org-switchyard")
      assert.deepStrictEqual(request!.body, {
        model: "o4-mini",
        instructions: "Be brief.",
        input: [{ role: "user", content: "Weather in Paris and Tokyo?" }],
        reasoning: { effort: "low", summary: "auto" },
        store: false,
        stream: true
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("completes: a JSON response object is decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* serve((res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(fixture("response-reasoning-text-function-call.json"))
      })
      const openai = yield* provider(baseUrl)
      const response = yield* openai.complete({ model: "gpt-5", messages: [{ role: "user", content: "Weather?" }] })
      assert.strictEqual(response.choices[0]!.content, "Let me check the weather in Paris.")
      assert.strictEqual(response.usage?.cachedInputTokens, 256)
      assert.strictEqual((received[0]!.body as Record<string, unknown>)["stream"], false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("a 429 with Retry-After is RateLimited with that delay; the key never shows in the error", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* serve((res) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "7" })
        res.end(JSON.stringify({
          error: {
            message: "Rate limit reached for requests (key sk-test-responses-0123456789)",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded"
          }
        }))
      })
      const openai = yield* provider(baseUrl)
      const error = yield* openai.complete({ model: "gpt-5", messages: [{ role: "user", content: "hi" }] }).pipe(
        Effect.flip
      )
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.retryAfter && Duration.toSeconds(error.retryAfter), 7)
      assert.notInclude(error.message, "sk-test-responses-0123456789")
      assert.notInclude(error.body ?? "", "sk-test-responses-0123456789")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("a request the Responses API cannot express fails before anything is sent", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* serve((res) => res.end())
      const openai = yield* provider(baseUrl)
      const error = yield* openai.complete({ model: "gpt-5", messages: [{ role: "user", content: "hi" }], n: 3 }).pipe(
        Effect.flip
      )
      assert.strictEqual(error._tag, "BadRequest")
      assert.strictEqual(received.length, 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
