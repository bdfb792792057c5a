/**
 * The OpenAI Responses request (`POST /v1/responses`) as OpenAI's SDKs send it, and its translation
 * into the canonical (Chat Completions shaped) request. What refers to a stored response
 * (`previous_response_id`, `item_reference` input items) is resolved first (`resolveStored`); every
 * hosted tool (web search, file search, computer use, ...) is refused: only function tools route to
 * any provider. What cannot be translated is a 400 naming the field, never dropped silently.
 */
import { Effect, Option, Schema } from "effect"
import { ChatRequest } from "@switchyard/core"
import * as ErrorBody from "../ErrorBody.ts"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))

// -------------------------------------------------------------------------------------------------
// input items

const InputText = Schema.Struct({ type: Schema.Literal("input_text"), text: Schema.String })
const OutputText = Schema.Struct({ type: Schema.Literal("output_text"), text: Schema.String })
const Refusal = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })
const InputImage = Schema.Struct({
  type: Schema.Literal("input_image"),
  image_url: OptionalString,
  file_id: OptionalString,
  detail: Schema.optionalKey(Schema.NullOr(Schema.String))
})
const InputFile = Schema.Struct({
  type: Schema.Literal("input_file"),
  file_data: OptionalString,
  file_id: OptionalString,
  file_url: OptionalString,
  filename: OptionalString
})
/** Any other part (`input_audio`, ...): decoded so the refusal can name it. */
const OtherPart = Schema.Struct({ type: Schema.String })

const Part = Schema.Union([InputText, OutputText, Refusal, InputImage, InputFile, OtherPart])
type Part = typeof Part.Type

/** A message: `{role, content}` (the "easy" form, no `type`) or a `type: "message"` item. */
const MessageItem = Schema.Struct({
  type: Schema.optionalKey(Schema.Literal("message")),
  role: Schema.Literals(["user", "system", "developer", "assistant"]),
  content: Schema.Union([Schema.String, Schema.Array(Part)])
})

const FunctionCallItem = Schema.Struct({
  type: Schema.Literal("function_call"),
  call_id: Schema.String,
  name: Schema.String,
  arguments: Schema.String
})

const FunctionCallOutputItem = Schema.Struct({
  type: Schema.Literal("function_call_output"),
  call_id: Schema.String,
  output: Schema.Union([Schema.String, Schema.Array(Part)])
})

const SummaryText = Schema.Struct({ text: Schema.String })

const ReasoningItem = Schema.Struct({
  type: Schema.Literal("reasoning"),
  summary: Schema.optionalKey(Schema.NullOr(Schema.Array(SummaryText))),
  content: Schema.optionalKey(Schema.NullOr(Schema.Array(SummaryText)))
})

/** An earlier response's item, by id (resolved from the `ResponseStore` before translation). */
const ReferenceItem = Schema.Struct({ type: Schema.Literal("item_reference"), id: Schema.String })

/** Any other item (hosted tool calls, ...): decoded so the refusal can name it. */
const OtherItem = Schema.Struct({ type: Schema.String })

export const Item = Schema.Union([MessageItem, FunctionCallItem, FunctionCallOutputItem, ReasoningItem, ReferenceItem, OtherItem])
export type Item = typeof Item.Type

// -------------------------------------------------------------------------------------------------
// the request

/** A tool: only `function` tools translate; the other fields are read to name what is refused. */
const Tool = Schema.Struct({
  type: Schema.String,
  name: Schema.optionalKey(Schema.String),
  description: OptionalString,
  parameters: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown))),
  strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
})

const TextFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    name: Schema.String,
    schema: Schema.Record(Schema.String, Schema.Unknown),
    description: Schema.optionalKey(Schema.String),
    strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
  })
])

