import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Conform, PromptTemplates } from "@switchyard/prompts"
import { good, mockCall, request, review } from "./fixtures.ts"

const conform = (routes: ReadonlyArray<string>) => {
  const mock = mockCall()
  return Effect.map(Effect.result(Conform.run({ request, contract: review, routes, call: mock.call })), (result) => ({ result, sent: mock.sent }))
}

describe("Conform.run on drifting models", () => {
  it.effect("passes a clean answer as is", () =>
    Effect.gen(function*() {
      const { result } = yield* conform(["clean/model"])
      assert.strictEqual(result._tag, "Success")
      if (result._tag !== "Success") return
      assert.deepStrictEqual(result.success.value, JSON.parse(good))
      assert.deepStrictEqual(result.success.attempts.map((a) => a.outcome), ["passed"])
      assert.deepStrictEqual(result.success.repairs, [])
    }))

  for (const [route, repair] of [
    ["fenced/model", "extractJson"],
    ["chatty/model", "extractJson"],
    ["dramatic/model", "mapEnumSynonyms"],
    ["chinese/model", "mapEnumSynonyms"]
  ] as const) {
    it.effect(`repairs ${route} with ${repair}, without asking again`, () =>
      Effect.gen(function*() {
        const { result, sent } = yield* conform([route])
        assert.strictEqual(result._tag, "Success")
        if (result._tag !== "Success") return
        assert.deepStrictEqual(result.success.attempts.map((a) => a.outcome), ["repaired"])
        assert.isTrue(result.success.repairs.some((r) => r.startsWith(repair)))
        assert.deepStrictEqual(review.validate(result.success.value), [])
        assert.lengthOf(sent, 1)
      }))
  }

  it.effect("re-asks a model that gave four issues, with the violation spelled out, and never truncates", () =>
    Effect.gen(function*() {
      const { result, sent } = yield* conform(["counting/model"])
      assert.strictEqual(result._tag, "Success")
      if (result._tag !== "Success") return
      assert.deepStrictEqual(result.success.attempts.map((a) => a.outcome), ["reasked"])
      assert.lengthOf(sent, 2)
      const followUp = sent[1]!.request.messages.at(-1)!
      assert.strictEqual(followUp.role, "user")
      assert.include(String(followUp.content), "issues: expected at most 3 items, got 4")
    }))

  it.effect("moves to the next route when a model keeps drifting after the re-ask", () =>
    Effect.gen(function*() {
      const { result, sent } = yield* conform(["stubborn/model", "clean/model"])
      assert.strictEqual(result._tag, "Success")
      if (result._tag !== "Success") return
      assert.strictEqual(result.success.route, "clean/model")
      assert.deepStrictEqual(result.success.attempts.map((a) => [a.route, a.outcome]), [["stubborn/model", "failed"], ["clean/model", "passed"]])
      assert.deepStrictEqual(sent.map((s) => s.route), ["stubborn/model", "stubborn/model", "clean/model"])
    }))

  it.effect("fails with a clear report when no route can honour the contract", () =>
    Effect.gen(function*() {
      const { result } = yield* conform(["deaf/model", "stubborn/model", "missing/model"])
      assert.strictEqual(result._tag, "Failure")
      if (result._tag !== "Failure") return
      const failure = result.failure
      assert.deepStrictEqual(failure.attempts.map((a) => a.outcome), ["failed", "failed", "failed"])
      assert.include(failure.message, "deaf/model: (answer) expected JSON, got text with no JSON value in it")
      assert.include(failure.message, "stubborn/model: issues expected at most 3 items, got 4")
      assert.include(failure.message, "missing/model: missing/model: no such model")
    }))

  it.effect("reads a forced tool call's arguments as the answer", () =>
    Effect.gen(function*() {
      const templates = PromptTemplates.make({ rules: [{ provider: "tooled", template: { structured_output: "tool" } }] })
      const sent: Array<unknown> = []
      const result = yield* Conform.run({
        request,
        contract: review,
        routes: ["tooled/model"],
        templates,
        call: (_route, req) =>
          Effect.sync(() => {
            sent.push(req)
            return {
              id: "r",
              model: "m",
              created: 0,
              choices: [{ index: 0, content: null, toolCalls: [{ id: "t", name: "code_review", arguments: good }], finishReason: "tool_calls", rawFinishReason: "tool_use" }]
            }
          })
      })
      assert.deepStrictEqual(result.value, JSON.parse(good))
      assert.deepStrictEqual((sent[0] as { tool_choice: unknown }).tool_choice, { type: "function", function: { name: "code_review" } })
    }))
})
