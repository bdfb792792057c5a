import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { OllamaWire } from "@switchyard/testing"
import { ndjsonValues, request, textOf } from "./helpers.ts"

const script = {
  reasoning: ["hmm"],
  text: ["The", " sky"],
  toolCalls: [{ name: "get_weather", arguments: '{"city":"Tokyo"}' }],
  usage: { inputTokens: 26, outputTokens: 282 }
}

describe("OllamaWire", () => {
  it.effect("streams NDJSON lines with done: false, then a done line with the reason and counts", () =>
    Effect.gen(function*() {
      const reply = OllamaWire.stream(script)
      assert.strictEqual(reply.headers["content-type"], "application/x-ndjson")
      const lines = yield* ndjsonValues(reply)
      assert.isTrue(lines.slice(0, -1).every((l) => l.done === false && l.model === "llama3.2"))
      assert.strictEqual(lines.map((l) => l.message.thinking ?? "").join(""), "hmm")
      assert.strictEqual(lines.map((l) => l.message.content).join(""), "The sky")
      const tools = lines.flatMap((l) => l.message.tool_calls ?? [])
      assert.strictEqual(tools.length, 1)
      assert.deepInclude(tools[0].function, { index: 0, name: "get_weather", arguments: { city: "Tokyo" } })
      const done = lines.at(-1)
      assert.deepInclude(done, { done: true, done_reason: "stop", prompt_eval_count: 26, eval_count: 282 })
      assert.match(done.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/)
      assert.isTrue(textOf(reply).split("\n").slice(0, -1).every((line) => line.startsWith('{"model":"llama3.2","created_at":')))
    }))

  it.effect("an in-band error line replaces the done line", () =>
    Effect.gen(function*() {
      const lines = yield* ndjsonValues(OllamaWire.stream({ text: ["a"] }, { error: "an error was encountered while running the model" }))
      assert.deepStrictEqual(lines.at(-1), { error: "an error was encountered while running the model" })
      assert.isFalse(lines.some((l) => l.done === true))
    }))

  it("answers one JSON object with the whole message; length maps to done_reason length", () => {
    const body = JSON.parse(textOf(OllamaWire.json(script)))
    assert.deepInclude(body.message, { role: "assistant", content: "The sky", thinking: "hmm" })
    assert.strictEqual(body.done, true)
    assert.strictEqual(JSON.parse(textOf(OllamaWire.json({ text: ["x"], finishReason: "length" }))).done_reason, "length")
  })

  it("builds {\"error\": ...} bodies", () => {
    const reply = OllamaWire.error(404)
    assert.strictEqual(reply.status, 404)
    assert.deepStrictEqual(JSON.parse(textOf(reply)), { error: 'model "mock-model" not found, try pulling it first' })
    assert.deepStrictEqual(JSON.parse(textOf(OllamaWire.error(500, "boom"))), { error: "boom" })
  })

  it("answer streams by default and answers JSON for stream: false, echoing the model", () => {
    const answer = OllamaWire.answer({ text: ["ok"] })
    const streamed = answer(request({ path: "/api/chat", json: { model: "qwen3" } }))
    assert.strictEqual(streamed.framing, "ndjson")
    assert.include(textOf(streamed), '"model":"qwen3"')
    const whole = answer(request({ path: "/api/chat", json: { model: "qwen3", stream: false } }))
    assert.strictEqual(JSON.parse(textOf(whole)).message.content, "ok")
  })
})
