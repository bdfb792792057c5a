/**
 * The Anthropic Messages API (`POST /v1/messages`) as an upstream dialect: system prompts, images and
 * PDFs, tools and `tool_choice`, tool results, thinking, structured output, and the event stream
 * (`message_start` … `message_stop`), with usage that counts cache reads and writes as input.
 */
import type { Effect, Redacted } from "effect"
import { Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Provider, ProviderHttp } from "@switchyard/core"
import * as Decode from "./internal/decode.ts"
import * as Encode from "./internal/encode.ts"
import * as AnthropicStream from "./internal/stream.ts"

/** Anthropic's API root; the dialect's path (`/messages`) is relative to it. */
export const defaultBaseUrl = "https://api.anthropic.com/v1"

/** The Messages wire format, with `x-api-key` auth (`anthropic-version` is sent with every request). */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Decode.decodeResponse,
  decodeStream: AnthropicStream.decodeStream,
  authHeaders: (apiKey) => ({ "x-api-key": apiKey })
}

export interface Options {
  /** The configured provider name, used in errors and logs. */
  readonly name: string
  /** Defaults to `https://api.anthropic.com/v1`. */
  readonly baseUrl?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Extra headers for every request (`anthropic-beta`, ...). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** A Messages API provider over `HttpClient`. */
export const make = (options: Options): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> =>
  ProviderHttp.make({
    name: options.name,
    baseUrl: options.baseUrl ?? defaultBaseUrl,
    apiKey: options.apiKey,
    headers: options.headers,
    dialect
  })

/** The `Provider` service backed by the Messages API. */
export const layer = (options: Options): Layer.Layer<Provider.Provider, never, HttpClient.HttpClient> =>
  Layer.effect(Provider.Provider, make(options))

export { defaultMaxTokens } from "./internal/encode.ts"
