/**
 * The `ProviderRegistry` service: every configured provider by name, built once from the config.
 * Tests and library users can build it from any `Provider`s instead (mock layers, custom adapters).
 */
import { Context, Effect, Layer, Option, Record, Redacted } from "effect"
import type { HttpClient } from "effect/http"
import type { Provider } from "@switchyard/core"
import { Anthropic } from "@switchyard/provider-anthropic"
import { Gemini } from "@switchyard/provider-google"
import { Ollama } from "@switchyard/provider-ollama"
import { OpenAiChat, OpenAiResponses } from "@switchyard/provider-openai"
import * as Demo from "./Demo.ts"
import type { GatewayConfig, ProviderConfig } from "./GatewayConfig.ts"

export interface Entry {
  readonly provider: Provider.ProviderShape
  /** Models the provider is configured to offer (listed by `GET /v1/models`). */
  readonly models: ReadonlyArray<string>
}

export class ProviderRegistry extends Context.Service<ProviderRegistry, {
  readonly get: (name: string) => Option.Option<Entry>
  /** Configured provider names, in config order. */
  readonly names: ReadonlyArray<string>
}>()("@switchyard/gateway/ProviderRegistry") {}

const build = (name: string, config: ProviderConfig): Effect.Effect<Provider.ProviderShape, never, HttpClient.HttpClient> => {
  const common = {
    name,
    ...(config.base_url === undefined ? {} : { baseUrl: config.base_url }),
    ...(config.api_key === undefined ? {} : { apiKey: config.api_key }),
    ...(config.headers === undefined ? {} : { headers: Record.map(config.headers, Redacted.value) })
  }
  switch (config.kind) {
    case "openai":
      return OpenAiChat.make({ ...common, host: config.host ?? name })
    case "openai-responses":
      return OpenAiResponses.make(common)
    case "anthropic":
      return Anthropic.make(common)
    case "gemini":
      return Gemini.make(common)
    case "ollama":
      return Ollama.make(common)
    case "demo":
      return Effect.succeed(Demo.make(name))
  }
}

/** A registry over already-built providers (mock layers in tests, custom adapters). */
export const fromProviders = (
  providers: ReadonlyArray<Provider.ProviderShape>
): Layer.Layer<ProviderRegistry> => {
  const entries = new Map<string, Entry>(providers.map((p) => [p.name, { provider: p, models: [] }]))
  return Layer.succeed(ProviderRegistry, {
    get: (name) => Option.fromNullishOr(entries.get(name)),
    names: [...entries.keys()]
  })
}

/** The registry of a config's providers. Needs an `HttpClient`. */
export const layer = (config: GatewayConfig): Layer.Layer<ProviderRegistry, never, HttpClient.HttpClient> =>
  Layer.effect(
    ProviderRegistry,
    Effect.gen(function*() {
      const entries = new Map<string, Entry>()
      for (const [name, providerConfig] of Object.entries(config.providers)) {
        entries.set(name, {
          provider: yield* build(name, providerConfig),
          models: providerConfig.models ?? (providerConfig.kind === "demo" ? [Demo.model] : [])
        })
      }
      return { get: (name) => Option.fromNullishOr(entries.get(name)), names: [...entries.keys()] }
    })
  )
