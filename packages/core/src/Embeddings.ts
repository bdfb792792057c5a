/**
 * Embeddings, canonical: the request in OpenAI's shape (`POST /v1/embeddings`), since every client
 * speaks it, and the answer as plain vectors with normalized `Usage`. Dialects translate both (see
 * `ProviderHttp.EmbeddingsDialect`); `encoding_format: "base64"` is the gateway's own rendering of the
 * float vectors (`toBase64`), so upstreams are always asked for floats.
 */
import { Result, Schema } from "effect"
import { Base64 } from "effect/encoding"
import { ModelName } from "./ChatRequest.ts"
import type { CallContext } from "./ProviderHttp.ts"
import { Untranslatable } from "./ProviderHttp.ts"
import { ServerError } from "./ProviderError.ts"
import { Usage } from "./Usage.ts"

const TokenArray = Schema.Array(Schema.Int)

/** One text, several texts, one token array, or several token arrays (OpenAI's `input`). */
export const Input = Schema.Union([
  Schema.String,
  Schema.Array(Schema.String),
  TokenArray,
  Schema.Array(TokenArray)
])
export type Input = typeof Input.Type

/** How vectors are written in the answer: JSON numbers, or float32 little-endian bytes in base64. */
export const EncodingFormat = Schema.Literals(["float", "base64"])
export type EncodingFormat = typeof EncodingFormat.Type

export const EmbeddingRequest = Schema.Struct({
  model: ModelName,
  input: Input,
  encoding_format: Schema.optionalKey(EncodingFormat),
  /** The length of the vectors, for models that can shorten them. */
  dimensions: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** The end user, passed on where the upstream takes it. */
  user: Schema.optionalKey(Schema.String)
})
export type EmbeddingRequest = typeof EmbeddingRequest.Type

/** The canonical answer: one vector per input, in input order. */
export const EmbeddingResponse = Schema.Struct({
  /** The model that answered, as the provider named it. */
  model: Schema.String,
  embeddings: Schema.Array(Schema.Array(Schema.Number)),
  usage: Schema.optionalKey(Usage)
})
export type EmbeddingResponse = typeof EmbeddingResponse.Type

/** The inputs as a list: texts, or token arrays. */
export const items = (input: Input): ReadonlyArray<string> | ReadonlyArray<ReadonlyArray<number>> => {
  if (typeof input === "string") return [input]
  if (input.length === 0) return []
  const first = input[0]
  return typeof first === "number" ? [input as ReadonlyArray<number>] : (input as ReadonlyArray<string> | ReadonlyArray<ReadonlyArray<number>>)
}

/** The texts of the input, or `undefined` when it is given as token arrays. */
export const texts = (input: Input): ReadonlyArray<string> | undefined => {
  const list = items(input)
  return list.every((item) => typeof item === "string") ? (list as ReadonlyArray<string>) : undefined
}

/** The number of tokens of an input given as token arrays; `undefined` for texts. */
export const tokenCount = (input: Input): number | undefined => {
  const list = items(input)
  return list.length > 0 && list.every((item) => typeof item !== "string")
    ? (list as ReadonlyArray<ReadonlyArray<number>>).reduce((n, tokens) => n + tokens.length, 0)
    : undefined
}

/**
 * The texts, for a dialect whose API takes text only: token arrays throw `Untranslatable` (inside
 * `ProviderHttp.encodeWith`, a `BadRequest` naming `input` and the provider).
 */
export const textsOrRefuse = (input: Input): ReadonlyArray<string> => {
  const found = texts(input)
  if (found === undefined) {
    throw new Untranslatable("token arrays as embeddings input are not supported: send the input as text", "input")
  }
  return found
}

/** A vector as OpenAI's `encoding_format: "base64"` writes it: float32 little-endian, base64. */
export const toBase64 = (vector: ReadonlyArray<number>): string => {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4))
  vector.forEach((x, i) => bytes.setFloat32(i * 4, x, true))
  return Base64.encode(new Uint8Array(bytes.buffer))
}

/** A base64 float32 little-endian vector as numbers; `undefined` when it is not one. */
export const fromBase64 = (text: string): ReadonlyArray<number> | undefined => {
  const decoded = Base64.decode(text)
  if (Result.isFailure(decoded) || decoded.success.length % 4 !== 0) return undefined
  const bytes = decoded.success
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true))
}

/** A vector from the wire: an array of finite numbers, or base64 float32; `undefined` otherwise. */
export const vectorOf = (u: unknown): ReadonlyArray<number> | undefined => {
  if (typeof u === "string") return fromBase64(u)
  return Array.isArray(u) && u.every((x) => typeof x === "number" && Number.isFinite(x)) ? (u as ReadonlyArray<number>) : undefined
}

/** An embeddings answer the dialect cannot read (retryable: another route may answer properly). */
export const malformed = (context: CallContext, detail: string): ServerError =>
  new ServerError({ provider: context.provider, message: `${context.provider}: malformed embeddings answer: ${detail}` })
