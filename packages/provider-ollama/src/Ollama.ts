/**
 * Ollama's native chat API (`POST /api/chat`) as an upstream dialect. Streams are newline-delimited
 * JSON, not SSE: every line is a partial message, and the last one says `"done": true` with the
 * finish reason and token counts. Local Ollama needs no key; a hosted one (ollama.com) takes Bearer.
 */
import type { Effect, Redacted } from "effect"
import { Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Provider, ProviderHttp } from "@switchyard/core"
import * as Decode from "./internal/decode.ts"
import * as Encode from "./internal/encode.ts"

/** Where a local Ollama listens. */
export const defaultBaseUrl = "http://127.0.0.1:11434"

/** The `/api/chat` wire format. */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Decode.decodeResponse,
  decodeStream: Decode.decodeStream,
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  errorRules: Decode.errorRules
}

export interface Options {
  /** The configured provider name, used in errors and logs. */
  readonly name: string
  /** Defaults to `http://127.0.0.1:11434`. */
  readonly baseUrl?: string | undefined
  /** Only for hosted Ollama; sent as `Authorization: Bearer`. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** An Ollama provider over `HttpClient`. */
export const make = (options: Options): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> =>
  ProviderHttp.make({
    name: options.name,
    baseUrl: options.baseUrl ?? defaultBaseUrl,
    apiKey: options.apiKey,
    headers: options.headers,
    dialect
  })

/** The `Provider` service backed by Ollama. */
export const layer = (options: Options): Layer.Layer<Provider.Provider, never, HttpClient.HttpClient> =>
  Layer.effect(Provider.Provider, make(options))
