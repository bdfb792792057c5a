/**
 * Starts the real gateway HTTP server on a loopback port for a test, over the given providers.
 */
import { Context, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import type { Provider } from "@switchyard/core"
import { Accounting, Gateway, type GatewayConfig, ModelCatalog, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"
import { ClientKeys, Server } from "@switchyard/server"

/** Serves the gateway for a config (real adapters over undici; an in-memory ledger unless the config names one). Returns the base URL. */
export const serveConfig = (config: GatewayConfig.GatewayConfig) =>
  serveLayer(Server.gatewayLayer({ ledger: { kind: "memory" }, ...config }))

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
        Layer.provideMerge(Accounting.layer(config, ".")),
        Layer.provideMerge(ClientKeys.layer([])),
        Layer.provide(RoutingConfig.layer(config.routing))
      )
    )
  }

const serveLayer = <E>(gateway: Layer.Layer<Server.Services, E>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Server.layer({ host: "127.0.0.1", port: 0 }).pipe(Layer.provide(gateway)))
    return HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
  })
