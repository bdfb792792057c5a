/**
 * OpenAI Chat Completions (`POST /chat/completions`) as an upstream dialect: OpenAI itself and every
 * OpenAI-compatible host (xAI, Moonshot Kimi, DeepSeek, Groq, Together, OpenRouter, Mistral, vLLM,
 * Ollama's `/v1`, Z.ai, proxies). One adapter; a host's differences are data (`Hosts`). Embeddings
 * (`POST /embeddings`) go to the same host.
 */
import type { Effect } from "effect"
import { Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Provider, ProviderHttp } from "@switchyard/core"
import * as Hosts from "./Hosts.ts"
import * as Decode from "./internal/chatDecode.ts"
import * as Encode from "./internal/chatEncode.ts"
import * as Embeddings from "./internal/embeddings.ts"
import * as ChatStream from "./internal/chatStream.ts"

/** OpenAI's API root. */
export const defaultBaseUrl = "https://api.openai.com/v1"

/** The Chat Completions wire format with a host's quirks, and `/embeddings`, with Bearer auth. */
export const dialect = (host: Hosts.Host): ProviderHttp.Dialect => ({
  encode: Encode.encode(host),
  decodeResponse: Decode.decodeResponse(host),
  decodeStream: ChatStream.decodeStream(host),
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  errorRules: host.errorRules,
  embeddings: Embeddings.dialect(host)
})

/** `baseUrl` defaults to the host's (OpenAI's for an unknown host). */
export interface Options extends ProviderHttp.AdapterOptions {
  /** The host profile whose quirks apply (`groq`, `deepseek`, ...). Defaults to `name`. */
  readonly host?: string | undefined
}

/** A Chat Completions provider over `HttpClient`. */
export const make = (options: Options): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> => {
  const host = Hosts.resolve(options.host ?? options.name)
  return ProviderHttp.make({
    name: options.name,
    baseUrl: options.baseUrl ?? host.defaultBaseUrl ?? defaultBaseUrl,
    apiKey: options.apiKey,
    headers: options.headers,
    dialect: dialect(host)
  })
}

/** The `Provider` service backed by Chat Completions. */
export const layer = (options: Options): Layer.Layer<Provider.Provider, never, HttpClient.HttpClient> =>
  Layer.effect(Provider.Provider, make(options))
