/**
 * The Google Gemini API (`generateContent`, `streamGenerateContent?alt=sse`) as an upstream dialect,
 * for Gemini and Gemma models: system instructions, `contents`/`parts`, images, function declarations
 * and calls, JSON schema output, thinking, and `usageMetadata` with cached and thought tokens.
 */
import { ProviderHttp } from "@switchyard/core"
import * as Decode from "./internal/decode.ts"
import * as Encode from "./internal/encode.ts"
import * as Response from "./internal/response.ts"
import * as GeminiStream from "./internal/stream.ts"

/** The Gemini API root; paths (`models/<id>:generateContent`) are relative to it. */
export const defaultBaseUrl = "https://generativelanguage.googleapis.com/v1beta"

/** The Gemini wire format, with `x-goog-api-key` auth. */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Response.decodeResponse,
  decodeStream: GeminiStream.decodeStream,
  authHeaders: (apiKey) => ({ "x-goog-api-key": apiKey }),
  errorRules: Decode.errorRules
}

/** The provider's name, and optionally its base URL (default above), API key and extra headers. */
export type Options = ProviderHttp.AdapterOptions

const adapter = ProviderHttp.adapter(dialect, defaultBaseUrl)

/** A Gemini API provider over `HttpClient`. */
export const make = adapter.make

/** The `Provider` service backed by the Gemini API. */
export const layer = adapter.layer
