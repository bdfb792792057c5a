/**
 * The Anthropic Messages request as Anthropic's SDKs send it, and its translation into the canonical
 * (Chat Completions shaped) request. What has no canonical equivalent is refused with a 400 naming
 * the feature, never dropped silently.
 */
import { Schema } from "effect"
import { ChatRequest } from "@switchyard/core"
import * as ErrorBody from "../ErrorBody.ts"

const CacheControl = Schema.optionalKey(Schema.NullOr(Schema.Struct({ type: Schema.String, ttl: Schema.optionalKey(Schema.String) })))

const TextBlock = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String, cache_control: CacheControl })

const ImageBlock = Schema.Struct({
  type: Schema.Literal("image"),
  source: Schema.Union([
    Schema.Struct({ type: Schema.Literal("base64"), media_type: Schema.String, data: Schema.String }),
    Schema.Struct({ type: Schema.Literal("url"), url: Schema.String })
  ]),
  cache_control: CacheControl
})

const DocumentBlock = Schema.Struct({
  type: Schema.Literal("document"),
  source: Schema.Struct({ type: Schema.String, media_type: Schema.optionalKey(Schema.String), data: Schema.optionalKey(Schema.String) }),
  title: Schema.optionalKey(Schema.NullOr(Schema.String)),
  cache_control: CacheControl
})

const ToolUseBlock = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Unknown,
  cache_control: CacheControl
})

const ToolResultBlock = Schema.Struct({
  type: Schema.Literal("tool_result"),
  tool_use_id: Schema.String,
  content: Schema.optionalKey(Schema.Union([Schema.String, Schema.Array(Schema.Union([TextBlock, ImageBlock]))])),
  is_error: Schema.optionalKey(Schema.Boolean),
  cache_control: CacheControl
})

const ThinkingBlock = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  signature: Schema.optionalKey(Schema.String)
})

const RedactedThinkingBlock = Schema.Struct({ type: Schema.Literal("redacted_thinking"), data: Schema.String })

const Block = Schema.Union([TextBlock, ImageBlock, DocumentBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock, RedactedThinkingBlock])
type Block = typeof Block.Type

const OutputFormat = Schema.Struct({
  type: Schema.Literal("json_schema"),
  schema: Schema.Record(Schema.String, Schema.Unknown)
})

export const MessagesRequest = Schema.Struct({
  model: ChatRequest.ModelName,
  max_tokens: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  messages: Schema.Array(Schema.Struct({
    role: Schema.Literals(["user", "assistant"]),
    content: Schema.Union([Schema.String, Schema.Array(Block)])
  })).check(Schema.isMinLength(1)),
  system: Schema.optionalKey(Schema.Union([Schema.String, Schema.Array(TextBlock)])),
  stop_sequences: Schema.optionalKey(Schema.Array(Schema.String)),
  temperature: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  top_p: Schema.optionalKey(Schema.Number),
  top_k: Schema.optionalKey(Schema.Int),
  stream: Schema.optionalKey(Schema.Boolean),
  tools: Schema.optionalKey(Schema.Array(Schema.Struct({
    name: Schema.String,
    description: Schema.optionalKey(Schema.String),
    /** Required for client tools; Anthropic's server tools (`web_search_…`, …) have none. */
    input_schema: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
    type: Schema.optionalKey(Schema.String),
    cache_control: CacheControl
  }))),
  tool_choice: Schema.optionalKey(Schema.Struct({
    type: Schema.Literals(["auto", "any", "tool", "none"]),
    name: Schema.optionalKey(Schema.String),
    disable_parallel_tool_use: Schema.optionalKey(Schema.Boolean)
  })),
  thinking: Schema.optionalKey(Schema.Union([
    Schema.Struct({ type: Schema.Literal("enabled"), budget_tokens: Schema.Int }),
    Schema.Struct({ type: Schema.Literal("disabled") })
  ])),
  metadata: Schema.optionalKey(Schema.Struct({ user_id: Schema.optionalKey(Schema.NullOr(Schema.String)) })),
  /** Structured outputs (`format`, what `messages.parse` sends) and the effort of reasoning. */
  output_config: Schema.optionalKey(Schema.Struct({
    format: Schema.optionalKey(OutputFormat),
    effort: Schema.optionalKey(Schema.Literals(["low", "medium", "high"]))
  })),
  /** The structured-outputs beta's spelling of `output_config.format`. */
  output_format: Schema.optionalKey(OutputFormat)
})
export type MessagesRequest = typeof MessagesRequest.Type

type Message = ChatRequest.Message
type Part = ChatRequest.ContentPart

const imagePart = (block: Extract<Block, { type: "image" }>): Part => ({
  type: "image_url",
  image_url: { url: block.source.type === "url" ? block.source.url : `data:${block.source.media_type};base64,${block.source.data}` }
})

const textOf = (content: string | ReadonlyArray<{ type: string; text?: string }> | undefined): string =>
  content === undefined ? "" : typeof content === "string" ? content : content.map((b) => b.text ?? "").join("")

