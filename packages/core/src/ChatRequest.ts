/**
 * The canonical chat request: OpenAI Chat Completions as clients send it, plus Switchyard's own
 * extensions. Every provider adapter encodes from this one shape.
 */
import { Schema } from "effect"

export const TextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })
export type TextPart = typeof TextPart.Type

export const ImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({
    url: Schema.String,
    detail: Schema.optionalKey(Schema.Literals(["auto", "low", "high"]))
  })
})
export type ImagePart = typeof ImagePart.Type

export const AudioPart = Schema.Struct({
  type: Schema.Literal("input_audio"),
  input_audio: Schema.Struct({ data: Schema.String, format: Schema.String })
})

export const FilePart = Schema.Struct({
  type: Schema.Literal("file"),
  file: Schema.Struct({
    file_data: Schema.optionalKey(Schema.String),
    file_id: Schema.optionalKey(Schema.String),
    filename: Schema.optionalKey(Schema.String)
  })
})

export const ContentPart = Schema.Union([TextPart, ImagePart, AudioPart, FilePart])
export type ContentPart = typeof ContentPart.Type

const TextContent = Schema.Union([Schema.String, Schema.Array(TextPart)])

export const ToolCall = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})
export type ToolCall = typeof ToolCall.Type

export const SystemMessage = Schema.Struct({
  role: Schema.Literals(["system", "developer"]),
  content: TextContent,
  name: Schema.optionalKey(Schema.String)
})

export const UserMessage = Schema.Struct({
  role: Schema.Literal("user"),
  content: Schema.Union([Schema.String, Schema.Array(ContentPart)]),
  name: Schema.optionalKey(Schema.String)
})

export const AssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: Schema.optionalKey(Schema.NullOr(TextContent)),
  name: Schema.optionalKey(Schema.String),
  refusal: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Reasoning text from an earlier turn, as DeepSeek and other hosts return it. */
  reasoning_content: Schema.optionalKey(Schema.NullOr(Schema.String)),
  tool_calls: Schema.optionalKey(Schema.Array(ToolCall))
})

export const ToolMessage = Schema.Struct({
  role: Schema.Literal("tool"),
  content: TextContent,
  tool_call_id: Schema.String
})

export const Message = Schema.Union([SystemMessage, UserMessage, AssistantMessage, ToolMessage])
export type Message = typeof Message.Type

export const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String,
    description: Schema.optionalKey(Schema.String),
    parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
    strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
  })
})
export type FunctionTool = typeof FunctionTool.Type

export const ToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) })
])
export type ToolChoice = typeof ToolChoice.Type

export const ResponseFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      name: Schema.String,
      description: Schema.optionalKey(Schema.String),
      schema: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
      strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
    })
  })
])
export type ResponseFormat = typeof ResponseFormat.Type

const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/**
 * A model name: an alias, `provider/model` or a provider's model id. Bounded (no provider's ids come
 * near 256 characters), as it is echoed in response headers.
 */
export const ModelName = Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(256))

export const ChatRequest = Schema.Struct({
  model: ModelName,
  messages: Schema.Array(Message).check(Schema.isMinLength(1)),
  stream: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  stream_options: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    include_usage: Schema.optionalKey(Schema.Boolean)
  }))),
  tools: Schema.optionalKey(Schema.Array(FunctionTool)),
  tool_choice: Schema.optionalKey(ToolChoice),
  parallel_tool_calls: Schema.optionalKey(Schema.Boolean),
  response_format: Schema.optionalKey(ResponseFormat),
  temperature: Schema.optionalKey(Schema.NullOr(NonNegative)),
  top_p: Schema.optionalKey(Schema.NullOr(NonNegative)),
  max_tokens: Schema.optionalKey(Schema.NullOr(PositiveInt)),
  max_completion_tokens: Schema.optionalKey(Schema.NullOr(PositiveInt)),
  n: Schema.optionalKey(Schema.NullOr(PositiveInt)),
  stop: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Array(Schema.String)]))),
  presence_penalty: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  frequency_penalty: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  logit_bias: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.Number))),
  logprobs: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  top_logprobs: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  seed: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  user: Schema.optionalKey(Schema.String),
  reasoning_effort: Schema.optionalKey(Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh"])),
  metadata: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  service_tier: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type ChatRequest = typeof ChatRequest.Type

/** The output token limit the client asked for, whichever of the two OpenAI fields carries it. */
export const maxOutputTokens = (request: ChatRequest): number | undefined =>
  request.max_completion_tokens ?? request.max_tokens ?? undefined

/** The text of a message's content, parts joined; non-text parts are left out. */
export const contentText = (content: string | ReadonlyArray<ContentPart> | null | undefined): string =>
  content == null
    ? ""
    : typeof content === "string"
    ? content
    : content.map((part) => (part.type === "text" ? part.text : "")).join("")

/** Request features some wires cannot express; adapters name the ones theirs lacks. */
export type Feature = "n" | "logprobs" | "top_logprobs" | "logit_bias" | "seed" | "stop" | "presence_penalty" | "frequency_penalty"

const features: Readonly<Record<Feature, { readonly name: string; readonly used: (r: ChatRequest) => boolean }>> = {
  n: { name: "several choices (n > 1)", used: (r) => r.n != null && r.n > 1 },
  logprobs: { name: "logprobs", used: (r) => r.logprobs === true },
  top_logprobs: { name: "top_logprobs", used: (r) => r.top_logprobs != null && r.top_logprobs > 0 },
  logit_bias: { name: "logit_bias", used: (r) => r.logit_bias != null && Object.keys(r.logit_bias).length > 0 },
  seed: { name: "seed", used: (r) => r.seed != null },
  stop: { name: "stop sequences", used: (r) => r.stop != null && r.stop.length > 0 },
  presence_penalty: { name: "presence_penalty", used: (r) => r.presence_penalty != null && r.presence_penalty !== 0 },
  frequency_penalty: { name: "frequency_penalty", used: (r) => r.frequency_penalty != null && r.frequency_penalty !== 0 }
}

/** The first of `unsupported` the request uses: what to call it in an error, and its field. */
export const firstUsed = (
  request: ChatRequest,
  unsupported: ReadonlyArray<Feature>
): { readonly feature: string; readonly param: Feature } | undefined => {
  const param = unsupported.find((f) => features[f].used(request))
  return param === undefined ? undefined : { feature: features[param].name, param }
}
