/**
 * The Gemini stream machine is pure: a step returns the next state and never changes the state it
 * was given, so the same step taken twice gives the same answer.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Stream from "../src/internal/stream.ts"

const machine = Stream.machine({ provider: "gemini", model: "gemini-2.5-pro" })

describe("Gemini stream machine", () => {
  it("steps a candidate with a function call and a finish reason without changing the state it was given", () => {
    const [started] = machine.step(machine.initial(), {
      candidates: [{ content: { parts: [{ text: "Checking the weather." }], role: "model" }, index: 0 }],
      modelVersion: "gemini-2.5-pro",
      responseId: "sySwitchyardGem0002"
    })
    const before = structuredClone(started)
    const input = {
      candidates: [{
        content: { parts: [{ functionCall: { name: "get_weather", args: { city: "Paris", unit: "celsius" } } }], role: "model" },
        finishReason: "STOP",
        index: 0
      }],
      usageMetadata: { promptTokenCount: 60, candidatesTokenCount: 24, totalTokenCount: 84 },
      modelVersion: "gemini-2.5-pro",
      responseId: "sySwitchyardGem0002"
    }

    const first = machine.step(started, input)
    const second = machine.step(started, input)

    assert.deepStrictEqual(first, second)
    assert.deepStrictEqual(started, before)
    assert.notStrictEqual(first[0], started)
    assert.strictEqual(machine.end(started).length, 1, "before the finish, the source ending is a cut")
    assert.deepStrictEqual(machine.end(first[0]).map((o) => typeof o === "object" && "_tag" in o ? o._tag : o), [
      "ToolCallStart",
      "ToolCallDelta",
      "Finish",
      "UsageReport"
    ])
  })
})
