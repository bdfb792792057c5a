/**
 * The canonical request as a Gemini `generateContent` body, and what is refused.
 * Format: https://ai.google.dev/api/generate-content, https://ai.google.dev/gemini-api/docs/function-calling,
 * https://ai.google.dev/gemini-api/docs/thinking, https://ai.google.dev/gemini-api/docs/thought-signatures.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ChatRequest } from "@switchyard/core"
import { Gemini } from "@switchyard/provider-google"

const context = { provider: "gemini", model: "gemini-2.5-flash" }

const encode = (request: ChatRequest.ChatRequest, stream = false) =>
  Gemini.dialect.encode(request, stream, context).pipe(Effect.map((e) => ({ ...e, body: e.body as Record<string, unknown> })))

const user = (content: string): ChatRequest.Message => ({ role: "user", content })

/** The body of a one-message request with `fields` added. */
const bodyWith = (fields: Partial<ChatRequest.ChatRequest>, model = "gemini-2.5-flash") =>
  encode({ model, messages: [user("hi")], ...fields }).pipe(Effect.map((e) => e.body))

const pathOf = (model: string, stream = false) => encode({ model, messages: [user("hi")] }, stream).pipe(Effect.map((e) => e.path))

const weather: ChatRequest.FunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { anyOf: [{ const: "c" }, { const: "f" }] } },
      required: ["city"],
      additionalProperties: false
    }
  }
}

const call = (id: string, name: string, args: string): ChatRequest.ToolCall => ({
  id,
  type: "function",
  function: { name, arguments: args }
})

