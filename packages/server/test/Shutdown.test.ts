/**
 * A graceful shutdown of the real server (its layer closed): it stops taking connections at once,
 * what finishes within the grace period finishes whole, and a stream still running at its end gets
 * an error event in its dialect, never the frames of a finished answer; then the layer ends.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import { Fault, OpenAiChatWire } from "@switchyard/testing"
import { servePair } from "./harness.ts"

const script = (words: number) => ({
  text: Array.from({ length: words }, (_, i) => ` w${i}`),
  usage: { inputTokens: 3, outputTokens: words }
})

/** A streamed request on `path`, once its headers have arrived. */
const open = (url: string, path: string, body: Record<string, unknown>) =>
  Effect.promise(() =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smart", stream: true, ...body })
    })
  )

const user = [{ role: "user", content: "hi" }]

describe("graceful shutdown", () => {
  it.live("a stream that ends within the grace period is whole; one still running ends with an error event in its dialect; new connections are refused; the layer ends", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { primary, url } = yield* servePair({ server: { shutdown_grace_ms: 1_000 } }).pipe(Scope.provide(scope))
      const upstream = (words: number) =>
        OpenAiChatWire.stream(script(words), { includeUsage: true }).pipe(Fault.chunkDelay("100 millis"))
      // About 0.5 s, then three of about 6 s, in the order the requests are opened below.
      yield* primary.enqueue(OpenAiChatWire.route, upstream(5), upstream(60), upstream(60), upstream(60))
      const quick = yield* open(url, "/v1/chat/completions", { messages: user, stream_options: { include_usage: true } })
      const chat = yield* open(url, "/v1/chat/completions", { messages: user })
      const messages = yield* open(url, "/v1/messages", { max_tokens: 100, messages: user })
      const responses = yield* open(url, "/v1/responses", { input: "hi" })

      const started = performance.now()
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* Effect.sleep("100 millis")
      const late = yield* Effect.promise(() =>
        fetch(`${url}/v1/chat/completions`, { method: "POST", body: "{}" }).then((r) => r.status, (e: Error) => e.message)
      )
      assert.strictEqual(late, "fetch failed", "a new connection is refused")

      const [quickText, chatText, messagesText, responsesText] = yield* Effect.promise(() =>
        Promise.all([quick.text(), chat.text(), messages.text(), responses.text()])
      )
      yield* Fiber.join(closing)
      const elapsed = performance.now() - started

      assert.isTrue(quickText.endsWith("data: [DONE]\n\n"), quickText)
      assert.include(quickText, "\"usage\":{")

      assert.notInclude(chatText, "[DONE]")
      const chatError = JSON.parse(chatText.trimEnd().split("\n\n").at(-1)!.slice("data: ".length))
      assert.strictEqual(chatError.error.code, "shutting_down")
      assert.strictEqual(chatError.error.retryable, true)

      assert.notInclude(messagesText, "message_stop")
      assert.notInclude(messagesText, "message_delta")
      assert.match(messagesText, /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error"[^\n]*\n\n$/)

      assert.notInclude(responsesText, "response.completed")
      assert.match(responsesText, /event: error\ndata: \{[^\n]*"code":"shutting_down"[^\n]*\n\n$/)

      // The grace period, then the cut streams' last frames: well before the slow streams would end.
      assert.isAtLeast(elapsed, 900)
      assert.isAtMost(elapsed, 3_500)
    }), 20_000)

  it.live("with nothing in flight, the layer ends at once", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { primary, url } = yield* servePair({ server: { shutdown_grace_ms: 5_000 } }).pipe(Scope.provide(scope))
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.stream(script(3)))
      const r = yield* open(url, "/v1/chat/completions", { messages: user })
      yield* Effect.promise(() => r.text())
      const started = performance.now()
      yield* Scope.close(scope, Exit.void)
      assert.isAtMost(performance.now() - started, 1_000)
    }), 20_000)
})
