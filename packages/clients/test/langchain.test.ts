/**
 * LangChain (`@langchain/openai`, `@langchain/anthropic`, `@langchain/core`) against the gateway:
 * `ChatOpenAI` over Chat Completions and over the Responses API (`useResponsesApi: true`),
 * `ChatAnthropic` over `/v1/messages`, each with `invoke`, `stream`, `bindTools` (whole and streamed),
 * `withStructuredOutput`, an upstream 429, and the other dialect's upstream behind it; plus
 * `OpenAIEmbeddings`.
 */
import { ChatAnthropic } from "@langchain/anthropic"
import type { BaseChatModel } from "@langchain/core/language_models/chat_models"
import { type AIMessageChunk, HumanMessage, type UsageMetadata } from "@langchain/core/messages"
import { tool } from "@langchain/core/tools"
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { z } from "zod"
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
  type Upstream
} from "./gateway.ts"

/** `configuration.baseURL` WITH `/v1` (it is the `openai` SDK's `baseURL`). */
const chatOpenAI = (url: string, model: string, options: { readonly useResponsesApi?: boolean } = {}) =>
  new ChatOpenAI({ model, apiKey: "sk-dummy", configuration: { baseURL: `${url}/v1` }, maxRetries: 0, ...options })

/** `anthropicApiUrl` WITHOUT `/v1` (it is the Anthropic SDK's `baseURL`). */
const chatAnthropic = (url: string, model: string) =>
  new ChatAnthropic({ model, apiKey: "sk-ant-dummy", anthropicApiUrl: url, maxRetries: 0 })

const getWeather = tool(async ({ city }) => `Sunny in ${city}`, {
  name: "get_weather",
  description: "Current weather for a city",
  schema: z.object({ city: z.string() })
})

const Place = z.object({ city: z.string(), country: z.string() })

interface Variant {
  readonly name: string
  readonly model: (url: string, id: string) => BaseChatModel
  readonly native: string
  readonly cross: string
}

const variants: ReadonlyArray<Variant> = [
  { name: "ChatOpenAI (Chat Completions)", model: (url, id) => chatOpenAI(url, id), native: gptModel, cross: claudeModel },
  {
    name: "ChatOpenAI (useResponsesApi: true)",
    model: (url, id) => chatOpenAI(url, id, { useResponsesApi: true }),
    native: gptModel,
    cross: claudeModel
  },
  { name: "ChatAnthropic", model: (url, id) => chatAnthropic(url, id), native: claudeModel, cross: gptModel }
]

const upstreamFor = (g: { readonly openai: Upstream; readonly anthropic: Upstream }, id: string) =>
  id === claudeModel ? g.anthropic : g.openai

/** Every chunk of a stream, concatenated into one message. */
const collect = (stream: Promise<AsyncIterable<AIMessageChunk>>) =>
  Effect.promise(async () => {
    let whole: AIMessageChunk | undefined
    let count = 0
    for await (const chunk of await stream) {
      whole = whole === undefined ? chunk : whole.concat(chunk)
      count++
    }
    if (whole === undefined) throw new Error("empty stream")
    return { whole, count }
  })

/** A message's `usage_metadata` (typed loosely: its declared type depends on the message structure). */
const usageOf = (message: unknown): UsageMetadata | undefined => (message as { usage_metadata?: UsageMetadata }).usage_metadata

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : (content as Array<{ type: string; text?: string }>).filter((b) => b.type === "text").map((b) => b.text ?? "").join("")

