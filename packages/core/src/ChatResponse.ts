/**
 * The canonical, non-streamed answer of a provider. Dialect encoders (OpenAI, Anthropic) render it
 * for clients; it keeps the provider's raw finish reason and the normalized usage.
 */
import { Schema } from "effect"
import { FinishReason } from "./FinishReason.ts"
import { Usage } from "./Usage.ts"

export const AssistantToolCall = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** The arguments as the model wrote them: a JSON string, possibly invalid. */
  arguments: Schema.String
})
export type AssistantToolCall = typeof AssistantToolCall.Type

export const Choice = Schema.Struct({
  index: Schema.Int,
  content: Schema.NullOr(Schema.String),
  reasoning: Schema.optionalKey(Schema.String),
  refusal: Schema.optionalKey(Schema.String),
  toolCalls: Schema.Array(AssistantToolCall),
  finishReason: FinishReason,
  rawFinishReason: Schema.NullOr(Schema.String)
})
export type Choice = typeof Choice.Type

export const ChatResponse = Schema.Struct({
  id: Schema.String,
  /** The model that actually answered, as the provider named it. */
  model: Schema.String,
  /** Unix seconds. */
  created: Schema.Int,
  choices: Schema.Array(Choice),
  usage: Schema.optionalKey(Usage)
})
export type ChatResponse = typeof ChatResponse.Type
