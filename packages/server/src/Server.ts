/**
 * The bundled HTTP gateway: OpenAI- and Anthropic-compatible routes over the `Gateway` service; admin
 * routes over the cost ledger and the breakers (`/v1/usage`, `/v1/routes`, `/v1/requests`,
 * `/v1/series`) and the `/dashboard` page that shows them, and over virtual keys (`/v1/keys`);
 * served by Node.
 * The server is thin: every route decodes, calls the same services a library user would, encodes.
 */
import { createServer } from "node:http"
import { Effect, Layer, Logger } from "effect"
import { FetchHttpClient, type HttpClient, HttpRouter, HttpServerResponse } from "effect/http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Redact } from "@switchyard/core"
import type { CostLedger } from "@switchyard/cost"
import { Accounting, Gateway, GatewayConfig, ModelCatalog, ProviderRegistry, RoutingConfig, type VirtualKeys } from "@switchyard/gateway"
import type { RouteHealth } from "@switchyard/routing"
import * as AnthropicDialect from "./AnthropicDialect.ts"
import * as ChatCompletions from "./ChatCompletions.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as CountTokens from "./CountTokens.ts"
import * as Dashboard from "./Dashboard.ts"
import * as Embeddings from "./Embeddings.ts"
import * as KeysRoute from "./KeysRoute.ts"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as Messages from "./Messages.ts"
import * as MetricsRoute from "./MetricsRoute.ts"
import * as ModelsRoute from "./ModelsRoute.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RequestsRoute from "./RequestsRoute.ts"
import * as Responses from "./Responses.ts"
import * as RoutesRoute from "./RoutesRoute.ts"
import * as SeriesRoute from "./SeriesRoute.ts"
import * as Telemetry from "./Telemetry.ts"
import * as UsageRoute from "./UsageRoute.ts"

const health = Endpoint.make({ open: true }, () => Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "ok" })))

const unknownRoute = Endpoint.make({}, ({ refuse }) => Effect.succeed(refuse(ErrorBody.notFound("Unknown route."))))

/** An unknown path under Anthropic's `/v1/messages`, answered in Anthropic's shape. */
const anthropicUnknownRoute = Endpoint.make(
  { render: AnthropicDialect.renderError },
  ({ refuse }) => Effect.succeed(refuse(ErrorBody.notFound("Unknown route.")))
)

const otherMethods = ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"] as const

/** Another method on a known path: 405, in the path's dialect. */
const wrongMethod = (allowed: string, render?: ErrorBody.Render) =>
  Endpoint.make({ render }, ({ refuse }) =>
    Effect.succeed(refuse({
      status: 405,
      body: { message: `Method not allowed: use ${allowed}.`, type: "bad_request", code: "method_not_allowed", param: null, provider: null, retryable: false }
    }, { allow: allowed })))

/** Every route of the gateway, each behind the client keys but the health check and the dashboard's files. Needs `Gateway`. */
export const routes = Layer.mergeAll(
  HttpRouter.add("POST", "/v1/chat/completions", ChatCompletions.handler),
  HttpRouter.add("POST", "/v1/embeddings", Embeddings.handler),
  HttpRouter.add("POST", "/v1/messages", Messages.handler),
  HttpRouter.add("POST", "/v1/responses", Responses.handler),
  HttpRouter.add("POST", "/v1/messages/count_tokens", CountTokens.handler),
  HttpRouter.add("GET", "/v1/models", ModelsRoute.list),
  HttpRouter.add("GET", "/v1/models/:id", ModelsRoute.retrieve),
  HttpRouter.add("GET", "/v1/models/:provider/:model", ModelsRoute.retrieve),
  HttpRouter.add("GET", "/v1/usage", UsageRoute.handler),
  HttpRouter.add("GET", "/metrics", MetricsRoute.handler),
  HttpRouter.add("GET", "/v1/routes", RoutesRoute.handler),
  HttpRouter.add("GET", "/v1/requests", RequestsRoute.list),
  HttpRouter.add("GET", "/v1/requests/:id", RequestsRoute.retrieve),
  HttpRouter.add("GET", "/v1/series", SeriesRoute.handler),
  HttpRouter.add("POST", "/v1/keys", KeysRoute.create),
  HttpRouter.add("GET", "/v1/keys", KeysRoute.list),
  HttpRouter.add("PATCH", "/v1/keys/:id", KeysRoute.update),
  HttpRouter.add("DELETE", "/v1/keys/:id", KeysRoute.revoke),
  HttpRouter.add("GET", "/dashboard", Dashboard.page),
  HttpRouter.add("GET", "/dashboard/:file", Dashboard.asset),
  HttpRouter.add("GET", "/healthz", health),
  ...otherMethods.map((method) => HttpRouter.add(method, "/v1/chat/completions", wrongMethod("POST"))),
  ...otherMethods.map((method) => HttpRouter.add(method, "/v1/embeddings", wrongMethod("POST"))),
  ...otherMethods.map((method) => HttpRouter.add(method, "/v1/messages", wrongMethod("POST", AnthropicDialect.renderError))),
  ...otherMethods.map((method) => HttpRouter.add(method, "/v1/responses", wrongMethod("POST"))),
  ...otherMethods.map((method) =>
    HttpRouter.add(method, "/v1/messages/count_tokens", wrongMethod("POST", AnthropicDialect.renderError))
  ),
  ...["POST", ...otherMethods].map((method) => HttpRouter.add(method as "POST", "/v1/messages/:unknown", anthropicUnknownRoute)),
  HttpRouter.add("*", "*", unknownRoute)
)