for (const variant of variants) {
  describe(`LangChain ${variant.name}`, () => {
    for (const [label, id] of [["", variant.native], ["cross-dialect: ", variant.cross]] as const) {
      it.live(`${label}invoke: plain text`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answerWith(g, plainScript)
          const message = yield* Effect.promise(() =>
            variant.model(g.url, id).invoke([["system", "Be terse."], ["human", "Capital of France?"]])
          )
          assert.strictEqual(textOf(message.content), "Paris.")
          assert.strictEqual(usageOf(message)?.input_tokens, 12)
          assert.lengthOf(yield* upstreamFor(g, id).requests, 1)
        }))

      it.live(`${label}stream: text, with usage_metadata`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answerWith(g, streamScript)
          const { count, whole } = yield* collect(variant.model(g.url, id).stream("hi") as Promise<AsyncIterable<AIMessageChunk>>)
          assert.strictEqual(textOf(whole.content), pieces.join(""))
          assert.isAtLeast(count, pieces.length)
          assert.isAbove(usageOf(whole)?.input_tokens ?? 0, 0)
          assert.strictEqual(usageOf(whole)?.output_tokens, 5)
        }))

      it.live(`${label}bindTools: a streamed tool call`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answerWith(g, toolScript)
          const model = variant.model(g.url, id).bindTools!([getWeather])
          const { whole } = yield* collect(model.stream("Weather in Paris?") as Promise<AsyncIterable<AIMessageChunk>>)
          assert.lengthOf(whole.tool_calls ?? [], 1)
          assert.strictEqual(whole.tool_calls?.[0]?.name, "get_weather")
          assert.deepStrictEqual(whole.tool_calls?.[0]?.args, { city: "Paris" })
        }))

      it.live(`${label}bindTools: a tool round trip (the ToolMessage goes back)`, () =>
        Effect.gen(function*() {
          const g = yield* gateway
          yield* answersInTurn(g, toolScript, afterToolScript)
          const model = variant.model(g.url, id).bindTools!([getWeather])
          const conversation = [new HumanMessage("Weather in Paris?")]
          const call = yield* Effect.promise(() => model.invoke(conversation))
          const result = yield* Effect.promise(() => getWeather.invoke(call.tool_calls![0]!))
          const answer = yield* Effect.promise(() => model.invoke([...conversation, call, result]))
          assert.strictEqual(textOf(answer.content), "Sunny in Paris.")
          const [, second] = yield* sentBodies(upstreamFor(g, id))
          assert.include(JSON.stringify(second), "Sunny in Paris")
          assert.include(JSON.stringify(second), call.tool_calls![0]!.id!)
        }))
    }

    it.live("bindTools: a tool call", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, toolScript)
        const message = yield* Effect.promise(() => variant.model(g.url, variant.native).bindTools!([getWeather]).invoke("Weather in Paris?"))
        assert.lengthOf(message.tool_calls ?? [], 1)
        assert.strictEqual(message.tool_calls?.[0]?.name, "get_weather")
        assert.deepStrictEqual(message.tool_calls?.[0]?.args, { city: "Paris" })
        const sent = (yield* sentBodies(upstreamFor(g, variant.native)))[0]!
        assert.lengthOf(sent["tools"], 1)
      }))

    it.live("an upstream 429 is the client SDK's 429 error, tagged MODEL_RATE_LIMIT", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* g.openai.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429))
        yield* g.anthropic.enqueue(AnthropicWire.route, AnthropicWire.error(429))
        const error = yield* failure(() => variant.model(g.url, variant.native).invoke("hi"))
        assert.strictEqual((error as { status?: number }).status, 429)
        assert.strictEqual((error as { lc_error_code?: string }).lc_error_code, "MODEL_RATE_LIMIT")
      }))
  })
}

describe("LangChain withStructuredOutput", () => {
  for (const [name, model, id, script, expectUpstream] of [
    // ChatOpenAI's default method for gpt-4.1 models is `jsonSchema` (`response_format: json_schema`).
    ["ChatOpenAI (default method)", chatOpenAI, gptModel, jsonScript, "response_format"],
    [
      "ChatOpenAI (useResponsesApi: true)",
      (url: string, m: string) => chatOpenAI(url, m, { useResponsesApi: true }),
      gptModel,
      jsonScript,
      "response_format"
    ],
    // ChatAnthropic's default method is `functionCalling`: a forced tool named `extract`.
    [
      "ChatAnthropic (default method: functionCalling)",
      chatAnthropic,
      claudeModel,
      { toolCalls: [{ name: "extract", arguments: "{\"city\": \"Paris\", \"country\": \"France\"}" }] },
      "tool_choice"
    ],
    ["ChatAnthropic (method: jsonSchema)", chatAnthropic, claudeModel, jsonScript, "output_format"],
    // Cross-dialect: ChatAnthropic's forced tool against the OpenAI-compatible upstream.
    [
      "cross-dialect: ChatAnthropic (functionCalling) → OpenAI-compatible upstream",
      chatAnthropic,
      gptModel,
      { toolCalls: [{ name: "extract", arguments: "{\"city\": \"Paris\", \"country\": \"France\"}" }] },
      "tool_choice"
    ]
  ] as const) {
    it.live(name, () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, script)
        const structured = model(g.url, id).withStructuredOutput(
          Place,
          name.includes("jsonSchema") ? { name: "place", method: "jsonSchema" } : { name: "extract" }
        )
        const place = yield* Effect.promise(() => structured.invoke("Where is the Eiffel tower?"))
        assert.deepStrictEqual(place, { city: "Paris", country: "France" })
        const sent = (yield* sentBodies(upstreamFor(g, id)))[0]!
        assert.isDefined(sent[expectUpstream], `${expectUpstream} upstream: ${JSON.stringify(sent)}`)
      }))
  }
})

describe("LangChain OpenAIEmbeddings", () => {
  it.live("embedQuery and embedDocuments", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      const embeddings = new OpenAIEmbeddings({
        model: embeddingModel,
        apiKey: "sk-dummy",
        configuration: { baseURL: `${g.url}/v1` },
        maxRetries: 0
      })
      const query = yield* Effect.promise(() => embeddings.embedQuery("hello world"))
      assert.deepStrictEqual(query, EmbeddingsWire.vectorFor("hello world"))
      const documents = yield* Effect.promise(() => embeddings.embedDocuments(["alpha", "beta"]))
      assert.deepStrictEqual(documents, [EmbeddingsWire.vectorFor("alpha"), EmbeddingsWire.vectorFor("beta")])
    }))
})
