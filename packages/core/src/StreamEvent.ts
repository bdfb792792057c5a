/**
 * The canonical stream: what every provider stream adapter emits and every client dialect encodes.
 * Deltas are keyed by choice index (and tool-call index), so interleaved choices and parallel tool
 * calls stay apart. A stream ends normally when its source ends; failures are `ProviderError`s.
 */
import { Schema } from "effect"
import { FinishReason } from "./FinishReason.ts"
import { Usage } from "./Usage.ts"

export const ResponseStart = Schema.TaggedStruct("ResponseStart", {
  id: Schema.String,
  model: Schema.String,
  created: Schema.Int
})

export const TextDelta = Schema.TaggedStruct("TextDelta", { choice: Schema.Int, text: Schema.String })
export const ReasoningDelta = Schema.TaggedStruct("ReasoningDelta", { choice: Schema.Int, text: Schema.String })
export const RefusalDelta = Schema.TaggedStruct("RefusalDelta", { choice: Schema.Int, text: Schema.String })

/** A tool call begins: its position among the choice's calls, id and name. */
export const ToolCallStart = Schema.TaggedStruct("ToolCallStart", {
  choice: Schema.Int,
  index: Schema.Int,
  id: Schema.String,
  name: Schema.String
})

/** A piece of a tool call's JSON arguments, to be concatenated in order. */
export const ToolCallDelta = Schema.TaggedStruct("ToolCallDelta", {
  choice: Schema.Int,
  index: Schema.Int,
  arguments: Schema.String
})

export const Finish = Schema.TaggedStruct("Finish", {
  choice: Schema.Int,
  reason: FinishReason,
  raw: Schema.NullOr(Schema.String)
})

/** Usage as reported so far; a later `UsageReport` replaces an earlier one. */
export const UsageReport = Schema.TaggedStruct("UsageReport", { usage: Usage })

export const StreamEvent = Schema.Union([
  ResponseStart,
  TextDelta,
  ReasoningDelta,
  RefusalDelta,
  ToolCallStart,
  ToolCallDelta,
  Finish,
  UsageReport
])
export type StreamEvent = typeof StreamEvent.Type
