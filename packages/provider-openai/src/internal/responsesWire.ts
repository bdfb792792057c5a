/**
 * Wire types of the OpenAI Responses API (`POST /v1/responses`), only the parts Switchyard reads.
 * Unknown fields are ignored and unknown output item or content types decode as `Other*`, so new
 * server-side features pass through without failing a call.
 * Reference: https://platform.openai.com/docs/api-reference/responses
 */
import { Schema } from "effect"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))
const OptionalNumber = Schema.optionalKey(Schema.NullOr(Schema.Number))

export const Usage = Schema.Struct({
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  input_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ cached_tokens: OptionalNumber }))),
  output_tokens_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ reasoning_tokens: OptionalNumber })))
})
export type Usage = typeof Usage.Type

const OutputText = Schema.Struct({ type: Schema.Literal("output_text"), text: Schema.String })
const OutputRefusal = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })
const OtherContent = Schema.Struct({ type: Schema.String })

export const MessageItem = Schema.Struct({
  type: Schema.Literal("message"),
  id: OptionalString,
  content: Schema.Array(Schema.Union([OutputText, OutputRefusal, OtherContent]))
})

export const FunctionCallItem = Schema.Struct({
  type: Schema.Literal("function_call"),
  id: OptionalString,
  call_id: Schema.String,
  name: Schema.String,
  arguments: OptionalString
})

const TextPart = Schema.Struct({ text: Schema.String })

/** Summaries (`summary_text`) from OpenAI; raw `reasoning_text` content from open-weight hosts. */
export const ReasoningItem = Schema.Struct({
  type: Schema.Literal("reasoning"),
  id: OptionalString,
  summary: Schema.optionalKey(Schema.NullOr(Schema.Array(TextPart))),
  content: Schema.optionalKey(Schema.NullOr(Schema.Array(TextPart)))
})

const OtherItem = Schema.Struct({ type: Schema.String, id: OptionalString })

export const OutputItem = Schema.Union([MessageItem, FunctionCallItem, ReasoningItem, OtherItem])
export type OutputItem = typeof OutputItem.Type

/** The response object: the non-streamed body, and the payload of `response.*` lifecycle events. */
export const Response = Schema.Struct({
  id: OptionalString,
  model: OptionalString,
  created_at: OptionalNumber,
  status: OptionalString,
  output: Schema.optionalKey(Schema.NullOr(Schema.Array(OutputItem))),
  incomplete_details: Schema.optionalKey(Schema.NullOr(Schema.Struct({ reason: OptionalString }))),
  error: Schema.optionalKey(Schema.Unknown),
  usage: Schema.optionalKey(Schema.NullOr(Usage))
})
export type Response = typeof Response.Type

/** `response.created`, `response.in_progress`, `response.completed`, `response.incomplete`, `response.failed`. */
export const LifecycleEvent = Schema.Struct({ response: Response })

/** `response.output_item.added` and `response.output_item.done`. */
export const ItemEvent = Schema.Struct({ output_index: Schema.Number, item: OutputItem })

/** Where a delta or done event points: an output item, and a part of it. */
const Position = {
  item_id: OptionalString,
  output_index: OptionalNumber,
  content_index: OptionalNumber,
  summary_index: OptionalNumber
}

/** Every `*.delta` event the adapter reads. */
export const DeltaEvent = Schema.Struct({ ...Position, delta: Schema.String })
export type DeltaEvent = typeof DeltaEvent.Type

/** Every `*.done` event the adapter reads: the full text, refusal or arguments of a part. */
export const DoneEvent = Schema.Struct({
  ...Position,
  text: OptionalString,
  refusal: OptionalString,
  arguments: OptionalString
})
export type DoneEvent = typeof DoneEvent.Type
