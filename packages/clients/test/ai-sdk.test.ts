/**
 * The Vercel AI SDK (`ai`) against the gateway through each of its providers that can point at it:
 *
 * - `@ai-sdk/openai`: `openai(model)` speaks the Responses API (`/v1/responses`), `openai.chat(model)`
 *   Chat Completions; `openai.embedding(model)` embeddings.
 * - `@ai-sdk/anthropic`: `/v1/messages`.
 * - `@ai-sdk/openai-compatible`: Chat Completions, embeddings.
 *
 * For each language model: `generateText`, `streamText`, a tool call (whole and streamed),
 * structured output (`Output.object`), an upstream 429 (`APICallError`), and the other dialect's
 * upstream behind it.
 */
import { createAnthropic } from "@ai-sdk/anthropic"
import { createOpenAI } from "@ai-sdk/openai"
import { createOpenAICompatible } from "@ai-sdk/openai-compatible"
import { assert, describe, it } from "@effect/vitest"
import {
  APICallError,
  embed,
  embedMany,
  generateText,
  jsonSchema,
  type LanguageModel,
  Output,
  stepCountIs,
  streamText,
  tool
} from "ai"
import { Effect } from "effect"
import { AnthropicWire, EmbeddingsWire, OpenAiChatWire } from "@switchyard/testing"
import {
  afterToolScript,
  answersInTurn,
  answerWith,
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
  type Upstream,
  weatherSchema
} from "./gateway.ts"

/** All three take the base URL WITH `/v1`, as their defaults (`https://api.openai.com/v1`, `https://api.anthropic.com/v1`) do. */
const openaiProvider = (url: string) => createOpenAI({ baseURL: `${url}/v1`, apiKey: "sk-dummy" })
const anthropicProvider = (url: string) => createAnthropic({ baseURL: `${url}/v1`, apiKey: "sk-ant-dummy" })
const compatibleProvider = (url: string) =>
  createOpenAICompatible({
    name: "switchyard",
    baseURL: `${url}/v1`,
    apiKey: "sk-dummy",
    // Without it the stream carries no usage (the SDK asks `stream_options.include_usage` only then).
    includeUsage: true,
    // Without it `Output.object` sends `response_format: {type: "json_object"}` and the schema only in the prompt.
    supportsStructuredOutputs: true
  })

interface Variant {
  readonly name: string
  /** The language model for a model id, at the gateway `url`. */
  readonly model: (url: string, id: string) => LanguageModel
  /** Its own dialect's alias and the other dialect's (the cross-dialect case). */
  readonly native: string
  readonly cross: string
  /** Speaks the Responses API (`/v1/responses`). */
  readonly responsesApi?: boolean
}

const variants: ReadonlyArray<Variant> = [
  { name: "@ai-sdk/openai openai(model) (Responses API)", model: (url, id) => openaiProvider(url)(id), native: gptModel, cross: claudeModel, responsesApi: true },
  { name: "@ai-sdk/openai openai.chat(model) (Chat Completions)", model: (url, id) => openaiProvider(url).chat(id), native: gptModel, cross: claudeModel },
  { name: "@ai-sdk/anthropic", model: (url, id) => anthropicProvider(url)(id), native: claudeModel, cross: gptModel },
  { name: "@ai-sdk/openai-compatible", model: (url, id) => compatibleProvider(url).chatModel(id), native: gptModel, cross: claudeModel }
]

const weatherTool = tool({
  description: "Current weather for a city",
  inputSchema: jsonSchema<{ city: string }>(weatherSchema),
  execute: async ({ city }) => `Sunny in ${city}`
})

const placeSchema = jsonSchema<{ city: string; country: string }>({
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
})

/** The upstream an alias routes to. */
const upstreamFor = (g: { readonly openai: Upstream; readonly anthropic: Upstream }, id: string) =>
  id === claudeModel ? g.anthropic : g.openai

