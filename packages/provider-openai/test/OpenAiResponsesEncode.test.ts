import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ChatRequest } from "@switchyard/core"
import * as OpenAiResponses from "../src/OpenAiResponses.ts"

const context = { provider: "openai", model: "gpt-5" }

const encode = (request: ChatRequest.ChatRequest, stream = false) =>
  OpenAiResponses.dialect.encode(request, stream, context)

const weather: ChatRequest.FunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

describe("OpenAiResponses request encoding", () => {
  it.effect("maps a whole conversation: instructions, input items, tool calls and outputs, flat tools", () =>
    Effect.gen(function*() {
      const encoded = yield* encode({
        model: "gpt-5",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "What is this, and the weather there?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } }
            ]
          },
          {
            role: "assistant",
            content: "Checking.",
            tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }]
          },
          { role: "tool", tool_call_id: "call_1", content: "18°C, sunny" },
          { role: "system", content: "Keep it short." },
          { role: "user", content: "Thanks!" }
        ],
        tools: [weather, { type: "function", function: { name: "noop", strict: true } }],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        parallel_tool_calls: false,
        max_completion_tokens: 256,
        temperature: 0.2,
        reasoning_effort: "low",
        metadata: { team: "search" }
      }, true)
      assert.strictEqual(encoded.path, "/responses")
      assert.deepStrictEqual(encoded.body, {
        model: "gpt-5",
        instructions: "You are terse.\n\nAnswer in French.",
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: "What is this, and the weather there?" },
              { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" }
            ]
          },
          { role: "assistant", content: "Checking." },
          { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
          { type: "function_call_output", call_id: "call_1", output: "18°C, sunny" },
          { role: "system", content: "Keep it short." },
          { role: "user", content: "Thanks!" }
        ],
        tools: [
          {
            type: "function",
            name: "get_weather",
            description: "Current weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            strict: false
          },
          { type: "function", name: "noop", parameters: { type: "object", properties: {} }, strict: true }
        ],
        tool_choice: { type: "function", name: "get_weather" },
        parallel_tool_calls: false,
        temperature: 0.2,
        max_output_tokens: 256,
        reasoning: { effort: "low", summary: "auto" },
        metadata: { team: "search" },
        store: false,
        stream: true
      })
    }))

  it.effect("json_schema and json_object become text.format; max_tokens is the output limit too", () =>
    Effect.gen(function*() {
      const schema = yield* encode({
        model: "gpt-4.1",
        messages: [{ role: "user", content: "Give me a person." }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "person", schema: { type: "object", properties: { name: { type: "string" } } }, strict: true }
        },
        max_tokens: 100
      })
      const body = schema.body as Record<string, unknown>
      assert.deepStrictEqual(body["text"], {
        format: { type: "json_schema", name: "person", schema: { type: "object", properties: { name: { type: "string" } } }, strict: true }
      })
      assert.strictEqual(body["max_output_tokens"], 100)
      assert.strictEqual(body["stream"], false)
      assert.notProperty(body, "instructions")
      const object = yield* encode({
        model: "gpt-4.1",
        messages: [{ role: "user", content: "JSON please" }],
        response_format: { type: "json_object" }
      })
      assert.deepStrictEqual((object.body as Record<string, unknown>)["text"], { format: { type: "json_object" } })
    }))

  it.effect("reasoning_effort none asks for no summary", () =>
    Effect.gen(function*() {
      const encoded = yield* encode({ model: "gpt-5.1", messages: [{ role: "user", content: "hi" }], reasoning_effort: "none" })
      assert.deepStrictEqual((encoded.body as Record<string, unknown>)["reasoning"], { effort: "none" })
    }))

  const refused: ReadonlyArray<readonly [string, Partial<ChatRequest.ChatRequest>, string]> = [
    ["n > 1", { n: 2 }, "n"],
    ["logprobs", { logprobs: true }, "logprobs"],
    ["top_logprobs", { top_logprobs: 3 }, "top_logprobs"],
    ["logit_bias", { logit_bias: { "50256": -100 } }, "logit_bias"],
    ["stop sequences", { stop: ["\n\n"] }, "stop"],
    ["seed", { seed: 7 }, "seed"],
    ["audio input", {
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }]
    }, "messages"]
  ]

  for (const [feature, fields, param] of refused) {
    it.effect(`refuses ${feature} with BadRequest naming the feature and the provider`, () =>
      Effect.gen(function*() {
        const error = yield* encode({ model: "gpt-5", messages: [{ role: "user", content: "hi" }], ...fields }).pipe(
          Effect.flip
        )
        assert.strictEqual(error._tag, "BadRequest")
        assert.strictEqual(error.retryable, false)
        assert.strictEqual(error.param, param)
        assert.include(error.message, feature)
        assert.include(error.message, "openai")
        assert.include(error.message, "Responses API")
      }))
  }

  it.effect("settings that ask for nothing (n: 1, logprobs: false, empty stop) are accepted", () =>
    Effect.gen(function*() {
      const encoded = yield* encode({
        model: "gpt-5",
        messages: [{ role: "user", content: "hi" }],
        n: 1,
        logprobs: false,
        stop: [],
        presence_penalty: 0
      })
      assert.notProperty(encoded.body as Record<string, unknown>, "presence_penalty")
    }))
})
