/**
 * The Ollama provider over real HTTP against the mock upstream, replaying the recorded fixtures.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { StreamAccumulator } from "@switchyard/core"
import { Fault, MockUpstream, OllamaWire, Reply } from "@switchyard/testing"
import { Ollama } from "../src/index.ts"

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", name)))

/** A mock upstream answering `/api/chat` with `reply`; its requests are recorded. */
const serve = (reply: Reply.Reply) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    yield* upstream.setDefault(OllamaWire.route, reply)
    return { upstream, baseUrl: upstream.url }
  })

describe("Ollama over HTTP", () => {
  it.live("streams: POST {baseUrl}/api/chat without auth; NDJSON decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, upstream } = yield* serve(
        Reply.make({ headers: { "content-type": "application/x-ndjson" }, body: fixture("chat-stream-thinking.ndjson") }).pipe(Fault.tinyWrites(61))
      )
      const ollama = yield* Ollama.make({ name: "ollama", baseUrl })
      const events = yield* ollama.stream({
        model: "qwen3:8b",
        messages: [{ role: "user", content: "What is 17 × 23?" }],
        temperature: 0
      }).pipe(Stream.runCollect)
      const response = StreamAccumulator.assemble(events)
      assert.strictEqual(response.choices[0]!.content, "17 × 23 = 391.")
      assert.strictEqual(response.usage?.outputTokens, 62)

      const received = yield* upstream.exchanges
      assert.strictEqual(received.length, 1)
      const request = received[0]!.request
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.path, "/api/chat")
      assert.isUndefined(request.headers["authorization"])
      assert.deepStrictEqual(request.json, {
        model: "qwen3:8b",
        messages: [{ role: "user", content: "What is 17 × 23?" }],
        options: { temperature: 0 },
        stream: true
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a hosted Ollama gets Bearer auth; stream:false answers are decoded", () =>
    Effect.gen(function*() {
      const { baseUrl, upstream } = yield* serve(Reply.make({ headers: { "content-type": "application/json; charset=utf-8" }, body: fixture("chat-response-tool-call.json") }))
      const ollama = yield* Ollama.make({ name: "ollama-cloud", baseUrl, apiKey: Redacted.make("ollama-key-0123456789") })
      const response = yield* ollama.complete({ model: "llama3.2", messages: [{ role: "user", content: "Weather in Paris?" }] })
      assert.strictEqual(response.choices[0]!.toolCalls[0]!.name, "get_current_weather")
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.headers["authorization"], "Bearer ollama-key-0123456789")
      assert.strictEqual((exchange!.request.json as Record<string, unknown>)["stream"], false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a 404 for a missing model is NotFound with Ollama's message", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* serve(
        Reply.make({ status: 404, headers: { "content-type": "application/json; charset=utf-8" }, body: fixture("error-404-model-not-found.json") })
      )
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
