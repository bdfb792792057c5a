import { assert, describe, it } from "@effect/vitest"
import { PromptTemplates } from "@switchyard/prompts"
import { request, review } from "./fixtures.ts"

describe("PromptTemplates", () => {
  it("asks for native structured output by default, keeping the system prompt in place", () => {
    const written = PromptTemplates.apply({}, request, review)
    assert.deepStrictEqual(written.response_format, { type: "json_schema", json_schema: { name: "code_review", schema: review.jsonSchema } })
    assert.deepStrictEqual(written.messages.map((m) => m.role), ["system", "user"])
  })

  it("moves the system prompt and the output instructions into the first user message for models that ignore system", () => {
    const written = PromptTemplates.apply({ system: "user", structured_output: "instructions" }, request, review)
    assert.deepStrictEqual(written.messages.map((m) => m.role), ["user"])
    const text = String(written.messages[0]!.content)
    assert.match(text, /^You are a strict code reviewer\. Report exactly three issues\.\n\nAnswer with a single JSON value/)
    assert.include(text, "Review:\nfunction add")
    assert.isUndefined(written.response_format)
  })

  it("forces a tool whose parameters are the contract", () => {
    const written = PromptTemplates.apply({ structured_output: "tool" }, request, review)
    assert.strictEqual(written.tools?.[0]?.function.name, "code_review")
    assert.deepStrictEqual(written.tools?.[0]?.function.parameters, review.jsonSchema)
    assert.deepStrictEqual(written.tool_choice, { type: "function", function: { name: "code_review" } })
  })

  it("puts few-shot examples before the conversation", () => {
    const written = PromptTemplates.apply({ examples: [{ user: "Review: x", assistant: "{\"issues\": []}" }] }, request)
    assert.deepStrictEqual(written.messages.map((m) => m.role), ["system", "user", "assistant", "user"])
  })

  it("picks the first rule that matches the provider and the model glob, else the default", () => {
    const templates = PromptTemplates.make({
      default: { structured_output: "json_schema" },
      rules: [
        { provider: "claude", template: { structured_output: "tool" } },
        { model: "gemma-*", template: { system: "user" } }
      ]
    })
    assert.strictEqual(templates.forRoute("claude", "claude-sonnet-4-5").structured_output, "tool")
    assert.strictEqual(templates.forRoute("gemini", "gemma-3-27b-it").system, "user")
    assert.strictEqual(templates.forRoute("gemini", "gemini-2.5-pro").structured_output, "json_schema")
  })
})