export const ResponsesRequest = Schema.Struct({
  model: ChatRequest.ModelName,
  input: Schema.Union([Schema.String, Schema.Array(Item).check(Schema.isMinLength(1))]),
  instructions: OptionalString,
  tools: Schema.optionalKey(Schema.NullOr(Schema.Array(Tool))),
  tool_choice: Schema.optionalKey(Schema.NullOr(Schema.Union([
    Schema.Literals(["none", "auto", "required"]),
    Schema.Struct({ type: Schema.String, name: Schema.optionalKey(Schema.String) })
  ]))),
  parallel_tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  max_output_tokens: Schema.optionalKey(Schema.NullOr(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))),
  temperature: Schema.optionalKey(Schema.NullOr(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)))),
  top_p: Schema.optionalKey(Schema.NullOr(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)))),
  stream: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  text: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    format: Schema.optionalKey(Schema.NullOr(TextFormat)),
    verbosity: Schema.optionalKey(Schema.NullOr(Schema.String))
  }))),
  reasoning: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    effort: Schema.optionalKey(Schema.NullOr(Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh"]))),
    /** How OpenAI summarizes its reasoning; other providers' reasoning is shown as it comes. */
    summary: Schema.optionalKey(Schema.NullOr(Schema.String))
  }))),
  metadata: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.String))),
  user: OptionalString,
  /** Whether the response is kept for later references (default true, as OpenAI's; see `ResponseStore`). */
  store: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  /** A stored response to continue: its conversation goes before `input` (see `ResponseStore`). */
  previous_response_id: OptionalString,
  service_tier: OptionalString
})
export type ResponsesRequest = typeof ResponsesRequest.Type

/** The top-level fields a request may carry; any other is refused by name. */
export const knownFields: ReadonlyArray<string> = Object.keys(ResponsesRequest.fields)

// -------------------------------------------------------------------------------------------------
// translation

type Message = ChatRequest.Message
type ContentPart = ChatRequest.ContentPart

const unsupported = (message: string, param: string): ErrorBody.HttpError =>
  ErrorBody.badRequest(message, param, "unsupported_feature")

const imageDetails = new Set(["auto", "low", "high"])

const userPart = (part: Part, param: string): ContentPart => {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: (part as { text: string }).text }
    case "input_image": {
      const image = part as typeof InputImage.Type
      if (image.image_url == null) {
        throw unsupported("Images by file_id cannot be routed to other providers: send image_url (a URL or a data URL).", `${param}.file_id`)
      }
      return {
        type: "image_url",
        image_url: {
          url: image.image_url,
          ...(image.detail != null && imageDetails.has(image.detail) ? { detail: image.detail as "auto" | "low" | "high" } : {})
        }
      }
    }
    case "input_file": {
      const file = part as typeof InputFile.Type
      if (file.file_data == null) {
        const field = file.file_id != null ? "file_id" : "file_url"
        throw unsupported(`Files by ${field} cannot be routed to other providers: send file_data.`, `${param}.${field}`)
      }
      return { type: "file", file: { file_data: file.file_data, ...(file.filename == null ? {} : { filename: file.filename }) } }
    }
    default:
      throw unsupported(`Content part type "${part.type}" cannot be translated for this route.`, `${param}.type`)
  }
}

/** Text-only content (system, developer, tool output): text parts joined; anything else refused. */
const textOf = (content: string | ReadonlyArray<Part>, param: string): string =>
  typeof content === "string"
    ? content
    : content.map((part, j) => {
      if (part.type === "input_text" || part.type === "output_text") return (part as { text: string }).text
      throw unsupported(`Only text can be sent here, not "${part.type}".`, `${param}[${j}].type`)
    }).join("")

interface Assistant {
  readonly text: Array<string>
  readonly refusal: Array<string>
  readonly reasoning: Array<string>
  readonly calls: Array<ChatRequest.ToolCall>
}

const emptyAssistant = (): Assistant => ({ text: [], refusal: [], reasoning: [], calls: [] })

const assistantMessage = (a: Assistant): Message => ({
  role: "assistant",
  content: a.text.length > 0 ? a.text.join("") : null,
  ...(a.refusal.length > 0 ? { refusal: a.refusal.join("") } : {}),
  ...(a.reasoning.length > 0 ? { reasoning_content: a.reasoning.join("") } : {}),
  ...(a.calls.length > 0 ? { tool_calls: a.calls } : {})
})

const needsStorage =
  "Responses are kept for an hour by the instance that served them (with `store`); otherwise send the whole conversation in `input`."

/**
 * The items as canonical messages. An assistant turn (its reasoning, message and function calls)
 * becomes one assistant message with `tool_calls`; each function call output a tool message.
 */
