/**
 * The hedging recipe: OpenAI takes 5 s to start, so after 300 ms Anthropic is asked too; its answer
 * wins, and OpenAI's request is cancelled (the connection closed), not left to finish.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, Fault, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { complete } from "./client.ts"

describe("cookbook: hedging", () => {
  it.live("a slow primary is hedged after 300 ms and cancelled when the hedge answers", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      yield* openai.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.stream({ text: ["slow"] }, { includeUsage: true }).pipe(Fault.firstChunkDelay("5 seconds"))
      )
      yield* anthropic.setDefault(AnthropicWire.route, AnthropicWire.answer({ text: ["function ", "add(a, b)"] }))
      const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`
      })

      const result = yield* Effect.promise(() => complete(`${url}/v1`, "function add("))

      assert.strictEqual(result.text, "function add(a, b)")
      assert.strictEqual(result.attempts, "openai/gpt-5-mini:primary=cancelled, anthropic/claude-haiku-4-5:hedge=ok")
      assert.isAtLeast(result.firstTokenMs!, 300)
      assert.isBelow(result.firstTokenMs!, 2000)
      const primary = yield* openai.awaitOutcome(0)
      assert.strictEqual(primary.outcome._tag, "ClosedByClient")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
