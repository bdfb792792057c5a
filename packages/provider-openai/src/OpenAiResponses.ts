/**
 * The OpenAI Responses API (`POST /v1/responses`) as an upstream dialect: the canonical request as
 * `instructions` + `input` items, answers from `output` items, and the typed SSE stream
 * (`response.created` … `response.completed`) as canonical events. Requests are sent with
 * `store: false`, so nothing is kept server-side.
 */
import type { Effect, Redacted } from "effect"
import { Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Provider, ProviderHttp } from "@switchyard/core"
import * as Decode from "./internal/responsesDecode.ts"
import * as Encode from "./internal/responsesEncode.ts"
import * as ResponsesStream from "./internal/responsesStream.ts"

/** OpenAI's API root; the dialect's path (`/responses`) is relative to a base URL ending in `/v1`. */
export const defaultBaseUrl = "https://api.openai.com/v1"

/** The Responses API wire format, with Bearer auth. */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Decode.decodeResponse,
  decodeStream: ResponsesStream.decodeStream,
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  errorRules: Decode.errorRules
}

export interface Options {
  /** The configured provider name, used in errors and logs. */
  readonly name: string
  /** Defaults to `https://api.openai.com/v1`. */
  readonly baseUrl?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Extra headers for every request (`OpenAI-Organization`, `OpenAI-Project`, ...). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** A Responses API provider over `HttpClient`. */
export const make = (options: Options): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> =>
  ProviderHttp.make({
    name: options.name,
    baseUrl: options.baseUrl ?? defaultBaseUrl,
    apiKey: options.apiKey,
    headers: options.headers,
    dialect
  })

/** The `Provider` service backed by the Responses API. */
export const layer = (options: Options): Layer.Layer<Provider.Provider, never, HttpClient.HttpClient> =>
  Layer.effect(Provider.Provider, make(options))
