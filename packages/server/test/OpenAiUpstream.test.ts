/**
 * The official `openai` SDK against the real gateway server, which routes to an OpenAI-compatible
 * mock upstream over loopback: plain, streamed, a tool call streamed in pieces, an upstream 429, and
 * a client that hangs up mid-stream (the gateway must abort its own upstream request).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import OpenAI from "openai"
import { Fault, MockUpstream, OpenAiChatWire, Reply } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const client = (baseURL: string) => new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "sk-client", maxRetries: 0 })

/** A mock OpenAI upstream and a gateway configured with it as provider `openai`. */
const setup = Effect.gen(function*() {
  const upstream = yield* MockUpstream.make()
  const url = yield* serveConfig({
    providers: { openai: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-upstream-secret") } },
    models: { fast: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } },
    // One try per request: these tests are about what the client sees of an upstream answer.
    routing: { retries: { max: 0 } }
  })
  return { upstream, url, openai: client(url) }
})

describe("OpenAI SDK → gateway → OpenAI-compatible upstream", () => {
  it.live("answers a plain completion and forwards the request faithfully", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* setup
      yield* upstream.enqueue(OpenAiChatWire.route, OpenAiChatWire.json({ text: ["Paris."], usage: { inputTokens: 12, outputTokens: 2 } }))
      const completion = yield* Effect.promise(() =>
        openai.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "Capital of France?" }], temperature: 0 })
      )
      assert.strictEqual(completion.choices[0]?.message.content, "Paris.")
      assert.strictEqual(completion.choices[0]?.finish_reason, "stop")
      assert.strictEqual(completion.usage?.prompt_tokens, 12)
      assert.strictEqual(completion.usage?.completion_tokens, 2)
      const [exchange] = yield* upstream.exchanges
      const sent = exchange!.request.json as { model: string; messages: Array<unknown>; temperature: number }
      assert.strictEqual(sent.model, "gpt-4.1-mini")
      assert.deepStrictEqual(sent.messages, [{ role: "user", content: "Capital of France?" }])
      assert.strictEqual(sent.temperature, 0)
      assert.strictEqual(exchange!.request.headers["authorization"], "Bearer sk-upstream-secret")
    }))

  it.live("streams every delta in order, even when the upstream writes three bytes at a time", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* setup
      const pieces = ["Wie ", "geht's? ", "Grüße ", "aus ", "Zürich ", "👋"]
      yield* upstream.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.stream({ text: pieces }, { includeUsage: true }).pipe(Fault.tinyWrites(3))
      )
      const stream = yield* Effect.promise(() =>
        openai.chat.completions.create({ model: "openai/gpt-4.1-mini", messages: [{ role: "user", content: "hi" }], stream: true })
      )
      const deltas: Array<string> = []
      let finish: string | null = null
      yield* Effect.promise(async () => {
        for await (const chunk of stream) {
          const choice = chunk.choices[0]
          if (choice?.delta.content) deltas.push(choice.delta.content)
          if (choice?.finish_reason) finish = choice.finish_reason
          assert.isUndefined(chunk.usage ?? undefined, "no usage chunk unless the client asked")
        }
      })
      assert.strictEqual(deltas.join(""), pieces.join(""))
      assert.strictEqual(finish, "stop")
    }))

  it.live("streams a tool call in pieces that the SDK reassembles", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* setup
      yield* upstream.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.stream({ toolCalls: [{ name: "get_weather", arguments: ["{\"ci", "ty\": \"Pa", "ris\"}"] }] })
      )
      const runner = openai.chat.completions.stream({
        model: "fast",
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [{
          type: "function",
          function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
        }]
      })
      let argumentDeltas = 0
      runner.on("chunk", (chunk) => {
        if (chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments) argumentDeltas++
      })
      const final = yield* Effect.promise(() => runner.finalChatCompletion())
      const call = final.choices[0]?.message.tool_calls?.[0]
      assert.strictEqual(call?.type, "function")
      if (call?.type !== "function") return
      assert.strictEqual(call.function.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "Paris" })
      assert.strictEqual(final.choices[0]?.finish_reason, "tool_calls")
      assert.isAtLeast(argumentDeltas, 3)
      const [exchange] = yield* upstream.exchanges
      const sent = exchange!.request.json as { tools: Array<{ function: { name: string } }> }
      assert.strictEqual(sent.tools[0]?.function.name, "get_weather")
    }))

  it.live("raises the SDK's RateLimitError for an upstream 429", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* setup
      yield* upstream.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 7 }))
      const error = yield* Effect.promise(() =>
        openai.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] }).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      assert.instanceOf(error, OpenAI.RateLimitError)
      const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>
      assert.strictEqual(rateLimit.status, 429)
      assert.strictEqual(rateLimit.headers.get("retry-after"), "7")
      const body = rateLimit.error as { type: string; provider: string; retryable: boolean }
      assert.strictEqual(body.type, "rate_limited")
      assert.strictEqual(body.provider, "openai")
      assert.strictEqual(body.retryable, true)
    }))

  it.live("turns an upstream HTML 502 from a proxy into an OpenAI-format error without leaking the page", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* setup
      yield* upstream.enqueue(OpenAiChatWire.route, Reply.nginxError(502))
      const error = yield* Effect.promise(() =>
        openai.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] }).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      assert.instanceOf(error, OpenAI.APIError)
      const body = (error as InstanceType<typeof OpenAI.APIError>).error as { type: string; retryable: boolean; message: string }
      assert.strictEqual(body.type, "server_error")
      assert.strictEqual(body.retryable, true)
      assert.notInclude(body.message, "<html")
    }))

  it.live("aborts the upstream request when the client hangs up mid-stream", () =>
    Effect.gen(function*() {
      const { upstream, url: gateway } = yield* setup
      yield* upstream.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.stream({ text: ["one ", "two ", "three ", "four ", "five"] }).pipe(Fault.chunkDelay("150 millis"))
      )
      const abort = new AbortController()
      const reading = yield* Effect.forkChild(Effect.promise(async () => {
        const response = await fetch(`${gateway}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "fast", stream: true, messages: [{ role: "user", content: "count" }] }),
          signal: abort.signal
        })
        const reader = response.body!.getReader()
        const first = await reader.read()
        abort.abort()
        return new TextDecoder().decode(first.value)
      }))
      const firstBytes = yield* Fiber.join(reading)
      assert.include(firstBytes, "data: ")
      const exchange = yield* upstream.awaitOutcome(0).pipe(Effect.timeout("3 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }))
})
