/**
 * The bundled HTTP gateway: OpenAI- and Anthropic-compatible routes over the `Gateway` service, and
 * `GET /v1/usage` over the cost ledger, served by Node.
 * The server is thin: every route decodes, calls the same services a library user would, encodes.
 */
import { createServer } from "node:http"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import type { CostLedger } from "@switchyard/cost"
import { Accounting, Gateway, type GatewayConfig, ProviderRegistry, RoutingConfig } from "@switchyard/gateway"
import * as ChatCompletions from "./ChatCompletions.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as Messages from "./Messages.ts"
import * as UsageRoute from "./UsageRoute.ts"

const models = Effect.gen(function*() {
  const gateway = yield* Gateway.Gateway
  return HttpServerResponse.jsonUnsafe({
    object: "list",
    data: gateway.models.map((id) => ({ id, object: "model", created: 0, owned_by: id.includes("/") ? id.split("/")[0] : "switchyard" }))
  })
})

const health = Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "ok" }))

const unknownRoute = Effect.succeed(ErrorBody.toResponse(ErrorBody.notFound("Unknown route.")))

/** Every route of the gateway. Needs `Gateway`. */
export const routes = Layer.mergeAll(
  HttpRouter.add("POST", "/v1/chat/completions", ChatCompletions.handler),
  HttpRouter.add("POST", "/v1/messages", Messages.handler),
  HttpRouter.add("GET", "/v1/models", models),
  HttpRouter.add("GET", "/v1/usage", UsageRoute.handler),
  HttpRouter.add("GET", "/healthz", health),
  HttpRouter.add("*", "*", unknownRoute)
)

/** Everything the routes need. */
export type Services = Gateway.Gateway | ProviderRegistry.ProviderRegistry | Accounting.Services | ClientKeys.ClientKeys

/**
 * The gateway's services for a config: providers over Node's undici HTTP client, the cost services
 * (a relative ledger path is taken from `baseDir`, the config file's folder), client keys, the
 * router, and the `Gateway`.
 */
export const gatewayLayer = (
  config: GatewayConfig.GatewayConfig,
  options: { readonly baseDir?: string | undefined } = {}
): Layer.Layer<Services, CostLedger.LedgerError> =>
  Gateway.layer(config).pipe(
    Layer.provideMerge(ProviderRegistry.layer(config)),
    Layer.provideMerge(Accounting.layer(config, options.baseDir ?? process.cwd())),
    Layer.provideMerge(ClientKeys.layer(config.keys ?? [])),
    Layer.provide(RoutingConfig.layer(config.routing)),
    Layer.provide(NodeHttpClient.layerUndici)
  )

export interface ListenOptions {
  readonly host: string
  readonly port: number
}

/** Serves `routes` on `host:port`. Needs `Gateway`; exposes the bound `HttpServer`. */
export const layer = (options: ListenOptions) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: options.host, port: options.port }))
  )
