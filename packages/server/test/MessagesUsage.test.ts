/**
 * A streamed `/v1/messages` answer says its input tokens in `message_start`, where LangChain and
 * others read them: the route's own count when it reports one that early (Anthropic does), else
 * the gateway's estimate; `message_delta` then carries the route's final counts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const events = (text: string) =>
  text.split("\n\n").filter((f) => f.startsWith("event: ")).map((f) => JSON.parse(f.split("\n")[1]!.slice(6)))

describe("usage in a streamed /v1/messages answer", () => {
  it.live("message_start has the estimated input of a route that reports usage only at the end", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["Hi", " there"], usage: { inputTokens: 1234, outputTokens: 2 } }))
      const url = yield* serveConfig({
        providers: { up: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-up-0123456789") } }
      })
      const body = yield* Effect.promise(() =>
        fetch(`${url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "m",
            max_tokens: 50,
            stream: true,
            messages: [{ role: "user", content: "Tell me about the weather in Paris in the spring, in a few words." }]
          })
        }).then((r) => r.text())
      )
      const all = events(body)
      const start = all.find((e) => e.type === "message_start")
      const delta = all.find((e) => e.type === "message_delta")
      // The estimate of a prompt of about twenty tokens, not 0.
      assert.isAbove(start.message.usage.input_tokens, 15)
      assert.isBelow(start.message.usage.input_tokens, 40)
      assert.strictEqual(delta.usage.input_tokens, 1234)
      assert.strictEqual(delta.usage.output_tokens, 2)
    }))
})