for (const variant of variants) {
  describe(variant.name, () => {
    for (const [label, id] of [["", variant.native], ["cross-dialect: ", variant.cross]] as const) {
      it.live(`${label}plain text`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answerWith(g, plainScript)
          const result = yield* Effect.promise(() =>
            generateText({ model: variant.model(g.url, id), system: "Be terse.", prompt: "Capital of France?", maxRetries: 0 })
          )
          assert.strictEqual(result.text, "Paris.")
          assert.strictEqual(result.finishReason, "stop")
          assert.strictEqual(result.usage.inputTokens, 12)
          assert.strictEqual(result.usage.outputTokens, 2)
          assert.lengthOf(yield* upstreamFor(g, id).requests, 1)
        }))

      it.live(`${label}streamed text`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answerWith(g, streamScript)
          const deltas: Array<string> = []
          const result = streamText({ model: variant.model(g.url, id), prompt: "hi", maxRetries: 0 })
          yield* Effect.promise(async () => {
            for await (const delta of result.textStream) deltas.push(delta)
          })
          assert.strictEqual(deltas.join(""), pieces.join(""))
          assert.strictEqual(yield* Effect.promise(() => Promise.resolve(result.finishReason)), "stop")
          const usage = yield* Effect.promise(() => Promise.resolve(result.usage))
          assert.strictEqual(usage.outputTokens, 5)
        }))

      it.live(`${label}a streamed tool call`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answerWith(g, toolScript)
          const result = streamText({
            model: variant.model(g.url, id),
            prompt: "Weather in Paris?",
            tools: { get_weather: weatherTool },
            maxRetries: 0
          })
          let inputDeltas = 0
          yield* Effect.promise(async () => {
            for await (const part of result.fullStream) {
              if (part.type === "tool-input-delta") inputDeltas++
              if (part.type === "error") throw part.error
            }
          })
          const calls = yield* Effect.promise(() => Promise.resolve(result.toolCalls))
          assert.lengthOf(calls, 1)
          assert.strictEqual(calls[0]?.toolName, "get_weather")
          assert.deepStrictEqual(calls[0]?.input, { city: "Paris" })
          assert.strictEqual(yield* Effect.promise(() => Promise.resolve(result.finishReason)), "tool-calls")
          assert.isAtLeast(inputDeltas, 2)
        }))
    }

    it.live("a tool call", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, toolScript)
        const result = yield* Effect.promise(() =>
          generateText({ model: variant.model(g.url, variant.native), prompt: "Weather in Paris?", tools: { get_weather: weatherTool }, maxRetries: 0 })
        )
        assert.lengthOf(result.toolCalls, 1)
        assert.strictEqual(result.toolCalls[0]?.toolName, "get_weather")
        assert.deepStrictEqual(result.toolCalls[0]?.input, { city: "Paris" })
        assert.strictEqual(result.finishReason, "tool-calls")
        assert.strictEqual(result.text, "Let me check.")
        assert.deepStrictEqual(result.toolResults.map((r) => r.output), ["Sunny in Paris"])
        assert.lengthOf(yield* upstreamFor(g, variant.native).requests, 1)
      }))

    for (const [label, id] of [["", variant.native], ["cross-dialect: ", variant.cross]] as const) {
      // On the Responses API, with its default `store: true`, @ai-sdk/openai sends the second step's
      // assistant text as `{"type": "item_reference", "id": "msg_..."}`: the gateway's ResponseStore
      // resolves it. With `providerOptions: { openai: { store: false } }` it sends the whole item:
      // tested below.
      it.live(`${label}a tool round trip (stopWhen: stepCountIs(2)): the tool's result goes back`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answersInTurn(g, toolScript, afterToolScript)
          const result = yield* Effect.promise(() =>
            generateText({
              model: variant.model(g.url, id),
              prompt: "Weather in Paris?",
              tools: { get_weather: weatherTool },
              stopWhen: stepCountIs(2),
              maxRetries: 0
            })
          )
          assert.strictEqual(result.text, "Sunny in Paris.")
          assert.lengthOf(result.steps, 2)
          const [, second] = yield* sentBodies(upstreamFor(g, id))
          assert.include(JSON.stringify(second), "Sunny in Paris")
          assert.include(JSON.stringify(second), result.steps[0]!.toolCalls[0]!.toolCallId)
        }))

      if (variant.responsesApi) {
        it.live(`${label}a tool round trip with providerOptions.openai.store = false`, () =>
          Effect.gen(function*() {
            const g = yield* gateway
            yield* answersInTurn(g, toolScript, afterToolScript)
            const result = yield* Effect.promise(() =>
              generateText({
                model: variant.model(g.url, id),
                prompt: "Weather in Paris?",
                tools: { get_weather: weatherTool },
                stopWhen: stepCountIs(2),
                providerOptions: { openai: { store: false } },
                maxRetries: 0
              })
            )
            assert.strictEqual(result.text, "Sunny in Paris.")
            const [, second] = yield* sentBodies(upstreamFor(g, id))
            assert.include(JSON.stringify(second), "Sunny in Paris")
          }))
      }
    }

    it.live("structured output: Output.object with a JSON schema", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, jsonScript)
        const result = yield* Effect.promise(() =>
          generateText({
            model: variant.model(g.url, variant.native),
            prompt: "Where is the Eiffel tower?",
            output: Output.object({ schema: placeSchema }),
            maxRetries: 0
          })
        )
        assert.deepStrictEqual(result.output, { city: "Paris", country: "France" })
        const sent = (yield* sentBodies(upstreamFor(g, variant.native)))[0]!
        // The schema reaches the upstream as a structured-output request, not only as prompt text.
        if (variant.native === claudeModel) assert.strictEqual(sent["output_format"]?.type, "json_schema")
        else assert.strictEqual(sent["response_format"]?.type, "json_schema")
      }))

    it.live("an upstream 429 is an APICallError with status 429", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* g.openai.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429, { retryAfter: 1 }))
        yield* g.anthropic.enqueue(AnthropicWire.route, AnthropicWire.error(429, { retryAfter: 1 }))
        const error = yield* failure(() => generateText({ model: variant.model(g.url, variant.native), prompt: "hi", maxRetries: 0 }))
        assert.isTrue(APICallError.isInstance(error), `expected an APICallError, got ${String(error)}`)
        const call = error as APICallError
        assert.strictEqual(call.statusCode, 429)
        assert.isTrue(call.isRetryable)
      }))
  })
}

describe("AI SDK embeddings", () => {
  const models = [
    ["@ai-sdk/openai openai.embedding(model)", (url: string) => openaiProvider(url).embedding(embeddingModel)],
    ["@ai-sdk/openai-compatible embeddingModel(model)", (url: string) => compatibleProvider(url).embeddingModel(embeddingModel)]
  ] as const
  for (const [name, model] of models) {
    it.live(`${name}: embed and embedMany`, () =>
      Effect.gen(function*() {
        const g = yield* gateway
        const one = yield* Effect.promise(() => embed({ model: model(g.url), value: "hello world", maxRetries: 0 }))
        assert.deepStrictEqual(one.embedding, EmbeddingsWire.vectorFor("hello world"))
        assert.strictEqual(one.usage.tokens, 2)
        const many = yield* Effect.promise(() => embedMany({ model: model(g.url), values: ["alpha", "beta", "gamma"], maxRetries: 0 }))
        assert.deepStrictEqual(many.embeddings, ["alpha", "beta", "gamma"].map((text) => EmbeddingsWire.vectorFor(text)))
      }))
  }
})