const messagesOf = (input: ResponsesRequest["input"]): Array<Message> => {
  if (typeof input === "string") return [{ role: "user", content: input }]
  const messages: Array<Message> = []
  let turn = emptyAssistant()
  const flush = () => {
    if (turn.text.length + turn.refusal.length + turn.reasoning.length + turn.calls.length > 0) messages.push(assistantMessage(turn))
    turn = emptyAssistant()
  }
  input.forEach((item: Item, i) => {
    const param = `input[${i}]`
    if ("role" in item) {
      const content = item.content
      if (item.role === "assistant") {
        // Text after the turn's calls starts a new assistant message.
        if (turn.calls.length > 0) flush()
        if (typeof content === "string") {
          turn.text.push(content)
        } else {
          content.forEach((part, j) => {
            if (part.type === "refusal") turn.refusal.push((part as typeof Refusal.Type).refusal)
            else if (part.type === "output_text" || part.type === "input_text") turn.text.push((part as { text: string }).text)
            else throw unsupported(`An assistant message cannot contain "${part.type}".`, `${param}.content[${j}].type`)
          })
        }
        return
      }
      flush()
      if (item.role === "user") {
        messages.push({
          role: "user",
          content: typeof content === "string" ? content : content.map((part, j) => userPart(part, `${param}.content[${j}]`))
        })
      } else {
        messages.push({ role: item.role, content: textOf(content, `${param}.content`) })
      }
      return
    }
    // An item of a known type that did not decode as one decodes as `OtherItem`: `{type}` only.
    const malformed = (item.type === "function_call" || item.type === "function_call_output") && !("call_id" in item)
    if (item.type === "message" || malformed) throw ErrorBody.badRequest(`Malformed ${item.type} item.`, param)
    switch (item.type) {
      case "function_call": {
        const call = item as typeof FunctionCallItem.Type
        turn.calls.push({ id: call.call_id, type: "function", function: { name: call.name, arguments: call.arguments } })
        return
      }
      case "function_call_output": {
        const output = item as typeof FunctionCallOutputItem.Type
        flush()
        messages.push({ role: "tool", tool_call_id: output.call_id, content: textOf(output.output, `${param}.output`) })
        return
      }
      case "reasoning": {
        const reasoning = item as typeof ReasoningItem.Type
        if (turn.text.length + turn.calls.length > 0) flush()
        const text = [...(reasoning.summary ?? []), ...(reasoning.content ?? [])].map((p) => p.text).join("")
        if (text.length > 0) turn.reasoning.push(text)
        return
      }
      case "item_reference":
        throw unsupported(`Input item ${(item as typeof ReferenceItem.Type).id} is not a stored response's. ${needsStorage}`, `${param}.id`)
      default:
        throw unsupported(`Input item type "${item.type}" cannot be routed to other providers.`, `${param}.type`)
    }
  })
  flush()
  return messages
}

const toolsOf = (tools: ReadonlyArray<typeof Tool.Type>): Array<ChatRequest.FunctionTool> =>
  tools.map((tool, i) => {
    if (tool.type !== "function") {
      throw unsupported(
        `Tool type "${tool.type}" is one of OpenAI's hosted tools, which cannot be routed to other providers; only function tools can.`,
        `tools[${i}].type`
      )
    }
    if (tool.name === undefined) throw ErrorBody.badRequest("A function tool needs a name.", `tools[${i}].name`)
    return {
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description == null ? {} : { description: tool.description }),
        ...(tool.parameters == null ? {} : { parameters: tool.parameters }),
        ...(tool.strict == null ? {} : { strict: tool.strict })
      }
    }
  })

const toolChoiceOf = (choice: NonNullable<ResponsesRequest["tool_choice"]>): ChatRequest.ToolChoice => {
  if (typeof choice === "string") return choice
  if (choice.type !== "function") {
    throw unsupported(`tool_choice type "${choice.type}" cannot be routed to other providers.`, "tool_choice.type")
  }
  if (choice.name === undefined) throw ErrorBody.badRequest("tool_choice of type function needs a name.", "tool_choice.name")
  return { type: "function", function: { name: choice.name } }
}

