/**
 * The format of a wire-fixture folder: `MANIFEST.json` lists each recorded file with what a correct
 * adapter extracts from it (see the folder's README). Only the fields the run checks are decoded.
 */
import { Schema } from "effect"

const Nullable = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

export const ExpectedUsage = Schema.Struct({
  input: Schema.NullOr(Schema.Number),
  output: Schema.NullOr(Schema.Number),
  cached: Schema.NullOr(Schema.Number),
  cache_write: Schema.NullOr(Schema.Number),
  reasoning: Schema.NullOr(Schema.Number)
})
export type ExpectedUsage = typeof ExpectedUsage.Type

export const ExpectedToolCall = Schema.Struct({
  id: Nullable(Schema.String),
  name: Schema.String,
  arguments: Schema.String
})

export const ExpectedError = Schema.Struct({
  category: Schema.String,
  retryable: Schema.optionalKey(Schema.Boolean)
})
export type ExpectedError = typeof ExpectedError.Type

export const Expected = Schema.Struct({
  text: Nullable(Schema.String),
  texts_by_choice: Nullable(Schema.Record(Schema.String, Schema.String)),
  reasoning_text: Nullable(Schema.String),
  refusal_text: Nullable(Schema.String),
  tool_calls: Nullable(Schema.Array(ExpectedToolCall)),
  finish_reason: Nullable(Schema.String),
  finish_reason_normalized: Nullable(Schema.String),
  usage: Nullable(ExpectedUsage),
  stream_error: Nullable(ExpectedError),
  category: Schema.optionalKey(Schema.String),
  retryable: Schema.optionalKey(Schema.Boolean),
  acceptable_alternatives: Schema.optionalKey(Schema.Array(ExpectedError))
})
export type Expected = typeof Expected.Type

export const Case = Schema.Struct({
  file: Schema.String,
  provider: Schema.String,
  kind: Schema.Literals(["stream", "error", "response"]),
  source: Schema.optionalKey(Schema.String),
  http_status: Nullable(Schema.Number),
  headers: Nullable(Schema.Record(Schema.String, Schema.Unknown)),
  wire_format: Nullable(Schema.String),
  expected: Expected
})
export type Case = typeof Case.Type

export const Manifest = Schema.Array(Case)
