/**
 * The Chat Completions stream machine is pure: a step returns the next state and never changes the
 * state it was given, so the same step taken twice gives the same answer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Hosts } from "@switchyard/provider-openai"
import * as ChatStream from "../src/internal/chatStream.ts"

const machine = ChatStream.machine(Hosts.resolve("openai"), { provider: "openai", model: "gpt-4.1" })

const chunk = (choice: object, extra: object = {}): ChatStream.Input => ({
  event: "message",
  data: { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1764000001, model: "gpt-4.1", choices: [choice], ...extra }
})

describe("OpenAiChat stream machine", () => {
  it("steps a tool call piece and its finish without changing the state it was given", () => {
    const [started] = machine.step(
      machine.initial(),
      chunk({
        index: 0,
        delta: {
          role: "assistant",
          tool_calls: [{ index: 0, id: "call_paris01", type: "function", function: { name: "get_weather", arguments: "" } }]
        }
      })
    )
    const before = structuredClone(started)
    const input = chunk(
      {
        index: 0,
        delta: {
          tool_calls: [
            { index: 0, function: { arguments: "{\"city\": \"Paris\"}" } },
            { index: 1, id: "call_rome02", function: { name: "get_weather", arguments: "{}" } }
          ]
        },
        finish_reason: "tool_calls"
      },
      { usage: { prompt_tokens: 60, completion_tokens: 24, total_tokens: 84 } }
    )

    const first = machine.step(started, input)
    const second = machine.step(started, input)

    assert.deepStrictEqual(first, second)
    assert.deepStrictEqual(started, before)
    assert.notStrictEqual(first[0], started)
    assert.deepStrictEqual(first[1].map((o) => typeof o === "object" && "_tag" in o ? o._tag : o), [
      "ToolCallDelta",
      "ToolCallStart",
      "ToolCallDelta",
      "Finish",
      "UsageReport"
    ])
    assert.strictEqual(machine.end(started).length, 1, "before the finish, the source ending is a cut")
    assert.deepStrictEqual(machine.end(first[0]), [])
  })
})
