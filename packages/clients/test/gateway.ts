/**
 * The gateway every client test talks to: the real server on loopback, over two mock upstreams, one
 * OpenAI-compatible (Chat Completions + embeddings) and one Anthropic (Messages). The aliases carry
 * real model names so clients that decide things from the model id behave as they would in use:
 *
 * - `gpt-4.1-mini` → the OpenAI-compatible upstream (`oai/gpt-4.1-mini`)
 * - `claude-sonnet-4-6` → the Anthropic upstream (`ant/claude-sonnet-4-6`)
 * - `text-embedding-3-small` → the OpenAI-compatible upstream's embeddings
 *
 * A client of one dialect asking for the other dialect's alias is the cross-dialect case. One try
 * per request: these tests are about what each client makes of the gateway's answers.
 */
import { Effect, Redacted } from "effect"
import { AnthropicWire, EmbeddingsWire, MockUpstream, OpenAiChatWire, type Script } from "@switchyard/testing"
import { serveConfig } from "../../server/test/harness.ts"

export const gptModel = "gpt-4.1-mini"
export const claudeModel = "claude-sonnet-4-6"
export const embeddingModel = "text-embedding-3-small"

/** Both upstreams and the gateway's base URL (`http://127.0.0.1:PORT`, no `/v1`). */
export const gateway = Effect.gen(function*() {
  const openai = yield* MockUpstream.make()
  const anthropic = yield* MockUpstream.make()
  yield* openai.setDefault(EmbeddingsWire.openAiRoute, EmbeddingsWire.echoOpenAi())
  const url = yield* serveConfig({
    providers: {
      oai: { kind: "openai", base_url: `${openai.url}/v1`, api_key: Redacted.make("sk-upstream-openai-0123456789") },
      ant: { kind: "anthropic", base_url: `${anthropic.url}/v1`, api_key: Redacted.make("sk-ant-upstream-0123456789") }
    },
    models: {
      [gptModel]: { routes: [{ provider: "oai", model: gptModel }] },
      [claudeModel]: { routes: [{ provider: "ant", model: claudeModel }] },
      [embeddingModel]: { routes: [{ provider: "oai", model: embeddingModel }] }
    },
    routing: { retries: { max: 0 } }
  })
  return { url, openai, anthropic }
})

export type Upstream = MockUpstream.MockUpstreamShape

/** Scripts both upstreams to give the same answer (streamed when asked), whichever the route. */
export const answerWith = (g: { readonly openai: Upstream; readonly anthropic: Upstream }, script: Script.Script) =>
  Effect.all([
    g.openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script)),
    g.anthropic.setDefault(AnthropicWire.route, AnthropicWire.answer(script))
  ], { discard: true })

/** Scripts both upstreams to give these answers in turn (a tool round trip: the call, then the reply). */
export const answersInTurn = (
  g: { readonly openai: Upstream; readonly anthropic: Upstream },
  ...scripts: ReadonlyArray<Script.Script>
) =>
  Effect.all([
    g.openai.enqueue(OpenAiChatWire.route, ...scripts.map((script) => OpenAiChatWire.answer(script))),
    g.anthropic.enqueue(AnthropicWire.route, ...scripts.map((script) => AnthropicWire.answer(script)))
  ], { discard: true })

/** The JSON bodies the upstream received, in order. */
export const sentBodies = (upstream: Upstream) =>
  Effect.map(upstream.requests, (requests) => requests.map((r) => r.json as Record<string, any>))

/** Runs a promise; its rejection is the value (undefined when it resolved). */
export const failure = (promise: () => Promise<unknown>) =>
  Effect.promise(() => promise().then(() => undefined, (e: unknown) => e))

export const weatherSchema = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false
} as const

export const citySchema = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
} as const

/** A text preamble, then a tool call whose arguments arrive in three pieces. */
export const toolScript: Script.Script = {
  text: ["Let me check."],
  toolCalls: [{ name: "get_weather", arguments: ["{\"ci", "ty\": \"Pa", "ris\"}"] }],
  usage: { inputTokens: 40, outputTokens: 12 }
}

/** A tool call alone (no text). */
export const bareToolScript: Script.Script = {
  toolCalls: [{ name: "get_weather", arguments: ["{\"city\":", " \"Paris\"}"] }],
  usage: { inputTokens: 40, outputTokens: 12 }
}

/** The model's answer once it has the tool's result. */
export const afterToolScript: Script.Script = { text: ["Sunny in Paris."], usage: { inputTokens: 60, outputTokens: 4 } }

export const pieces = ["Bonjour", ", ", "le ", "monde", " 👋"]
export const streamScript: Script.Script = { text: pieces, usage: { inputTokens: 11, outputTokens: 5 } }
export const plainScript: Script.Script = { text: ["Paris."], usage: { inputTokens: 12, outputTokens: 2 } }
export const jsonScript: Script.Script = { text: ["{\"city\": \"Paris\", \"country\": \"France\"}"], usage: { inputTokens: 20, outputTokens: 9 } }
