/**
 * Builds a `Provider` over `HttpClient` from a `Dialect`: the pure description of one wire format
 * (how to encode a request, decode a response and a stream, which error codes differ, and, when the
 * API has them, how to ask for embeddings and for a token count). Everything
 * transport-related lives here once: auth and extra headers, status checks, error bodies through the
 * one classifier, transport failures, and abort on interruption (interrupting the effect or the
 * stream cancels the HTTP request and closes its socket).
 */
import { Effect, Layer, Redacted, Stream } from "effect"
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import type { ChatRequest } from "./ChatRequest.ts"
import type { ChatResponse } from "./ChatResponse.ts"
import type { EmbeddingRequest, EmbeddingResponse } from "./Embeddings.ts"
import * as ErrorClassifier from "./ErrorClassifier.ts"
import { Provider, type ProviderShape } from "./Provider.ts"
import { BadRequest, type ProviderError, ServerError, StreamInterrupted } from "./ProviderError.ts"
import type { StreamEvent } from "./StreamEvent.ts"
import * as Traced from "./Traced.ts"

/** What a dialect's encoder produces: where to send the request and its JSON body. */
export interface Encoded {
  /** Path relative to the host's base URL, with any query string. */
  readonly path: string
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** Facts a dialect's functions may need about the call. */
export interface CallContext {
  readonly provider: string
  /** The upstream model the request names. */
  readonly model: string
}

/** A JSON endpoint of a wire format besides chat: the request to send, and the value in its answer. */
export interface JsonEndpoint<Request, A> {
  readonly encode: (request: Request, context: CallContext) => Effect.Effect<Encoded, ProviderError>
  readonly decode: (body: unknown, context: CallContext) => Effect.Effect<A, ProviderError>
}

/** A wire format's embeddings endpoint: the request to send, and the vectors from its answer. */
export type EmbeddingsDialect = JsonEndpoint<EmbeddingRequest, EmbeddingResponse>

/**
 * A wire format's token-count endpoint: the request to send (the chat request's prompt, see
 * `countable`), and the number of input tokens from its answer.
 */
export type CountTokensDialect = JsonEndpoint<ChatRequest, number>

/**
 * The part of a chat request that is counted as input: what only shapes the output (limits,
 * sampling, stop sequences, `n`, `seed`, logprobs, service tier, end user, streaming) is left out,
 * so a token count never fails on a generation setting its API does not take.
 */
export const countable = (request: ChatRequest): ChatRequest => {
  const {
    frequency_penalty: _frequencyPenalty,
    logit_bias: _logitBias,
    logprobs: _logprobs,
    max_completion_tokens: _maxCompletionTokens,
    max_tokens: _maxTokens,
    metadata: _metadata,
    n: _n,
    presence_penalty: _presencePenalty,
    seed: _seed,
    service_tier: _serviceTier,
    stop: _stop,
    stream: _stream,
    stream_options: _streamOptions,
    temperature: _temperature,
    top_logprobs: _topLogprobs,
    top_p: _topP,
    user: _user,
    ...prompt
  } = request
  return prompt
}

/** One wire format, as pure functions over the canonical model. */
export interface Dialect {
  readonly encode: (request: ChatRequest, stream: boolean, context: CallContext) => Effect.Effect<Encoded, ProviderError>
  readonly decodeResponse: (body: unknown, context: CallContext) => Effect.Effect<ChatResponse, ProviderError>
  readonly decodeStream: <R>(
    bytes: Stream.Stream<Uint8Array, ProviderError, R>,
    context: CallContext
  ) => Stream.Stream<StreamEvent, ProviderError, R>
  /** The headers that carry the API key (`Authorization: Bearer`, `x-api-key`, ...). */
  readonly authHeaders: (apiKey: string) => Readonly<Record<string, string>>
  readonly errorRules?: ErrorClassifier.Rules | undefined
  /** The embeddings endpoint, when the API has one: the provider then has `embed`. */
  readonly embeddings?: EmbeddingsDialect | undefined
  /** The token-count endpoint, when the API has one: the provider then has `countTokens`. */
  readonly countTokens?: CountTokensDialect | undefined
}

export interface Options {
  readonly name: string
  readonly baseUrl: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Extra headers sent with every request (organization, version, referer, ...). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly dialect: Dialect
}

const joinUrl = (base: string, path: string) => base.replace(/\/+$/, "") + "/" + path.replace(/^\/+/, "")

const lowerCaseHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))

