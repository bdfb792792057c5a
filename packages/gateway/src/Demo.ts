/**
 * The built-in demo provider: answers on a machine with no API keys and no network, so the README's
 * first request works anywhere, and every feature can be tried. It is honest about being a demo:
 *
 * - it echoes the last user message (its first 200 characters), streaming word by word;
 * - offered tools, it calls one (the one `tool_choice` names, else the first) with arguments made
 *   from the tool's JSON Schema, and answers from the tool result once it comes back;
 * - asked for a `json_schema` (or `json_object`) response, it answers with an object the schema
 *   accepts (the first enum value, the minimum number of items, every required property);
 * - it counts tokens by words.
 */
import { Clock, Effect, Stream } from "effect"
import { ChatRequest, type ChatResponse, type Provider, type StreamEvent, Usage } from "@switchyard/core"

/** The model the demo provider lists (it answers to any name). */
export const model = "demo"

/** How much of a message the demo quotes back. */
const QUOTED_CHARS = 200

const quoted = (text: string) => (text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text)

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonSchema = Readonly<Record<string, unknown>>

const asSchema = (value: unknown): JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as JsonSchema : {}

/** A value `schema` accepts: the first enum value or `const`, else the simplest value of its type. */
export const sampleOf = (schema: JsonSchema, depth = 0): Json => {
  if (schema["const"] !== undefined) return schema["const"] as Json
  if (Array.isArray(schema["enum"]) && schema["enum"].length > 0) return schema["enum"][0] as Json
  const anyOf = schema["anyOf"] ?? schema["oneOf"]
  if (Array.isArray(anyOf) && anyOf.length > 0) return sampleOf(asSchema(anyOf[0]), depth + 1)
  const type = Array.isArray(schema["type"]) ? schema["type"][0] : schema["type"]
  if (depth > 32) return null
  switch (type) {
    case "object": {
      const properties = asSchema(schema["properties"])
      const required = Array.isArray(schema["required"]) ? schema["required"].filter((k) => typeof k === "string") : []
      return Object.fromEntries(
        required.filter((key) => Object.hasOwn(properties, key)).map((key) => [key, sampleOf(asSchema(properties[key]), depth + 1)])
      )
    }
    case "array": {
      const count = typeof schema["minItems"] === "number" ? schema["minItems"] : 1
      const max = typeof schema["maxItems"] === "number" ? schema["maxItems"] : count
      return Array.from({ length: Math.min(count, max, 100) }, () => sampleOf(asSchema(schema["items"]), depth + 1))
    }
    case "string":
      return "demo"
    case "integer":
    case "number":
      return typeof schema["minimum"] === "number" ? schema["minimum"] : 1
    case "boolean":
      return true
    case "null":
      return null
    default:
      // No type: an object when it names properties, else a string.
      return schema["properties"] !== undefined ? sampleOf({ ...schema, type: "object" }, depth) : "demo"
  }
}

/** What the demo does for a request: text, a tool call, or a structured answer. */
type Plan =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "ToolCall"; readonly name: string; readonly arguments: string }

const plan = (request: ChatRequest.ChatRequest): Plan => {
  const last = request.messages[request.messages.length - 1]
  if (last?.role === "tool") {
    return { _tag: "Text", text: `Hello from Switchyard's demo provider. The tool answered: "${quoted(ChatRequest.contentText(last.content).trim())}"` }
  }
  const tools = request.tools ?? []
  const choice = request.tool_choice
  if (tools.length > 0 && choice !== "none") {
    const tool = typeof choice === "object" ? tools.find((t) => t.function.name === choice.function.name) ?? tools[0]! : tools[0]!
    return { _tag: "ToolCall", name: tool.function.name, arguments: JSON.stringify(sampleOf(asSchema(tool.function.parameters))) }
  }
  const format = request.response_format
  if (format?.type === "json_schema") return { _tag: "Text", text: JSON.stringify(sampleOf(asSchema(format.json_schema.schema))) }
  if (format?.type === "json_object") return { _tag: "Text", text: JSON.stringify({ answer: "Hello from Switchyard's demo provider." }) }
  const user = [...request.messages].reverse().find((m) => m.role === "user")
  const said = user === undefined ? "" : quoted(ChatRequest.contentText(user.content).trim())
  return {
    _tag: "Text",
    text: said === ""
      ? "Hello from Switchyard's demo provider. Configure a real provider to get real answers."
      : `Hello from Switchyard's demo provider. You said: "${said}"`
  }
}

const countWords = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length

const usageOf = (request: ChatRequest.ChatRequest, answer: string): Usage.Usage =>
  Usage.make({
    inputTokens: request.messages.reduce((n, m) => n + countWords(ChatRequest.contentText(m.content)), 0),
    outputTokens: countWords(answer)
  })

/** Text limited to the request's token budget (one token per word), with the matching finish reason. */
const limited = (request: ChatRequest.ChatRequest, text: string) => {
  const words = text.split(/(?<=\s)/)
  const max = ChatRequest.maxOutputTokens(request)
  const kept = max === undefined ? words : words.slice(0, max)
  return { pieces: kept, finish: kept.length < words.length ? "length" as const : "stop" as const }
}

const callId = (created: number) => `call_demo_${created}`

/** A demo `Provider` named `name`. */
export const make = (name: string): Provider.ProviderShape => ({
  name,
  complete: (request) =>
    Effect.gen(function*() {
      const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const answer = plan(request)
      const choice: ChatResponse.Choice = answer._tag === "ToolCall"
        ? {
          index: 0,
          content: null,
          toolCalls: [{ id: callId(created), name: answer.name, arguments: answer.arguments }],
          finishReason: "tool_calls",
          rawFinishReason: "tool_calls"
        }
        : (() => {
          const { finish, pieces } = limited(request, answer.text)
          return { index: 0, content: pieces.join(""), toolCalls: [], finishReason: finish, rawFinishReason: finish }
        })()
      return {
        id: `demo-${created}`,
        model: request.model,
        created,
        choices: [choice],
        usage: usageOf(request, answer._tag === "ToolCall" ? answer.arguments : choice.content ?? "")
      } satisfies ChatResponse.ChatResponse
    }),
  stream: (request) =>
    Stream.unwrap(Effect.gen(function*() {
      const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const answer = plan(request)
      const start: StreamEvent.StreamEvent = { _tag: "ResponseStart", id: `demo-${created}`, model: request.model, created }
      if (answer._tag === "ToolCall") {
        return Stream.fromIterable<StreamEvent.StreamEvent>([
          start,
          { _tag: "ToolCallStart", choice: 0, index: 0, id: callId(created), name: answer.name },
          { _tag: "ToolCallDelta", choice: 0, index: 0, arguments: answer.arguments },
          { _tag: "Finish", choice: 0, reason: "tool_calls", raw: "tool_calls" },
          { _tag: "UsageReport", usage: usageOf(request, answer.arguments) }
        ])
      }
      const { finish, pieces } = limited(request, answer.text)
      return Stream.fromIterable<StreamEvent.StreamEvent>([
        start,
        ...pieces.map((text): StreamEvent.StreamEvent => ({ _tag: "TextDelta", choice: 0, text })),
        { _tag: "Finish", choice: 0, reason: finish, raw: finish },
        { _tag: "UsageReport", usage: usageOf(request, pieces.join("")) }
      ])
    }))
})
