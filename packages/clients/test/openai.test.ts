/**
 * The official `openai` SDK against the gateway: Chat Completions and Responses (plain, streamed,
 * tools whole and streamed, json_schema structured output), an upstream 429, embeddings, the model
 * list, and the Anthropic upstream behind the OpenAI dialect.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { EmbeddingsWire, OpenAiChatWire } from "@switchyard/testing"
import {
  afterToolScript,
  answersInTurn,
  answerWith,
  citySchema,
  claudeModel,
  embeddingModel,
  failure,
  gateway,
  gptModel,
  jsonScript,
  pieces,
  plainScript,
  sentBodies,
  streamScript,
  toolScript,
  weatherSchema
} from "./gateway.ts"

/** Base URL with `/v1`, as for api.openai.com; any key (the gateway has no client keys here). */
const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-dummy", maxRetries: 0 })

const chatTool = {
  type: "function" as const,
  function: { name: "get_weather", description: "Current weather for a city", parameters: weatherSchema }
}
const responsesTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather for a city",
  parameters: weatherSchema,
  strict: true
}

describe("openai SDK: Chat Completions", () => {
  it.live("plain text", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, plainScript)
      const completion = yield* Effect.promise(() =>
        client(g.url).chat.completions.create({ model: gptModel, messages: [{ role: "user", content: "Capital of France?" }] })
      )
      assert.strictEqual(completion.choices[0]?.message.content, "Paris.")
      assert.strictEqual(completion.choices[0]?.finish_reason, "stop")
      assert.strictEqual(completion.usage?.prompt_tokens, 12)
      assert.strictEqual((yield* sentBodies(g.openai))[0]?.["model"], gptModel)
    }))

  it.live("streamed text, with the usage chunk", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, streamScript)
      const stream = yield* Effect.promise(() =>
        client(g.url).chat.completions.create({
          model: gptModel,
          messages: [{ role: "user", content: "hi" }],
          stream: true,
          stream_options: { include_usage: true }
        })
      )
      const deltas: Array<string> = []
      let usage: OpenAI.CompletionUsage | undefined
      yield* Effect.promise(async () => {
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content
          if (delta) deltas.push(delta)
          if (chunk.usage) usage = chunk.usage
        }
      })
      assert.strictEqual(deltas.join(""), pieces.join(""))
      assert.strictEqual(usage?.completion_tokens, 5)
    }))

  it.live("a tool call", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, toolScript)
      const completion = yield* Effect.promise(() =>
        client(g.url).chat.completions.create({ model: gptModel, messages: [{ role: "user", content: "Weather in Paris?" }], tools: [chatTool] })
      )
      const call = completion.choices[0]?.message.tool_calls?.[0]
      if (call?.type !== "function") return assert.fail("expected a function call")
      assert.strictEqual(call.function.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "Paris" })
      assert.strictEqual(completion.choices[0]?.finish_reason, "tool_calls")
    }))

  it.live("a streamed tool call, reassembled by the stream helper", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, toolScript)
      const runner = client(g.url).chat.completions.stream({
        model: gptModel,
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [chatTool]
      })
      const final = yield* Effect.promise(() => runner.finalChatCompletion())
      const call = final.choices[0]?.message.tool_calls?.[0]
      if (call?.type !== "function") return assert.fail("expected a function call")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "Paris" })
      assert.strictEqual(final.choices[0]?.message.content, "Let me check.")
    }))

  for (const model of [gptModel, claudeModel]) {
    it.live(`a tool round trip: the tool message goes back${model === claudeModel ? " (cross-dialect)" : ""}`, () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answersInTurn(g, toolScript, afterToolScript)
        const openai = client(g.url)
        const messages: Array<OpenAI.ChatCompletionMessageParam> = [{ role: "user", content: "Weather in Paris?" }]
        const first = yield* Effect.promise(() => openai.chat.completions.create({ model, messages, tools: [chatTool] }))
        const call = first.choices[0]!.message.tool_calls![0]!
        const second = yield* Effect.promise(() =>
          openai.chat.completions.create({
            model,
            tools: [chatTool],
            messages: [...messages, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "Sunny, 21°C" }]
          })
        )
        assert.strictEqual(second.choices[0]?.message.content, "Sunny in Paris.")
        const [, sent] = yield* sentBodies(model === claudeModel ? g.anthropic : g.openai)
        assert.include(JSON.stringify(sent), "Sunny, 21°C")
        assert.include(JSON.stringify(sent), call.id)
      }))
  }

  it.live("structured output: chat.completions.parse with a json_schema response_format", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, jsonScript)
      const completion = yield* Effect.promise(() =>
        client(g.url).chat.completions.parse({
          model: gptModel,
          messages: [{ role: "user", content: "Where is the Eiffel tower?" }],
          response_format: { type: "json_schema", json_schema: { name: "place", schema: citySchema, strict: true } }
        })
      )
      assert.deepStrictEqual(completion.choices[0]?.message.parsed, { city: "Paris", country: "France" })
      const sent = (yield* sentBodies(g.openai))[0]!
      assert.strictEqual(sent["response_format"]?.type, "json_schema")
    }))

  it.live("an upstream 429 is the SDK's RateLimitError", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* g.openai.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 3 }))
      const error = yield* failure(() =>
        client(g.url).chat.completions.create({ model: gptModel, messages: [{ role: "user", content: "hi" }] })
      )
      assert.instanceOf(error, OpenAI.RateLimitError)
      assert.strictEqual((error as InstanceType<typeof OpenAI.RateLimitError>).status, 429)
    }))

  it.live("cross-dialect: a streamed tool call from the Anthropic upstream", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, toolScript)
      const runner = client(g.url).chat.completions.stream({
        model: claudeModel,
        messages: [{ role: "system", content: "Be terse." }, { role: "user", content: "Weather in Paris?" }],
        tools: [chatTool],
        stream_options: { include_usage: true }
      })
      const final = yield* Effect.promise(() => runner.finalChatCompletion())
      const call = final.choices[0]?.message.tool_calls?.[0]
      if (call?.type !== "function") return assert.fail("expected a function call")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "Paris" })
      assert.strictEqual(final.choices[0]?.finish_reason, "tool_calls")
      assert.strictEqual(final.usage?.prompt_tokens, 40)
      const sent = (yield* sentBodies(g.anthropic))[0]!
      assert.strictEqual(sent["system"], "Be terse.")
      assert.strictEqual(sent["model"], claudeModel)
    }))

  it.live("cross-dialect: plain text from the Anthropic upstream", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, plainScript)
      const completion = yield* Effect.promise(() =>
        client(g.url).chat.completions.create({ model: claudeModel, messages: [{ role: "user", content: "Capital of France?" }] })
      )
      assert.strictEqual(completion.choices[0]?.message.content, "Paris.")
      assert.lengthOf(yield* g.anthropic.requests, 1)
    }))
})

