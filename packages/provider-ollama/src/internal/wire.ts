/**
 * Wire types of Ollama's native API, only the parts Switchyard reads. The same object shape is the
 * whole answer (`stream: false`) and every line of the NDJSON stream. Two endpoints share it:
 * `POST /api/chat` puts the text in `message.content`/`message.thinking`/`message.tool_calls`, and
 * `POST /api/generate` puts it at the top level in `response`/`thinking`/`tool_calls`; `done`,
 * `done_reason` and the counts are the same in both.
 * Reference: https://github.com/ollama/ollama/blob/main/docs/api.md (generate and chat completions)
 */
import { Schema } from "effect"

const OptionalString = Schema.optionalKey(Schema.NullOr(Schema.String))
const OptionalNumber = Schema.optionalKey(Schema.NullOr(Schema.Number))

/** Ollama sends arguments as a JSON object; some builds and proxies send the JSON text. */
export const ToolCall = Schema.Struct({
  id: OptionalString,
  function: Schema.Struct({
    name: Schema.String,
    arguments: Schema.optionalKey(Schema.Unknown)
  })
})
export type ToolCall = typeof ToolCall.Type

export const Message = Schema.Struct({
  content: OptionalString,
  thinking: OptionalString,
  tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Array(ToolCall)))
})

export const Chunk = Schema.Struct({
  model: OptionalString,
  /** RFC 3339 with nanoseconds, e.g. `2023-08-04T08:52:19.385406455-07:00`. */
  created_at: OptionalString,
  message: Schema.optionalKey(Schema.NullOr(Message)),
  /** `/api/generate`: the text of this line (the whole answer when not streamed). */
  response: OptionalString,
  /** `/api/generate`: the reasoning of this line (`think` requests). */
  thinking: OptionalString,
  /** `/api/generate`: tool calls parsed by the model's builtin parser. */
  tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Array(ToolCall))),
  done: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  /** `stop`, `length`, `load`, `unload`, ... */
  done_reason: OptionalString,
  /** Prompt tokens evaluated; omitted when zero. */
  prompt_eval_count: OptionalNumber,
  /** Tokens generated (thinking included); omitted when zero. */
  eval_count: OptionalNumber
})
export type Chunk = typeof Chunk.Type
