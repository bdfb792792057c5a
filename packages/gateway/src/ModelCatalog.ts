/**
 * The `ModelCatalog` service: the models each configured provider lists through its own API, so
 * `GET /v1/models` offers what can really be addressed (as `provider/model`) even when the config
 * declares none. OpenAI-compatible hosts and Anthropic answer `GET {base}/models`, Gemini
 * `GET {base}/models`, Ollama `GET {base}/api/tags`. The catalog is asked on first use and kept for
 * 10 minutes; each provider gets 3 s, and one that fails or cannot list adds nothing (what the
 * config declares is listed anyway).
 */
import { Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Anthropic } from "@switchyard/provider-anthropic"
import { Gemini } from "@switchyard/provider-google"
import { Ollama } from "@switchyard/provider-ollama"
import { OpenAiChat } from "@switchyard/provider-openai"
import type { GatewayConfig, ProviderConfig } from "./GatewayConfig.ts"
import type { Route } from "./Route.ts"

export interface ModelCatalogShape {
  /** `provider/model` routes the providers list, in config order. */
  readonly listed: Effect.Effect<ReadonlyArray<Route>>
}

export class ModelCatalog extends Context.Service<ModelCatalog, ModelCatalogShape>()("@switchyard/gateway/ModelCatalog") {}

/** How long a listing is kept. */
const TTL = Duration.minutes(10)
/** How long one provider may take to list. */
const TIMEOUT = Duration.seconds(3)

const Ids = Schema.Struct({ data: Schema.Array(Schema.Struct({ id: Schema.String })) })
const GeminiModels = Schema.Struct({ models: Schema.Array(Schema.Struct({ name: Schema.String })) })
const OllamaTags = Schema.Struct({ models: Schema.Array(Schema.Struct({ name: Schema.String })) })

/** Where a provider kind lists its models, the headers it needs, and how to read the answer. */
const listing = (config: ProviderConfig): Option.Option<{
  readonly url: string
  readonly headers: Record<string, string>
  readonly read: (body: unknown) => ReadonlyArray<string>
}> => {
  const key = config.api_key === undefined ? undefined : Redacted.value(config.api_key)
  const extra = Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k, Redacted.value(v)]))
  const base = (fallback: string) => (config.base_url ?? fallback).replace(/\/+$/, "")
  const ids = (body: unknown) => Schema.decodeUnknownSync(Ids)(body).data.map((m) => m.id)
  switch (config.kind) {
    case "openai":
    case "openai-responses":
      return Option.some({ url: `${base(OpenAiChat.defaultBaseUrl)}/models`, headers: { ...extra, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) }, read: ids })
    case "anthropic":
      return Option.some({
        url: `${base(Anthropic.defaultBaseUrl)}/models?limit=1000`,
        headers: { "anthropic-version": "2023-06-01", ...extra, ...(key === undefined ? {} : { "x-api-key": key }) },
        read: ids
      })
    case "gemini":
      return Option.some({
        url: `${base(Gemini.defaultBaseUrl)}/models?pageSize=1000`,
        headers: { ...extra, ...(key === undefined ? {} : { "x-goog-api-key": key }) },
        read: (body) => Schema.decodeUnknownSync(GeminiModels)(body).models.map((m) => m.name.replace(/^models\//, ""))
      })
    case "ollama":
      return Option.some({
        url: `${base(Ollama.defaultBaseUrl)}/api/tags`,
        headers: { ...extra, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
        read: (body) => Schema.decodeUnknownSync(OllamaTags)(body).models.map((m) => m.name)
      })
    case "demo":
      return Option.none()
  }
}

export const make = (config: GatewayConfig): Effect.Effect<ModelCatalogShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const listOne = (name: string, provider: ProviderConfig): Effect.Effect<ReadonlyArray<Route>> =>
      Option.match(listing(provider), {
        onNone: () => Effect.succeed([]),
        onSome: ({ headers, read, url }) =>
          client.execute(HttpClientRequest.get(url).pipe(HttpClientRequest.setHeaders(headers))).pipe(
            Effect.flatMap((response) => response.json),
            Effect.flatMap((body) => Effect.try(() => read(body))),
            Effect.map((models): ReadonlyArray<Route> => models.map((model) => ({ provider: name, model }))),
            Effect.timeout(TIMEOUT),
            Effect.orElseSucceed((): ReadonlyArray<Route> => [])
          )
      })
    const listAll = Effect.map(
      Effect.forEach(Object.entries(config.providers), ([name, provider]) => listOne(name, provider), { concurrency: "unbounded" }),
      (lists) => lists.flat()
    )
    return { listed: yield* Effect.cachedWithTTL(listAll, TTL) }
  })

/** The catalog of a config's providers, over the `HttpClient` in context. */
export const layer = (config: GatewayConfig): Layer.Layer<ModelCatalog, never, HttpClient.HttpClient> =>
  Layer.effect(ModelCatalog, make(config))

/** A catalog that lists nothing (providers built in code, tests). */
export const layerEmpty: Layer.Layer<ModelCatalog> = Layer.succeed(ModelCatalog, { listed: Effect.succeed([]) })
