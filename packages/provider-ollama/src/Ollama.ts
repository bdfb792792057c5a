/**
 * Ollama's native chat API (`POST /api/chat`) as an upstream dialect. Streams are newline-delimited
 * JSON, not SSE: every line is a partial message, and the last one says `"done": true` with the
 * finish reason and token counts. Local Ollama needs no key; a hosted one (ollama.com) takes Bearer.
 * Embeddings use the native `POST /api/embed`.
 */
import { ProviderHttp } from "@switchyard/core"
import * as Decode from "./internal/decode.ts"
import * as Embed from "./internal/embed.ts"
import * as Encode from "./internal/encode.ts"

/** Where a local Ollama listens. */
export const defaultBaseUrl = "http://127.0.0.1:11434"

/** The `/api/chat` wire format, and `/api/embed`. */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Decode.decodeResponse,
  decodeStream: Decode.decodeStream,
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  errorRules: Decode.errorRules,
  embeddings: Embed.dialect
}

/** The provider's name, and optionally its base URL (default above), API key and extra headers. */
export type Options = ProviderHttp.AdapterOptions

const adapter = ProviderHttp.adapter(dialect, defaultBaseUrl)

/** An Ollama provider over `HttpClient`. */
export const make = adapter.make

/** The `Provider` service backed by Ollama. */
export const layer = adapter.layer
