import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { OpenAiResponsesWire } from "@switchyard/testing"
import { request, sseJson, textOf } from "./helpers.ts"

const script = {
  reasoning: ["Adding", " numbers"],
  text: ["The", " answer"],
  toolCalls: [{ name: "final_result", arguments: ['{"', 'result', '":6666}'] }],
  usage: { inputTokens: 278, outputTokens: 9, cachedInputTokens: 128, reasoningTokens: 4 }
}

describe("OpenAiResponsesWire", () => {
  it.effect("streams typed events with consecutive sequence numbers, ending with response.completed", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(OpenAiResponsesWire.stream(script))
      assert.isTrue(events.every((e) => e.data.type === e.event))
      assert.deepStrictEqual(events.map((e) => e.data.sequence_number), events.map((_, i) => i))
      assert.deepStrictEqual(events.slice(0, 2).map((e) => e.event), ["response.created", "response.in_progress"])
      assert.strictEqual(events.at(-1)!.event, "response.completed")
      assert.isFalse(textOf(OpenAiResponsesWire.stream(script)).includes("[DONE]"))
      const join = (type: string) => events.filter((e) => e.event === type).map((e) => e.data.delta).join("")
      assert.strictEqual(join("response.reasoning_summary_text.delta"), "Adding numbers")
      assert.strictEqual(join("response.output_text.delta"), "The answer")
      assert.strictEqual(join("response.function_call_arguments.delta"), '{"result":6666}')
      const added = events.filter((e) => e.event === "response.output_item.added").map((e) => e.data.item)
      assert.deepStrictEqual(added.map((i: any) => i.type), ["reasoning", "message", "function_call"])
      assert.match(added[2].call_id, /^call_[A-Za-z0-9]{24}$/)
      assert.strictEqual(added[2].name, "final_result")
    }))

  it.effect("response.completed carries the output and usage; length ends with response.incomplete", () =>
    Effect.gen(function*() {
      const completed = (yield* sseJson(OpenAiResponsesWire.stream(script))).at(-1)!.data.response
      assert.strictEqual(completed.status, "completed")
      assert.deepStrictEqual(completed.usage, {
        input_tokens: 278,
        input_tokens_details: { cached_tokens: 128 },
        output_tokens: 9,
        output_tokens_details: { reasoning_tokens: 4 },
        total_tokens: 287
      })
      assert.strictEqual(completed.output[1].content[0].text, "The answer")
      const cut = (yield* sseJson(OpenAiResponsesWire.stream({ text: ["x"], finishReason: "length" }))).at(-1)!
      assert.strictEqual(cut.event, "response.incomplete")
      assert.deepStrictEqual(cut.data.response.incomplete_details, { reason: "max_output_tokens" })
    }))

  it.effect("an in-band error is an error event followed by response.failed", () =>
    Effect.gen(function*() {
      const events = yield* sseJson(OpenAiResponsesWire.stream({}, {
        error: { type: "insufficient_quota", code: "insufficient_quota", message: "quota" }
      }))
      assert.deepStrictEqual(events.slice(-2).map((e) => e.event), ["error", "response.failed"])
      assert.deepInclude(events.at(-2)!.data.error, { code: "insufficient_quota", message: "quota" })
      assert.deepStrictEqual(events.at(-1)!.data.response.error, { code: "insufficient_quota", message: "quota" })
      assert.strictEqual(events.at(-1)!.data.response.usage, null)
    }))

  it("answer streams for stream: true, else returns the response object; errors are Chat Completions'", () => {
    const answer = OpenAiResponsesWire.answer({ text: ["ok"] })
    const body = JSON.parse(textOf(answer(request({ path: "/v1/responses", json: { model: "gpt-5" } }))))
    assert.deepInclude(body, { object: "response", status: "completed", model: "gpt-5" })
    assert.strictEqual(answer(request({ path: "/v1/responses", json: { stream: true } })).framing, "sse")
    assert.strictEqual(JSON.parse(textOf(OpenAiResponsesWire.error(401))).error.code, "invalid_api_key")
  })
})