describe("openai SDK: Responses", () => {
  it.live("plain text", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, plainScript)
      const response = yield* Effect.promise(() =>
        client(g.url).responses.create({ model: gptModel, instructions: "Be terse.", input: "Capital of France?" })
      )
      assert.strictEqual(response.output_text, "Paris.")
      assert.strictEqual(response.usage?.input_tokens, 12)
    }))

  it.live("streamed text", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, streamScript)
      const stream = client(g.url).responses.stream({ model: gptModel, input: "hi" })
      const deltas: Array<string> = []
      stream.on("response.output_text.delta", (event) => deltas.push(event.delta))
      const final = yield* Effect.promise(() => stream.finalResponse())
      assert.strictEqual(deltas.join(""), pieces.join(""))
      assert.strictEqual(final.output_text, pieces.join(""))
    }))

  it.live("a function call", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, toolScript)
      const response = yield* Effect.promise(() =>
        client(g.url).responses.create({ model: gptModel, input: "Weather in Paris?", tools: [responsesTool] })
      )
      const call = response.output.find((item) => item.type === "function_call")
      if (call?.type !== "function_call") return assert.fail("expected a function_call item")
      assert.deepStrictEqual(JSON.parse(call.arguments), { city: "Paris" })
    }))

  it.live("a streamed function call", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, toolScript)
      const stream = client(g.url).responses.stream({ model: gptModel, input: "Weather in Paris?", tools: [responsesTool] })
      let argumentDeltas = 0
      stream.on("response.function_call_arguments.delta", () => argumentDeltas++)
      const final = yield* Effect.promise(() => stream.finalResponse())
      const call = final.output.find((item) => item.type === "function_call")
      if (call?.type !== "function_call") return assert.fail("expected a function_call item")
      assert.deepStrictEqual(JSON.parse(call.arguments), { city: "Paris" })
      assert.isAtLeast(argumentDeltas, 2)
    }))

  it.live("a function call round trip: the output items and function_call_output go back whole", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answersInTurn(g, toolScript, afterToolScript)
      const openai = client(g.url)
      const input: Array<OpenAI.Responses.ResponseInputItem> = [{ role: "user", content: "Weather in Paris?" }]
      const first = yield* Effect.promise(() => openai.responses.create({ model: gptModel, input, tools: [responsesTool] }))
      const call = first.output.find((item) => item.type === "function_call")
      if (call?.type !== "function_call") return assert.fail("expected a function_call item")
      const second = yield* Effect.promise(() =>
        openai.responses.create({
          model: gptModel,
          tools: [responsesTool],
          input: [
            ...input,
            ...(first.output as Array<OpenAI.Responses.ResponseInputItem>),
            { type: "function_call_output", call_id: call.call_id, output: "Sunny, 21°C" }
          ]
        })
      )
      assert.strictEqual(second.output_text, "Sunny in Paris.")
      const [, sent] = yield* sentBodies(g.openai)
      assert.include(JSON.stringify(sent), "Sunny, 21°C")
    }))

  it.live("structured output: responses.parse with a json_schema text format", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, jsonScript)
      const response = yield* Effect.promise(() =>
        client(g.url).responses.parse({
          model: gptModel,
          input: "Where is the Eiffel tower?",
          text: { format: { type: "json_schema", name: "place", schema: citySchema, strict: true } }
        })
      )
      assert.deepStrictEqual(response.output_parsed, { city: "Paris", country: "France" })
    }))

  it.live("an upstream 429 is the SDK's RateLimitError", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* g.openai.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429))
      const error = yield* failure(() => client(g.url).responses.create({ model: gptModel, input: "hi" }))
      assert.instanceOf(error, OpenAI.RateLimitError)
    }))

  it.live("cross-dialect: streamed text from the Anthropic upstream", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* answerWith(g, streamScript)
      const final = yield* Effect.promise(() => client(g.url).responses.stream({ model: claudeModel, input: "hi" }).finalResponse())
      assert.strictEqual(final.output_text, pieces.join(""))
      assert.lengthOf(yield* g.anthropic.requests, 1)
    }))
})

describe("openai SDK: embeddings and models", () => {
  it.live("embeddings, in the SDK's default base64 encoding and as floats", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      const openai = client(g.url)
      const decoded = yield* Effect.promise(() => openai.embeddings.create({ model: embeddingModel, input: ["one", "two"] }))
      assert.deepStrictEqual(decoded.data.map((d) => d.embedding), [EmbeddingsWire.vectorFor("one"), EmbeddingsWire.vectorFor("two")])
      const floats = yield* Effect.promise(() =>
        openai.embeddings.create({ model: embeddingModel, input: "three", encoding_format: "float" })
      )
      assert.deepStrictEqual(floats.data[0]?.embedding, EmbeddingsWire.vectorFor("three"))
    }))

  it.live("models.list names the configured aliases", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      const ids: Array<string> = []
      yield* Effect.promise(async () => {
        for await (const model of client(g.url).models.list()) ids.push(model.id)
      })
      for (const alias of [gptModel, claudeModel, embeddingModel]) assert.include(ids, alias)
    }))
})
