/**
 * The official `@anthropic-ai/sdk` against the gateway's `/v1/messages`: plain, streamed, a tool use
 * whole and streamed, structured output (`messages.parse` with `output_config.format`), token
 * counting, an upstream 429, and the OpenAI-compatible upstream behind the Anthropic dialect.
 */
import Anthropic from "@anthropic-ai/sdk"
import { jsonSchemaOutputFormat } from "@anthropic-ai/sdk/helpers/json-schema"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, OpenAiChatWire } from "@switchyard/testing"
import {
  afterToolScript,
  answersInTurn,
  answerWith,
  claudeModel,
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

/** Base URL WITHOUT `/v1` (the SDK appends `/v1/messages`), as for api.anthropic.com. */
const client = (url: string) => new Anthropic({ baseURL: url, apiKey: "sk-ant-dummy", maxRetries: 0 })

const tools = [{
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] }
}]

const placeFormat = jsonSchemaOutputFormat({
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
})

for (const [dialect, model, upstreamOf] of [
  ["Anthropic upstream", claudeModel, (g: { readonly anthropic: Upstream }) => g.anthropic],
  ["cross-dialect: OpenAI-compatible upstream", gptModel, (g: { readonly openai: Upstream }) => g.openai]
] as const) {
  describe(`@anthropic-ai/sdk → gateway → ${dialect}`, () => {
    it.live("plain text", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, plainScript)
        const message = yield* Effect.promise(() =>
          client(g.url).messages.create({
            model,
            max_tokens: 100,
            system: "Be terse.",
            messages: [{ role: "user", content: "Capital of France?" }]
          })
        )
        assert.strictEqual(message.stop_reason, "end_turn")
        const block = message.content[0]
        assert.strictEqual(block?.type === "text" ? block.text : undefined, "Paris.")
        assert.strictEqual(message.usage.input_tokens, 12)
        assert.lengthOf(yield* upstreamOf(g).requests, 1)
      }))

    it.live("streamed text", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, streamScript)
        const texts: Array<string> = []
        const final = yield* Effect.promise(() => {
          const stream = client(g.url).messages.stream({ model, max_tokens: 100, messages: [{ role: "user", content: "hi" }] })
          stream.on("text", (t) => texts.push(t))
          return stream.finalMessage()
        })
        assert.strictEqual(texts.join(""), pieces.join(""))
        assert.strictEqual(final.stop_reason, "end_turn")
        assert.isAbove(final.usage.input_tokens, 0)
        assert.strictEqual(final.usage.output_tokens, 5)
      }))

    it.live("a tool use", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, toolScript)
        const message = yield* Effect.promise(() =>
          client(g.url).messages.create({ model, max_tokens: 100, tools, messages: [{ role: "user", content: "Weather in Paris?" }] })
        )
        assert.strictEqual(message.stop_reason, "tool_use")
        const use = message.content.find((b) => b.type === "tool_use")
        if (use?.type !== "tool_use") return assert.fail("expected a tool_use block")
        assert.strictEqual(use.name, "get_weather")
        assert.deepStrictEqual(use.input, { city: "Paris" })
      }))

    it.live("a streamed tool use, input_json deltas assembled by the SDK", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, toolScript)
        let jsonDeltas = 0
        const final = yield* Effect.promise(() => {
          const stream = client(g.url).messages.stream({
            model,
            max_tokens: 100,
            tools,
            messages: [{ role: "user", content: "Weather in Paris?" }]
          })
          stream.on("inputJson", () => jsonDeltas++)
          return stream.finalMessage()
        })
        const use = final.content.find((b) => b.type === "tool_use")
        if (use?.type !== "tool_use") return assert.fail("expected a tool_use block")
        assert.deepStrictEqual(use.input, { city: "Paris" })
        assert.strictEqual(final.stop_reason, "tool_use")
        assert.isAtLeast(jsonDeltas, 2)
      }))

    it.live("a tool round trip: the tool_result goes back", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answersInTurn(g, toolScript, afterToolScript)
        const anthropic = client(g.url)
        const question = { role: "user" as const, content: "Weather in Paris?" }
        const first = yield* Effect.promise(() => anthropic.messages.create({ model, max_tokens: 100, tools, messages: [question] }))
        const use = first.content.find((b) => b.type === "tool_use")
        if (use?.type !== "tool_use") return assert.fail("expected a tool_use block")
        const second = yield* Effect.promise(() =>
          anthropic.messages.create({
            model,
            max_tokens: 100,
            tools,
            messages: [
              question,
              { role: "assistant", content: first.content },
              { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Sunny, 21°C" }] }
            ]
          })
        )
        const block = second.content[0]
        assert.strictEqual(block?.type === "text" ? block.text : undefined, "Sunny in Paris.")
        const [, sent] = yield* sentBodies(upstreamOf(g))
        assert.include(JSON.stringify(sent), "Sunny, 21°C")
        assert.include(JSON.stringify(sent), use.id)
      }))

    it.live("structured output: messages.parse with output_config.format", () =>
      Effect.gen(function*() {
        const g = yield* gateway
        yield* answerWith(g, jsonScript)
        const message = yield* Effect.promise(() =>
          client(g.url).messages.parse({
            model,
            max_tokens: 200,
            messages: [{ role: "user", content: "Where is the Eiffel tower?" }],
            output_config: { format: placeFormat }
          })
        )
        assert.deepStrictEqual(message.parsed_output, { city: "Paris", country: "France" })
        const sent = (yield* sentBodies(upstreamOf(g)))[0]!
        if (model === gptModel) assert.strictEqual(sent["response_format"]?.type, "json_schema")
        // The Anthropic adapter sends the beta spelling, `output_format`.
        else assert.strictEqual(sent["output_format"]?.type, "json_schema")
      }))
  })
}

describe("@anthropic-ai/sdk: errors and token counting", () => {
  it.live("an upstream 429 is the SDK's RateLimitError", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* g.anthropic.enqueue(AnthropicWire.route, AnthropicWire.error(429, { retryAfter: 2 }))
      const error = yield* failure(() =>
        client(g.url).messages.create({ model: claudeModel, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      )
      assert.instanceOf(error, Anthropic.RateLimitError)
      assert.strictEqual((error as InstanceType<typeof Anthropic.RateLimitError>).status, 429)
    }))

  it.live("cross-dialect: an OpenAI-compatible upstream's 429 is the SDK's RateLimitError too", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      yield* g.openai.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(429))
      const error = yield* failure(() =>
        client(g.url).messages.create({ model: gptModel, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      )
      assert.instanceOf(error, Anthropic.RateLimitError)
    }))

  it.live("messages.countTokens", () =>
    Effect.gen(function*() {
      const g = yield* gateway
      const count = yield* Effect.promise(() =>
        client(g.url).messages.countTokens({ model: claudeModel, messages: [{ role: "user", content: "How many tokens is this?" }] })
      )
      assert.isAbove(count.input_tokens, 0)
    }))
})