describe("Gemini request encoding", () => {
  it.effect("maps system, turns, media, tools (JSON Schema untouched), tool results named by their call, generation settings", () =>
    Effect.gen(function*() {
      const { body, path } = yield* encode({
        model: "gemini-2.5-flash",
        messages: [
          { role: "system", content: "Answer in French." },
          { role: "developer", content: [{ type: "text", text: "Be brief." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "Weather where these were taken?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
              { type: "image_url", image_url: { url: "https://example.com/rome.webp?size=large", detail: "high" } },
              { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
              { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "trip.pdf" } }
            ]
          },
          {
            role: "assistant",
            content: "Checking both.",
            tool_calls: [call("call_a", "get_weather", "{\"city\":\"Paris\"}"), call("call_b", "get_weather", "{\"city\":\"Rome\"}")]
          },
          { role: "tool", tool_call_id: "call_a", content: "{\"temp\":18}" },
          { role: "tool", tool_call_id: "call_b", content: "sunny, 24°C" },
          user("And tomorrow?")
        ],
        tools: [weather],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        max_completion_tokens: 200,
        max_tokens: 999,
        temperature: 0.3,
        top_p: 0.9,
        stop: "\n\n",
        seed: 7,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
        response_format: {
          type: "json_schema",
          json_schema: { name: "w", schema: { type: "object", properties: { temp: { type: "number" } } } }
        }
      })
      assert.strictEqual(path, "models/gemini-2.5-flash:generateContent")
      assert.deepStrictEqual(body["systemInstruction"], { parts: [{ text: "Answer in French.\n\nBe brief." }] })
      assert.deepStrictEqual(body["contents"], [
        {
          role: "user",
          parts: [
            { text: "Weather where these were taken?" },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            { fileData: { mimeType: "image/webp", fileUri: "https://example.com/rome.webp?size=large" } },
            { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
            { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } }
          ]
        },
        {
          role: "model",
          parts: [
            { text: "Checking both." },
            { functionCall: { name: "get_weather", args: { city: "Paris" } } },
            { functionCall: { name: "get_weather", args: { city: "Rome" } } }
          ]
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { temp: 18 } } },
            { functionResponse: { name: "get_weather", response: { result: "sunny, 24°C" } } },
            { text: "And tomorrow?" }
          ]
        }
      ])
      assert.deepStrictEqual(body["tools"], [{
        functionDeclarations: [
          { name: "get_weather", description: "Current weather for a city", parametersJsonSchema: weather.function.parameters }
        ]
      }])
      assert.deepStrictEqual(body["toolConfig"], { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } })
      assert.deepStrictEqual(body["generationConfig"], {
        maxOutputTokens: 200,
        temperature: 0.3,
        topP: 0.9,
        stopSequences: ["\n\n"],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object", properties: { temp: { type: "number" } } }
      })
    }))

  it.effect("streams to :streamGenerateContent?alt=sse; a resource name the request gives is kept", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* pathOf("gemma-4-31b-it", true), "models/gemma-4-31b-it:streamGenerateContent?alt=sse")
      assert.strictEqual(yield* pathOf("models/gemini-2.5-pro"), "models/gemini-2.5-pro:generateContent")
      assert.strictEqual(yield* pathOf("tunedModels/faq-bot-7f3a"), "tunedModels/faq-bot-7f3a:generateContent")
    }))

  it.effect("a plain request has only contents; tool_choice auto/none/required map to AUTO/NONE/ANY", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* bodyWith({}), { contents: [{ role: "user", parts: [{ text: "hi" }] }] })
      for (const [choice, mode] of [["auto", "AUTO"], ["none", "NONE"], ["required", "ANY"]] as const) {
        const body = yield* bodyWith({ tools: [weather], tool_choice: choice })
        assert.deepStrictEqual(body["toolConfig"], { functionCallingConfig: { mode } })
      }
    }))

  it.effect("json_object and a json_schema without schema ask for JSON only", () =>
    Effect.gen(function*() {
      const object = yield* bodyWith({ response_format: { type: "json_object" } })
      assert.deepStrictEqual(object["generationConfig"], { responseMimeType: "application/json" })
      const bare = yield* bodyWith({ response_format: { type: "json_schema", json_schema: { name: "x" } } })
      assert.deepStrictEqual(bare["generationConfig"], { responseMimeType: "application/json" })
    }))

  it.effect("reasoning effort: a token budget on Gemini 2.x, a level on Gemini 3+, minimal or high on Gemma 4", () =>
    Effect.gen(function*() {
      const thinking = (model: string, reasoning_effort: ChatRequest.ChatRequest["reasoning_effort"]) =>
        bodyWith(reasoning_effort === undefined ? {} : { reasoning_effort }, model).pipe(
          Effect.map((body) => (body["generationConfig"] as Record<string, unknown> | undefined)?.["thinkingConfig"])
        )
      assert.deepStrictEqual(yield* thinking("gemini-2.5-flash", "none"), { thinkingBudget: 0, includeThoughts: false })
      assert.deepStrictEqual(yield* thinking("gemini-2.5-pro", "high"), { thinkingBudget: 24576, includeThoughts: true })
      assert.deepStrictEqual(yield* thinking("gemini-3-flash-preview", "low"), { thinkingLevel: "low", includeThoughts: true })
      assert.deepStrictEqual(yield* thinking("gemini-3.5-flash", "xhigh"), { thinkingLevel: "high", includeThoughts: true })
      assert.deepStrictEqual(yield* thinking("gemini-flash-latest", "none"), { thinkingLevel: "minimal", includeThoughts: false })
      assert.deepStrictEqual(yield* thinking("gemma-4-31b-it", "medium"), { thinkingLevel: "high", includeThoughts: true })
      assert.deepStrictEqual(yield* thinking("gemma-4-26b-a4b-it", "low"), { thinkingLevel: "minimal", includeThoughts: true })
      assert.isUndefined(yield* thinking("gemini-3-pro-preview", undefined))
    }))

  it.effect("on Gemini 3+, the first replayed function call of each turn carries the skip-validation signature", () =>
    Effect.gen(function*() {
      const history = (model: string): ChatRequest.ChatRequest => ({
        model,
        messages: [
          user("Time in Tokyo and Lima?"),
          {
            role: "assistant",
            content: null,
            tool_calls: [call("c1", "get_time", "{\"zone\":\"Asia/Tokyo\"}"), call("c2", "get_time", "{\"zone\":\"America/Lima\"}")]
          },
          { role: "tool", tool_call_id: "c1", content: "09:00" },
          { role: "tool", tool_call_id: "c2", content: "19:00" },
          { role: "assistant", content: null, tool_calls: [call("c3", "get_date", "")] },
          { role: "tool", tool_call_id: "c3", content: "[\"2026-03-02\"]" }
        ]
      })
      type Contents = Array<{ role: string; parts: Array<Record<string, unknown>> }>
      const modelParts = (body: Record<string, unknown>) =>
        (body["contents"] as Contents).filter((c) => c.role === "model").map((c) => c.parts)
      const gemini3 = modelParts((yield* encode(history("gemini-3-pro-preview"))).body)
      assert.deepStrictEqual(gemini3, [
        [
          { functionCall: { name: "get_time", args: { zone: "Asia/Tokyo" } }, thoughtSignature: "skip_thought_signature_validator" },
          { functionCall: { name: "get_time", args: { zone: "America/Lima" } } }
        ],
        [{ functionCall: { name: "get_date", args: {} }, thoughtSignature: "skip_thought_signature_validator" }]
      ])
      const last = (yield* encode(history("gemini-3-pro-preview"))).body["contents"] as Array<Record<string, unknown>>
      assert.deepStrictEqual(last[last.length - 1], {
        role: "user",
        parts: [{ functionResponse: { name: "get_date", response: { result: ["2026-03-02"] } } }]
      })
      for (const model of ["gemini-2.5-flash", "gemma-4-31b-it"]) {
        const parts = modelParts((yield* encode(history(model))).body).flat()
        assert.isTrue(parts.every((p) => !("thoughtSignature" in p)), model)
      }
    }))

  it.effect("service_tier flex and priority are sent; auto and default are the standard tier", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* bodyWith({ service_tier: "flex" }))["serviceTier"], "flex")
      assert.strictEqual((yield* bodyWith({ service_tier: "priority" }))["serviceTier"], "priority")
      assert.notProperty(yield* bodyWith({ service_tier: "default" }), "serviceTier")
    }))

  it.effect("an assistant turn with nothing to say adds no empty content; parallel_tool_calls false without tools is harmless", () =>
    Effect.gen(function*() {
      const { body } = yield* encode({
        model: "gemini-2.5-flash",
        messages: [user("a"), { role: "assistant", content: null }, user("b")],
        parallel_tool_calls: false
      })
      assert.deepStrictEqual(body["contents"], [{ role: "user", parts: [{ text: "a" }, { text: "b" }] }])
    }))

  const refused: ReadonlyArray<readonly [string, Partial<ChatRequest.ChatRequest>, string, string]> = [
    ["logprobs", { logprobs: true }, "logprobs", "logprobs"],
    ["top_logprobs", { top_logprobs: 3 }, "top_logprobs", "top_logprobs"],
    ["logit_bias", { logit_bias: { "42": 5 } }, "logit_bias", "logit_bias"],
    ["parallel tool calls off", { tools: [weather], parallel_tool_calls: false }, "parallel_tool_calls", "parallel tool calls"],
    ["an unknown service tier", { service_tier: "scale" }, "service_tier", "service tier \"scale\""],
    [
      "a file id",
      { messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }] },
      "messages[0].content[0]",
      "file ids"
    ],
    [
      "a tool result for an unknown call",
      { messages: [user("x"), { role: "tool", tool_call_id: "call_missing", content: "1" }] },
      "messages[1].tool_call_id",
      "call_missing"
    ],
    [
      "tool call arguments that are not JSON",
      { messages: [user("x"), { role: "assistant", tool_calls: [call("c", "f", "{city:")] }] },
      "messages[1].tool_calls[0].function.arguments",
      "not valid JSON"
    ],
    [
      "tool call arguments that are not an object",
      { messages: [user("x"), { role: "assistant", tool_calls: [call("c", "f", "[1,2]")] }] },
      "messages[1].tool_calls[0].function.arguments",
      "JSON object"
    ]
  ]
  for (const [feature, fields, param, wording] of refused) {
    it.effect(`refuses ${feature} with BadRequest naming it, its field and the provider`, () =>
      Effect.gen(function*() {
        const error = yield* encode({ model: "gemini-2.5-flash", messages: [user("x")], ...fields }).pipe(Effect.flip)
        assert.strictEqual(error._tag, "BadRequest")
        assert.strictEqual(error.param, param)
        assert.include(error.message, "gemini (Gemini)")
        assert.include(error.message, wording)
      }))
  }
})
