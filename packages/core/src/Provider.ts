/**
 * The `Provider` service: one upstream LLM API that can answer a canonical chat request, whole or
 * streamed, and, when its API has them, embeddings and a count of a request's input tokens. Adapters build it over `HttpClient` (see
 * `ProviderHttp`); tests swap in mock layers. The request's `model` is the upstream model name,
 * already resolved by routing.
 */
import { Context, type Effect, type Stream } from "effect"
import type { ChatRequest } from "./ChatRequest.ts"
import type { ChatResponse } from "./ChatResponse.ts"
import type { EmbeddingRequest, EmbeddingResponse } from "./Embeddings.ts"
import type { ProviderError } from "./ProviderError.ts"
import type { StreamEvent } from "./StreamEvent.ts"

export interface ProviderShape {
  /** The configured name, used in errors, headers and the ledger. */
  readonly name: string
  readonly complete: (request: ChatRequest) => Effect.Effect<ChatResponse, ProviderError>
  /** A lazy stream: nothing is sent upstream until it is run; interrupting it aborts the request. */
  readonly stream: (request: ChatRequest) => Stream.Stream<StreamEvent, ProviderError>
  /** Vectors for the request's inputs; absent when the provider has no embeddings API. */
  readonly embed?: ((request: EmbeddingRequest) => Effect.Effect<EmbeddingResponse, ProviderError>) | undefined
  /**
   * The input tokens of the request as the provider itself counts them (nothing is generated, nothing
   * billed); absent when the provider has no token-count API.
   */
  readonly countTokens?: ((request: ChatRequest) => Effect.Effect<number, ProviderError>) | undefined
}

export class Provider extends Context.Service<Provider, ProviderShape>()("@switchyard/core/Provider") {}