const userMessages = (content: ReadonlyArray<Block>): Array<Message> => {
  // Tool results answer the previous assistant turn, so they come first, as tool messages.
  const results: Array<Message> = []
  const parts: Array<Part> = []
  for (const block of content) {
    switch (block.type) {
      case "tool_result": {
        if (typeof block.content !== "string" && block.content?.some((b) => b.type === "image")) {
          throw ErrorBody.badRequest("Images inside tool_result blocks cannot be translated for this route.", "messages", "unsupported_feature")
        }
        const text = textOf(block.content)
        results.push({ role: "tool", tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${text}` : text })
        break
      }
      case "text":
        parts.push({ type: "text", text: block.text })
        break
      case "image":
        parts.push(imagePart(block))
        break
      case "document":
        if (block.source.type !== "base64" || block.source.data === undefined) {
          throw ErrorBody.badRequest("Only base64 document blocks can be translated.", "messages", "unsupported_feature")
        }
        parts.push({ type: "file", file: { file_data: `data:${block.source.media_type ?? "application/pdf"};base64,${block.source.data}` } })
        break
      default:
        throw ErrorBody.badRequest(`A user message cannot contain a ${block.type} block.`, "messages", "invalid_block")
    }
  }
  return parts.length === 0 ? results : [...results, { role: "user", content: parts }]
}

const assistantMessage = (content: ReadonlyArray<Block>): Message => {
  const text = content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
  const reasoning = content.flatMap((b) => (b.type === "thinking" ? [b.thinking] : [])).join("")
  const calls = content.flatMap((b) =>
    b.type === "tool_use" ? [{ id: b.id, type: "function" as const, function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }] : []
  )
  return {
    role: "assistant",
    content: text.length > 0 ? text : null,
    ...(reasoning.length > 0 ? { reasoning_content: reasoning } : {}),
    ...(calls.length > 0 ? { tool_calls: calls } : {})
  }
}

const effort = (budget: number): "low" | "medium" | "high" => (budget < 4096 ? "low" : budget < 16384 ? "medium" : "high")

/** The canonical request for an Anthropic one. Throws an `ErrorBody.HttpError` for what cannot be translated. */
export const toChatRequest = (request: MessagesRequest): ChatRequest.ChatRequest => {
  const system: Array<Message> = request.system === undefined ? [] : [{ role: "system", content: textOf(request.system) }]
  const messages = request.messages.flatMap((m): Array<Message> =>
    typeof m.content === "string"
      ? [{ role: m.role, content: m.content }]
      : m.role === "user"
      ? userMessages(m.content)
      : [assistantMessage(m.content)]
  )
  const serverTool = request.tools?.find((t) => t.type !== undefined && t.type !== "custom")
  if (serverTool !== undefined) {
    throw ErrorBody.badRequest(`Anthropic server tool "${serverTool.name}" (${serverTool.type}) cannot be routed to other providers.`, "tools", "unsupported_feature")
  }
  const schemaless = request.tools?.findIndex((t) => t.input_schema === undefined) ?? -1
  if (schemaless >= 0) throw ErrorBody.badRequest("A client tool needs an input_schema.", `tools[${schemaless}].input_schema`)
  if (request.top_k !== undefined) throw ErrorBody.badRequest("top_k has no equivalent on OpenAI-dialect routes.", "top_k", "unsupported_feature")
  const choice = request.tool_choice
  const format = request.output_config?.format ?? request.output_format
  const effortLevel = request.output_config?.effort ?? (request.thinking?.type === "enabled" ? effort(request.thinking.budget_tokens) : undefined)
  return {
    model: request.model,
    messages: [...system, ...messages],
    max_tokens: request.max_tokens,
    ...(request.stream === undefined ? {} : { stream: request.stream }),
    ...(request.stop_sequences === undefined ? {} : { stop: request.stop_sequences }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === undefined ? {} : { top_p: request.top_p }),
    ...(request.tools === undefined ? {} : {
      tools: request.tools.map((t) => ({
        type: "function" as const,
        function: { name: t.name, ...(t.description === undefined ? {} : { description: t.description }), ...(t.input_schema === undefined ? {} : { parameters: t.input_schema }) }
      }))
    }),
    ...(choice === undefined ? {} : {
      tool_choice: choice.type === "auto" ? "auto" : choice.type === "any" ? "required" : choice.type === "none" ? "none"
        : { type: "function", function: { name: choice.name ?? "" } },
      ...(choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {})
    }),
    ...(effortLevel === undefined ? {} : { reasoning_effort: effortLevel }),
    ...(format === undefined ? {} : { response_format: { type: "json_schema", json_schema: { name: "output", schema: format.schema, strict: true } } }),
    ...(request.metadata?.user_id == null ? {} : { user: request.metadata.user_id })
  }
}

/** The request of `count_tokens`: a Messages request without `max_tokens` and `stream`. */
export const CountTokensRequest = Schema.Struct({
  ...MessagesRequest.fields,
  max_tokens: Schema.optionalKey(MessagesRequest.fields.max_tokens)
})
export type CountTokensRequest = typeof CountTokensRequest.Type
