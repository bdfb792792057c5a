import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ChatRequest } from "@switchyard/core"
import { Ollama } from "../src/index.ts"

const context = { provider: "ollama", model: "qwen3" }

const encode = (request: ChatRequest.ChatRequest, stream = true) => Ollama.dialect.encode(request, stream, context)

const tool: ChatRequest.FunctionTool = {
  type: "function",
  function: {
    name: "get_temperature",
    description: "Get the current temperature for a city",
    parameters: { type: "object", required: ["city"], properties: { city: { type: "string" } } }
  }
}

describe("Ollama request encoding", () => {
  it.effect("maps messages, base64 images, tool calls with object arguments, tool results by name, options", () =>
    Effect.gen(function*() {
      const encoded = yield* encode({
        model: "qwen3",
        messages: [
          { role: "developer", content: "Be brief." },
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this picture, and how warm is it in New York?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" } }
            ]
          },
          {
            role: "assistant",
            content: null,
            reasoning_content: "Need the temperature.",
            tool_calls: [{ id: "call_9", type: "function", function: { name: "get_temperature", arguments: "{\"city\":\"New York\"}" } }]
          },
          { role: "tool", tool_call_id: "call_9", content: "22°C" }
        ],
        tools: [tool],
        temperature: 0.3,
        top_p: 0.9,
        max_tokens: 200,
        stop: "\n\n",
        seed: 42,
        reasoning_effort: "high",
        response_format: { type: "json_object" }
      })
      assert.strictEqual(encoded.path, "/api/chat")
      assert.deepStrictEqual(encoded.body, {
        model: "qwen3",
        messages: [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            content: "What is in this picture, and how warm is it in New York?",
            images: ["iVBORw0KGgoAAAANSUhEUg=="]
          },
          {
            role: "assistant",
            content: "",
            thinking: "Need the temperature.",
            tool_calls: [{ type: "function", function: { name: "get_temperature", arguments: { city: "New York" } } }]
          },
          { role: "tool", content: "22°C", tool_name: "get_temperature" }
        ],
        tools: [tool],
        format: "json",
        options: { temperature: 0.3, top_p: 0.9, num_predict: 200, stop: ["\n\n"], seed: 42 },
        think: "high",
        stream: true
      })
    }))

  it.effect("a JSON schema is the format; reasoning_effort none turns thinking off; no options when none set", () =>
    Effect.gen(function*() {
      const schema = { type: "object", properties: { age: { type: "integer" } }, required: ["age"] }
      const encoded = yield* encode({
        model: "llama3.1",
        messages: [{ role: "user", content: "Ollama is 22. Reply as JSON." }],
        response_format: { type: "json_schema", json_schema: { name: "person", schema } },
        reasoning_effort: "none"
      }, false)
      assert.deepStrictEqual(encoded.body, {
        model: "llama3.1",
        messages: [{ role: "user", content: "Ollama is 22. Reply as JSON." }],
        format: schema,
        think: false,
        stream: false
      })
    }))

  it.effect("tool_choice none sends no tools", () =>
    Effect.gen(function*() {
      const encoded = yield* encode({ model: "m", messages: [{ role: "user", content: "hi" }], tools: [tool], tool_choice: "none" })
      assert.notProperty(encoded.body as Record<string, unknown>, "tools")
    }))

  const refused: ReadonlyArray<readonly [string, Partial<ChatRequest.ChatRequest>, string]> = [
    ["n > 1", { n: 2 }, "n"],
    ["logprobs", { logprobs: true }, "logprobs"],
    ["logit_bias", { logit_bias: { "1": 5 } }, "logit_bias"],
    ["tool_choice", { tools: [tool], tool_choice: "required" }, "tool_choice"],
    ["tool_choice", { tools: [tool], tool_choice: { type: "function", function: { name: "get_temperature" } } }, "tool_choice"],
    ["image URLs", {
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }]
    }, "messages"],
    ["audio input", {
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }]
    }, "messages"],
    ["not a JSON object", {
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1,2]" } }] }
      ]
    }, "messages"]
  ]

  for (const [feature, fields, param] of refused) {
    it.effect(`refuses ${feature} (${param}) with BadRequest naming it and the provider`, () =>
      Effect.gen(function*() {
        const error = yield* encode({ model: "m", messages: [{ role: "user", content: "hi" }], ...fields }).pipe(Effect.flip)
        assert.strictEqual(error._tag, "BadRequest")
        assert.strictEqual(error.param, param)
        assert.include(error.message, feature)
        assert.include(error.message, "ollama")
      }))
  }
})