const formatOf = (format: typeof TextFormat.Type): ChatRequest.ResponseFormat =>
  format.type === "json_schema"
    ? {
      type: "json_schema",
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(format.description === undefined ? {} : { description: format.description }),
        ...(format.strict == null ? {} : { strict: format.strict })
      }
    }
    : { type: format.type }

/**
 * What `resolveStored` reads of the responses kept earlier (the server's `ResponseStore`): items as
 * JSON, by their id, and a response's conversation by the response's id.
 */
export interface StoredResponses {
  readonly item: (id: string) => Effect.Effect<Option.Option<Readonly<Record<string, unknown>>>>
  readonly conversation: (responseId: string) => Effect.Effect<Option.Option<ReadonlyArray<Readonly<Record<string, unknown>>>>>
}

/**
 * The request with what it refers to filled in: the conversation of `previous_response_id` before
 * its input, and each `item_reference` replaced by the item. Fails with a 400 naming what is not
 * in the store.
 */
export const resolveStored = (request: ResponsesRequest, store: StoredResponses) =>
  Effect.gen(function*() {
    const input: ReadonlyArray<Item> = typeof request.input === "string" ? [{ role: "user", content: request.input }] : request.input
    const previousId = request.previous_response_id
    const previous = previousId == null ? [] : yield* Effect.flatMap(store.conversation(previousId), Option.match({
      onNone: () => Effect.fail(unsupported(`No stored response ${previousId}. ${needsStorage}`, "previous_response_id")),
      onSome: (items) => Effect.succeed(items)
    }))
    const items = yield* Effect.forEach([...previous, ...input] as ReadonlyArray<Readonly<Record<string, unknown>>>, (item, i) => {
      const id = item["id"]
      return item["type"] === "item_reference" && typeof id === "string"
        ? Effect.flatMap(store.item(id), Option.match({
          onNone: () => Effect.fail(unsupported(`No stored item ${id}. ${needsStorage}`, `input[${i - previous.length}].id`)),
          onSome: (stored) => Effect.succeed(stored)
        }))
        : Effect.succeed(item)
    })
    const decoded = yield* Schema.decodeUnknownEffect(Schema.Array(Item))(items).pipe(
      Effect.mapError(() => ErrorBody.badRequest("A stored item could not be read back.", "input"))
    )
    const { previous_response_id: _, ...rest } = request
    return { ...rest, input: decoded.length === 0 ? input : decoded } satisfies ResponsesRequest
  })

/** The canonical request for a Responses one. Throws an `ErrorBody.HttpError` for what cannot be translated. */
export const toChatRequest = (request: ResponsesRequest): ChatRequest.ChatRequest => {
  if (request.previous_response_id != null) {
    throw unsupported(`previous_response_id must be resolved first (resolveStored). ${needsStorage}`, "previous_response_id")
  }
  if (request.text?.verbosity != null) {
    throw unsupported("text.verbosity has no equivalent on other providers.", "text.verbosity")
  }
  const system: Array<Message> = request.instructions == null ? [] : [{ role: "system", content: request.instructions }]
  const messages = [...system, ...messagesOf(request.input)]
  if (messages.length === 0) throw ErrorBody.badRequest("The input holds no message.", "input")
  const format = request.text?.format
  const effort = request.reasoning?.effort
  return {
    model: request.model,
    messages,
    ...(request.stream == null ? {} : { stream: request.stream }),
    ...(request.tools == null || request.tools.length === 0 ? {} : { tools: toolsOf(request.tools) }),
    ...(request.tool_choice == null ? {} : { tool_choice: toolChoiceOf(request.tool_choice) }),
    ...(request.parallel_tool_calls == null ? {} : { parallel_tool_calls: request.parallel_tool_calls }),
    ...(request.max_output_tokens == null ? {} : { max_completion_tokens: request.max_output_tokens }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { top_p: request.top_p }),
    ...(format == null ? {} : { response_format: formatOf(format) }),
    ...(effort == null ? {} : { reasoning_effort: effort }),
    ...(request.metadata == null ? {} : { metadata: request.metadata }),
    ...(request.user == null ? {} : { user: request.user }),
    ...(request.service_tier == null ? {} : { service_tier: request.service_tier })
  }
}
