/**
 * The Anthropic Messages API (`POST /v1/messages`) as an upstream dialect: system prompts, images and
 * PDFs, tools and `tool_choice`, tool results, thinking, structured output, and the event stream
 * (`message_start` … `message_stop`), with usage that counts cache reads and writes as input; and
 * token counts (`POST /v1/messages/count_tokens`).
 */
import { ProviderHttp } from "@switchyard/core"
import * as Decode from "./internal/decode.ts"
import * as Encode from "./internal/encode.ts"
import * as AnthropicStream from "./internal/stream.ts"

/** Anthropic's API root; the dialect's path (`/messages`) is relative to it. */
export const defaultBaseUrl = "https://api.anthropic.com/v1"

/** The token-count endpoint: the Messages body without `max_tokens`, answered with `input_tokens`. */
export const countTokens: ProviderHttp.CountTokensDialect = { encode: Encode.encodeCount, decode: Decode.decodeCount }

/** The Messages wire format, with `x-api-key` auth (`anthropic-version` is sent with every request). */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Decode.decodeResponse,
  decodeStream: AnthropicStream.decodeStream,
  authHeaders: (apiKey) => ({ "x-api-key": apiKey }),
  countTokens
}

/** The provider's name, and optionally its base URL (default above), API key and extra headers. */
export type Options = ProviderHttp.AdapterOptions

const adapter = ProviderHttp.adapter(dialect, defaultBaseUrl)

/** A Messages API provider over `HttpClient`. */
export const make = adapter.make

/** The `Provider` service backed by the Messages API. */
export const layer = adapter.layer

export { defaultMaxTokens } from "./internal/encode.ts"
