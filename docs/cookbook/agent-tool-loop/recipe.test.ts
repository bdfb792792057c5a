/**
 * The agent recipe: the official `openai` client runs a three-turn tool loop (list the files, read
 * one, answer) through the gateway, streamed, against an Anthropic upstream: tool calls and their
 * results cross the two dialects with their ids intact.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, MockUpstream } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { runAgent } from "./client.ts"

interface AnthropicMessage {
  readonly role: string
  readonly content: string | ReadonlyArray<{ readonly type: string; readonly tool_use_id?: string; readonly content?: unknown }>
}

const toolResults = (messages: ReadonlyArray<AnthropicMessage>) =>
  messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content.filter((b) => b.type === "tool_result")))

describe("cookbook: an agent's tool loop through the gateway", () => {
  it.live("three turns: two tool calls, then the answer", () =>
    Effect.gen(function*() {
      const anthropic = yield* MockUpstream.make()
      // The model's next step depends on how many tool results it has been given so far.
      yield* anthropic.setDefault(AnthropicWire.route, (request) => {
        const done = toolResults((request.json as { messages: ReadonlyArray<AnthropicMessage> }).messages).length
        const script = done === 0
          ? { toolCalls: [{ id: "toolu_01", name: "list_files", arguments: ["{}"] }] }
          : done === 1
          ? { toolCalls: [{ id: "toolu_02", name: "read_file", arguments: ['{"path":', '"package.json"}'] }] }
          : { text: ["The project is ", "called demo-app."] }
        return AnthropicWire.answer(script)(request)
      })
      const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
        ANTHROPIC_API_KEY: "sk-ant-0123456789",
        ANTHROPIC_BASE_URL: `${anthropic.url}/v1`,
        OPENAI_API_KEY: "sk-openai-0123456789"
      })

      const result = yield* Effect.promise(() =>
        runAgent(`${url}/v1`, "What is this project called?", { "package.json": '{"name": "demo-app"}', "README.md": "# Demo" })
      )

      assert.strictEqual(result.answer, "The project is called demo-app.")
      assert.strictEqual(result.turns, 3)
      const requests = (yield* anthropic.requests).map((r) => r.json as { stream: boolean; messages: ReadonlyArray<AnthropicMessage> })
      assert.lengthOf(requests, 3)
      assert.isTrue(requests.every((r) => r.stream))
      // The last request carried both tool results, each answering its call by id.
      assert.deepStrictEqual(toolResults(requests[2]!.messages).map((b) => [b.tool_use_id, b.content]), [
        ["toolu_01", "package.json\nREADME.md"],
        ["toolu_02", '{"name": "demo-app"}']
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
