/**
 * Clients that send slowly, through the real server: headers or a body that never finish are cut
 * after the configured time, and the request timeout never cuts a long streamed answer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { connect } from "node:net"
import { Fault, OpenAiChatWire } from "@switchyard/testing"
import { postChat, servePair } from "./harness.ts"

/** Opens a connection, writes `text`, then stalls: what the server sent before closing it, and when. */
const stall = (url: string, text: string) =>
  Effect.promise(() =>
    new Promise<{ readonly received: string; readonly elapsed: number }>((resolve) => {
      const { hostname, port } = new URL(url)
      const started = performance.now()
      let received = ""
      const socket = connect(Number(port), hostname, () => socket.write(text))
      socket.on("data", (data) => (received += data.toString()))
      socket.on("error", () => {})
      socket.on("close", () => resolve({ received, elapsed: performance.now() - started }))
    })
  )

const settings = { headers_timeout_ms: 500, request_timeout_ms: 1_000 }

describe("slow clients", () => {
  it.live("headers that never finish are cut after headers_timeout_ms; a body that never finishes after request_timeout_ms, with 408", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({ server: settings })
      const [headers, body] = yield* Effect.all([
        stall(url, "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: appl"),
        stall(url, "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":")
      ], { concurrency: 2 })
      // Node checks its timeouts every second (connectionsCheckingInterval).
      assert.isAtLeast(headers.elapsed, 450)
      assert.isAtMost(headers.elapsed, 2_500)
      assert.isAtLeast(body.elapsed, 950)
      assert.isAtMost(body.elapsed, 3_000)
      assert.match(body.received, /^HTTP\/1\.1 408/)
      assert.lengthOf(yield* primary.requests, 0)
    }), 20_000)

  it.live("a stream that lasts longer than request_timeout_ms is not cut", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({ server: settings })
      const words = Array.from({ length: 8 }, (_, i) => `w${i}`)
      yield* primary.setDefault(
        OpenAiChatWire.route,
        OpenAiChatWire.stream({ text: words, usage: { inputTokens: 3, outputTokens: 8 } }, { includeUsage: true }).pipe(Fault.chunkDelay("350 millis"))
      )
      const r = yield* postChat(url, { stream: true })
      assert.strictEqual(r.status, 200)
      assert.isAbove(r.elapsed, 2_000, "the stream outlasted the request timeout (and Node's check of it)")
      assert.isTrue(r.text.endsWith("data: [DONE]\n\n"), r.text)
      assert.notInclude(r.text, "\"error\"")
    }), 20_000)
})