/**
 * What the gateway emits is redacted with every secret of the config, logs included (one JSON line
 * each), and request bodies are held to the config's limits.
 */
export const egressLayer = (config: GatewayConfig.GatewayConfig, redactor = Redact.make(GatewayConfig.secrets(config))): Layer.Layer<never> =>
  Layer.mergeAll(
    Layer.succeed(Redact.CurrentRedactor, redactor),
    Layer.succeed(RequestBody.RequestLimits, {
      maxBodyBytes: config.server?.max_body_bytes ?? RequestBody.defaultLimits.maxBodyBytes,
      maxJsonDepth: config.server?.max_json_depth ?? RequestBody.defaultLimits.maxJsonDepth
    }),
    Logger.layer([Logger.formatJson.pipe(Logger.map(redactor.text), Logger.withConsoleLog)])
  )

/** Everything the routes need. */
export type Services =
  | Gateway.Gateway
  | ProviderRegistry.ProviderRegistry
  | ModelCatalog.ModelCatalog
  | Accounting.Services
  | ClientKeys.ClientKeys
  | RouteHealth.RouteHealth

/**
 * The gateway's services for a config: providers over Node's undici HTTP client (or `httpClient`),
 * the cost services (a relative ledger path is taken from `baseDir`, the config file's folder),
 * client keys, the router and its breakers, the `Gateway`, and its telemetry (`env` supplies the
 * `OTEL_*` variables the config leaves out; default `process.env`).
 */
export const gatewayLayer = (
  config: GatewayConfig.GatewayConfig,
  options: {
    readonly baseDir?: string | undefined
    /** How upstreams are called (default: Node's undici). */
    readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
    readonly env?: GatewayConfig.Env | undefined
  } = {}
): Layer.Layer<Services, CostLedger.LedgerError | VirtualKeys.KeyStoreError> => {
  const redactor = Redact.make(GatewayConfig.secrets(config))
  const httpClient = options.httpClient ?? NodeHttpClient.layerUndici
  return Gateway.layer(config).pipe(
    Layer.provideMerge(egressLayer(config, redactor)),
    Layer.provideMerge(Telemetry.layer(Telemetry.settings(config, options.env ?? process.env), redactor).pipe(Layer.provide(httpClient))),
    Layer.provideMerge(ProviderRegistry.layer(config)),
    Layer.provideMerge(ModelCatalog.layer(config)),
    Layer.provideMerge(ClientKeys.layer(config.keys ?? [])),
    Layer.provideMerge(Accounting.layer(config, options.baseDir ?? process.cwd())),
    Layer.provideMerge(RoutingConfig.layer(config.routing)),
    Layer.provide(httpClient)
  )
}

export interface ListenOptions {
  readonly host: string
  readonly port: number
}

/**
 * A path whose percent-encoding does not decode (`/%zz`, a cut UTF-8 sequence) has its `%` taken
 * literally, so the router matches it (an unknown route, answered as JSON) instead of refusing it
 * with an empty 404 before any route runs.
 */
const decodablePath = (url: string): string => {
  try {
    decodeURIComponent(url)
    return url
  } catch {
    return url.replaceAll("%", "%25")
  }
}

const createGatewayServer = () => {
  const server = createServer()
  server.prependListener("request", (request) => {
    if (request.url !== undefined) request.url = decodablePath(request.url)
  })
  return server
}

/** Serves `routes` on `host:port`. Needs `Gateway`; exposes the bound `HttpServer`. */
export const layer = (options: ListenOptions) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createGatewayServer, { host: options.host, port: options.port }))
  )

/**
 * The same `routes` as a web-standard `fetch` handler, for runtimes other than Node's server (tested
 * under `Bun.serve`): the gateway's services as in `gatewayLayer`, but upstream calls go through
 * `fetch` (`FetchHttpClient`) instead of undici. The services are built at once; a failed build
 * (a ledger that cannot open) rejects every request. `dispose` releases them. A relative ledger path
 * is taken from `baseDir` (default `"."`); note the SQLite ledger needs `node:sqlite`.
 */
export const webHandler = (
  config: GatewayConfig.GatewayConfig,
  options: { readonly baseDir?: string | undefined } = {}
): { readonly handler: (request: Request) => Promise<Response>; readonly dispose: () => Promise<void> } => {
  const services = gatewayLayer(config, { baseDir: options.baseDir ?? ".", httpClient: FetchHttpClient.layer })
  const web = HttpRouter.toWebHandler(Layer.provideMerge(routes, services), { disableLogger: true })
  return {
    // As on the Node server, an undecodable path is taken literally (see `decodablePath`).
    handler: (request) => {
      const url = decodablePath(request.url)
      if (url === request.url) return web.handler(request)
      // `duplex` (needed to pass a streamed body on) is not in TypeScript's `RequestInit` yet.
      const init: RequestInit & { readonly duplex: "half" } = {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
        duplex: "half"
      }
      return web.handler(new Request(url, init))
    },
    dispose: web.dispose
  }
}
