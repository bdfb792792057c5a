/**
 * The Google Gemini API (`generateContent`, `streamGenerateContent?alt=sse`) as an upstream dialect,
 * for Gemini and Gemma models: system instructions, `contents`/`parts`, images and files, function
 * declarations and calls, JSON schema output, thinking, service tiers, and `usageMetadata` with
 * cached, tool-use prompt and thought tokens; embeddings (`batchEmbedContents`); and token counts
 * (`countTokens`).
 */
import { Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Provider, ProviderHttp } from "@switchyard/core"
import * as CountTokens from "./internal/countTokens.ts"
import * as Embeddings from "./internal/embeddings.ts"
import * as Encode from "./internal/encode.ts"
import * as Errors from "./internal/errors.ts"
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
  errorRules: Errors.errorRules,
  embeddings: Embeddings.dialect,
  countTokens: CountTokens.dialect
}

/** The provider's name, and optionally its base URL (default above), API key and extra headers. */
export type Options = ProviderHttp.AdapterOptions

const adapter = ProviderHttp.adapter(dialect, defaultBaseUrl)

/**
 * A Gemini API provider over `HttpClient`. A 429 for a spent daily quota or a quota of 0 on the
 * project's tier is `QuotaExceeded`, not a retryable rate limit.
 */
export const make = (options: Options): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> =>
  adapter.make(options).pipe(Effect.map(Errors.refineProvider))

/** The `Provider` service backed by the Gemini API. */
export const layer = (options: Options): Layer.Layer<Provider.Provider, never, HttpClient.HttpClient> =>
  Layer.effect(Provider.Provider, make(options))
