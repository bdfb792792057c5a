/**
 * The Google Gemini API (`generateContent`, `streamGenerateContent?alt=sse`) as an upstream dialect,
 * for Gemini and Gemma models: system instructions, `contents`/`parts`, images, function declarations
 * and calls, JSON schema output, thinking, and `usageMetadata` with cached and thought tokens.
 */
import type { Effect, Redacted } from "effect"
import { Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Provider, ProviderHttp } from "@switchyard/core"
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

export interface Options {
  /** The configured provider name, used in errors and logs. */
  readonly name: string
  /** Defaults to `https://generativelanguage.googleapis.com/v1beta`. */
  readonly baseUrl?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** A Gemini API provider over `HttpClient`. */
export const make = (options: Options): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> =>
  ProviderHttp.make({
    name: options.name,
    baseUrl: options.baseUrl ?? defaultBaseUrl,
    apiKey: options.apiKey,
    headers: options.headers,
    dialect
  })

/** The `Provider` service backed by the Gemini API. */
export const layer = (options: Options): Layer.Layer<Provider.Provider, never, HttpClient.HttpClient> =>
  Layer.effect(Provider.Provider, make(options))