/** Builds the provider. Needs an `HttpClient`. */
export const make = (options: Options): Effect.Effect<ProviderShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const tracing = yield* Traced.enabled
    const { dialect, name } = options
    const secret = options.apiKey === undefined ? undefined : Redacted.value(options.apiKey)
    const secrets = secret === undefined ? [] : [secret]
    const fixedHeaders = { ...options.headers, ...(secret === undefined ? {} : dialect.authHeaders(secret)) }

    const transportError = (cause: { readonly message: string }): ProviderError =>
      new ServerError({ provider: name, message: `${name}: request failed: ${cause.message}` })

    /** Sends the encoded request; a non-2xx status becomes a classified error with its body. */
    const post = (context: CallContext, encode: Effect.Effect<Encoded, ProviderError>) =>
      Effect.gen(function*() {
        const encoded = yield* encode
        const httpRequest = HttpClientRequest.post(joinUrl(options.baseUrl, encoded.path)).pipe(
          HttpClientRequest.setHeaders({ ...fixedHeaders, ...encoded.headers }),
          HttpClientRequest.bodyJsonUnsafe(encoded.body)
        )
        const response = yield* client.execute(httpRequest).pipe(Effect.mapError(transportError))
        if (response.status < 200 || response.status >= 300) {
          const body = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
          return yield* Effect.fail(ErrorClassifier.classify({
            provider: name,
            status: response.status,
            headers: lowerCaseHeaders(response.headers),
            body,
            secrets
          }, dialect.errorRules))
        }
        return { response, context }
      })

    const send = (request: ChatRequest, stream: boolean) => {
      const context: CallContext = { provider: name, model: request.model }
      return post(context, dialect.encode(request, stream, context))
    }

    const readJson = (response: HttpClientResponse.HttpClientResponse) =>
      response.text.pipe(
        Effect.mapError(transportError),
        Effect.flatMap((text) =>
          Effect.try({
            try: () => JSON.parse(text) as unknown,
            catch: () =>
              new ServerError({
                provider: name,
                status: response.status,
                message: `${name}: response body is not JSON`,
                body: ErrorClassifier.classify({ provider: name, body: text, secrets }).body
              })
          })
        )
      )

    /** A JSON endpoint as a call: the request encoded and posted, the answer's JSON decoded, traced as `span`. */
    const jsonCall = <Request extends { readonly model: string }, A>(span: string, endpoint: JsonEndpoint<Request, A>) =>
    (request: Request) => {
      const context: CallContext = { provider: name, model: request.model }
      return post(context, endpoint.encode(request, context)).pipe(
        Effect.flatMap(({ response }) => readJson(response)),
        Effect.flatMap((json) => endpoint.decode(json, context)),
        Traced.effect(tracing, span, () => ({ attributes: { provider: name, model: request.model } }))
      )
    }
    const embed = dialect.embeddings === undefined ? {} : { embed: jsonCall("Provider.embed", dialect.embeddings) }
    const countTokens = dialect.countTokens === undefined ? {} : { countTokens: jsonCall("Provider.countTokens", dialect.countTokens) }

    return {
      name,
      ...embed,
      ...countTokens,
      complete: (request) =>
        send(request, false).pipe(
          Effect.flatMap(({ context, response }) =>
            readJson(response).pipe(Effect.flatMap((json) => dialect.decodeResponse(json, context)))
          ),
          Traced.effect(tracing, "Provider.complete", () => ({ attributes: { provider: name, model: request.model } }))
        ),
      stream: (request) =>
        Stream.unwrap(
          send(request, true).pipe(Effect.map(({ context, response }) =>
            dialect.decodeStream(
              response.stream.pipe(
                Stream.mapError((cause) =>
                  new StreamInterrupted({ provider: name, message: `${name}: stream broke: ${cause.message}` })
                )
              ),
              context
            )
          ))
        )
    } satisfies ProviderShape
  })

/** What an adapter's constructor takes: the configured name, and optionally where and how to call. */
export interface AdapterOptions {
  /** The configured provider name, used in errors and logs. */
  readonly name: string
  /** Defaults to the adapter's own. */
  readonly baseUrl?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Extra headers for every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** The `make` and `layer` of an adapter with one dialect and a default base URL. */
export const adapter = (dialect: Dialect, defaultBaseUrl: string) => {
  const build = (options: AdapterOptions): Effect.Effect<ProviderShape, never, HttpClient.HttpClient> =>
    make({ ...options, baseUrl: options.baseUrl ?? defaultBaseUrl, dialect })
  return {
    make: build,
    layer: (options: AdapterOptions): Layer.Layer<Provider, never, HttpClient.HttpClient> => Layer.effect(Provider, build(options))
  }
}

/** Thrown by a dialect's request builder for a feature its wire format cannot express. */
export class Untranslatable {
  readonly message: string
  /** The request field, as a path (`messages[2].content[0]`). */
  readonly param: string
  constructor(message: string, param: string) {
    this.message = message
    this.param = param
  }
}

/**
 * Runs a dialect's request builder; an `Untranslatable` becomes a `BadRequest` that names the feature,
 * the field and the provider, so nothing the client asked for is dropped silently.
 */
export const encodeWith = (
  wire: string,
  context: CallContext,
  build: () => Encoded
): Effect.Effect<Encoded, ProviderError> =>
  Effect.try({
    try: build,
    catch: (error) => {
      if (!(error instanceof Untranslatable)) throw error
      return new BadRequest({
        provider: context.provider,
        message: `${context.provider} (${wire}): ${error.message}`,
        param: error.param
      })
    }
  })
