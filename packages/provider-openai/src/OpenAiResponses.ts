/**
 * The OpenAI Responses API (`POST /v1/responses`) as an upstream dialect: the canonical request as
 * `instructions` + `input` items, answers from `output` items, and the typed SSE stream
 * (`response.created` … `response.completed`) as canonical events. Requests are sent with
 * `store: false`, so nothing is kept server-side. Embeddings use OpenAI's `POST /embeddings`.
 */
import { ProviderHttp } from "@switchyard/core"
import * as Embeddings from "./internal/embeddings.ts"
import * as Hosts from "./Hosts.ts"
import * as Decode from "./internal/responsesDecode.ts"
import * as Encode from "./internal/responsesEncode.ts"
import * as ResponsesStream from "./internal/responsesStream.ts"

/** OpenAI's API root; the dialect's path (`/responses`) is relative to a base URL ending in `/v1`. */
export const defaultBaseUrl = "https://api.openai.com/v1"

/** The Responses API wire format, and `/embeddings`, with Bearer auth. */
export const dialect: ProviderHttp.Dialect = {
  encode: Encode.encode,
  decodeResponse: Decode.decodeResponse,
  decodeStream: ResponsesStream.decodeStream,
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  errorRules: Decode.errorRules,
  embeddings: Embeddings.dialect(Hosts.resolve("openai"))
}

/** The provider's name, and optionally its base URL (default above), API key and extra headers. */
export type Options = ProviderHttp.AdapterOptions

const adapter = ProviderHttp.adapter(dialect, defaultBaseUrl)

/** A Responses API provider over `HttpClient`. */
export const make = adapter.make

/** The `Provider` service backed by the Responses API. */
export const layer = adapter.layer
