/**
 * Starts the real gateway HTTP server on a loopback port for a test, over the given providers.
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { HttpServer } from "effect/http"
import type { Provider } from "@switchyard/core"
import { Accounting, Gateway, type GatewayConfig, ModelCatalog, ProviderRegistry, RoutingConfig, StateConfig } from "@switchyard/gateway"
import { ClientKeys, Server } from "@switchyard/server"
import { MockUpstream } from "@switchyard/testing"

/**
/**
 * Serves the gateway for a config (real adapters over undici; an in-memory ledger and no request log
 * unless the config says otherwise; no `OTEL_*` variables; the Node server as its `server` section
 * says). Returns the base URL.
 */
export const serveConfig = (config: GatewayConfig.GatewayConfig) =>
  serveLayer(
    Server.gatewayLayer({ ledger: { kind: "memory" }, telemetry: { request_log: false }, ...config }, { env: {} }),
    config.server
  )

/** Serves the gateway over already-built providers (mock layers). Returns the base URL. */
export const serveProviders = (
  providers: ReadonlyArray<Provider.ProviderShape>,
  models?: GatewayConfig.GatewayConfig["models"]
) =>
  {
    const config: GatewayConfig.GatewayConfig = {
      providers: Object.fromEntries(providers.map((p) => [p.name, { kind: "demo" as const }])),
      ledger: { kind: "memory" },
      ...(models === undefined ? {} : { models })
    }
    return serveLayer(
      Gateway.layer(config).pipe(
        Layer.provideMerge(ProviderRegistry.fromProviders(providers)),
        Layer.provideMerge(ModelCatalog.layerEmpty),
        Layer.provideMerge(ClientKeys.layer([])),
        Layer.provideMerge(Accounting.layer(config, ".")),
        Layer.provideMerge(StateConfig.statusLayer(config.state)),
        Layer.provideMerge(RoutingConfig.layer(config.routing))
      )
    )
  }

const serveLayer = <E>(gateway: Layer.Layer<Server.Services, E>, settings?: GatewayConfig.ServerConfig) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Server.layer({ host: "127.0.0.1", port: 0 }, settings).pipe(Layer.provide(gateway)))
    return HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
  })

/**
 * Two OpenAI-compatible mock upstreams behind alias `smart`: `primary/big` first, then
 * `backup/small`, over the real server with `extra` config (routing, keys, ...). Replies are the
 * caller's to script.
 */
export const servePair = (
  extra: Partial<GatewayConfig.GatewayConfig> = {},
  options: { readonly backupPrefill?: boolean } = {}
) =>
  Effect.gen(function*() {
    const primary = yield* MockUpstream.make()
    const backup = yield* MockUpstream.make()
    const url = yield* serveConfig({
      providers: {
        primary: { kind: "openai", base_url: `${primary.url}/v1`, api_key: Redacted.make("sk-primary-0123456789") },
        backup: {
          kind: "openai",
          base_url: `${backup.url}/v1`,
          api_key: Redacted.make("sk-backup-0123456789"),
          ...(options.backupPrefill === undefined ? {} : { prefill: options.backupPrefill })
        }
      },
      models: { smart: { routes: [{ provider: "primary", model: "big" }, { provider: "backup", model: "small" }] } },
      ...extra
    })
    return { primary, backup, url }
  })

/** What a request to the server got back, and how long it took (ms). */
export interface Result {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly elapsed: number
}

/** A Chat Completions request for alias `smart` saying "hi", with `body` merged in. */
export const postChat = (url: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  Effect.promise(async (): Promise<Result> => {
    const started = Date.now()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "smart", messages: [{ role: "user", content: "hi" }], ...body })
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, elapsed: Date.now() - started }
  })

/** The message content of a whole Chat Completions answer. */
export const content = (r: Result): string => JSON.parse(r.text).choices[0].message.content

/** The text of a streamed Chat Completions answer, its deltas joined. */
export const streamed = (r: Result): string =>
  r.text.split("\n\n").filter((f) => f.startsWith("data: {")).map((f) => JSON.parse(f.slice(6)))
    .map((c) => c.choices?.[0]?.delta?.content ?? "").join("")
