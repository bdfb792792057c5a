/**
 * Every feature can be tried with no key: on the built-in demo provider, tools are called with
 * schema-valid arguments and answered from the tool result, structured output honours its schema,
 * streamed or not; and Anthropic's token count answers on its own path.
 */
import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { serveConfig } from "./harness.ts"

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer", minimum: 1 } },
      required: ["city", "unit", "days"]
    }
  }
}

const setup = Effect.map(serveConfig({ providers: { demo: { kind: "demo" } } }), (url) => ({
  url,
  openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
}))

describe("the demo provider's features", () => {
  it.live("tools: a call with arguments the schema accepts, then an answer from the tool's result", () =>
    Effect.gen(function*() {
      const { openai } = yield* setup
      const messages: Array<OpenAI.ChatCompletionMessageParam> = [{ role: "user", content: "Weather in Paris?" }]
      const first = yield* Effect.promise(() => openai.chat.completions.create({ model: "demo", messages, tools: [weather] }))
      const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall
      assert.strictEqual(first.choices[0]!.finish_reason, "tool_calls")
      assert.strictEqual(call.function.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "demo", unit: "celsius", days: 1 })
      const streamed = yield* Effect.promise(() =>
        openai.chat.completions.stream({ model: "demo", messages, tools: [weather] }).finalChatCompletion()
      )
      assert.strictEqual((streamed.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments, call.function.arguments)
      const final = yield* Effect.promise(() =>
        openai.chat.completions.create({
          model: "demo",
          tools: [weather],
          messages: [...messages, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "18°C and sunny" }]
        })
      )
      assert.include(final.choices[0]!.message.content ?? "", "18°C and sunny")
      assert.strictEqual(final.choices[0]!.finish_reason, "stop")
    }))

  it.live("structured output: an object the json_schema accepts, not a 422", () =>
    Effect.gen(function*() {
      const { openai } = yield* setup
      const schema = {
        type: "object",
        properties: { issues: { type: "array", minItems: 3, items: { type: "object", properties: { severity: { enum: ["high", "low"] } }, required: ["severity"] } } },
        required: ["issues"],
        additionalProperties: false
      }
      const answer = yield* Effect.promise(() =>
        openai.chat.completions.create({
          model: "demo",
          messages: [{ role: "user", content: "Review this." }],
          response_format: { type: "json_schema", json_schema: { name: "review", schema } }
        })
      )
      assert.deepStrictEqual(JSON.parse(answer.choices[0]!.message.content!), { issues: [{ severity: "high" }, { severity: "high" }, { severity: "high" }] })
    }))

  it.live("POST /v1/messages/count_tokens gives the estimate, marked; errors there are Anthropic's", () =>
    Effect.gen(function*() {
      const { url } = yield* setup
      const anthropic = new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0 })
      const counted = yield* Effect.promise(() =>
        anthropic.messages.countTokens({ model: "demo", messages: [{ role: "user", content: "Hello there, how are you doing today?" }] })
      )
      assert.isAbove(counted.input_tokens, 8)
      assert.isBelow(counted.input_tokens, 30)
      const raw = yield* Effect.promise(() =>
        fetch(`${url}/v1/messages/count_tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      )
      assert.strictEqual(raw.status, 400)
      assert.strictEqual(((yield* Effect.promise(() => raw.json())) as { type: string }).type, "error")
      const marked = yield* Effect.promise(() =>
        fetch(`${url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] })
        })
      )
      assert.strictEqual(marked.headers.get("x-switchyard-estimate-method"), "approx:o200k_base")
      const elsewhere = yield* Effect.promise(() => fetch(`${url}/v1/messages/batches`, { method: "POST", body: "{}" }))
      assert.strictEqual(elsewhere.status, 404)
      assert.strictEqual(((yield* Effect.promise(() => elsewhere.json())) as { type: string }).type, "error")
    }))
})
