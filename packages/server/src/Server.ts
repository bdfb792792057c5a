/**
 * The bundled HTTP gateway: OpenAI- and Anthropic-compatible routes over the `Gateway` service; admin
 * routes over the cost ledger and the breakers (`/v1/usage`, `/v1/routes`, `/v1/requests`,
 * `/v1/series`) and the `/dashboard` page that shows them, and over virtual keys (`/v1/keys`);
 * served by Node.
 * The server is thin: every route decodes, calls the same services a library user would, encodes.
 */
import { createServer, type Server } from "node:http"
import { Context, Duration, Effect, Layer, Logger, References, type Scope } from "effect"
import { FetchHttpClient, HttpClient, HttpMiddleware, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpServerError } from "effect/http"
// Each module on its own: the package's index would load all of it (its Redis client, sockets...).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Race, Redact } from "@switchyard/core"
import { Accounting, Gateway, GatewayConfig, type Ledger, ModelCatalog, ProviderRegistry, RoutingConfig, StateConfig, type VirtualKeys } from "@switchyard/gateway"
import type { RouteHealth } from "@switchyard/routing"
import { AnthropicMessages, ErrorBody } from "@switchyard/translate"
import * as Admission from "./Admission.ts"
import * as ChatCompletions from "./ChatCompletions.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as CountTokens from "./CountTokens.ts"
import * as Dashboard from "./Dashboard.ts"
import * as Embeddings from "./Embeddings.ts"
import * as ErrorResponse from "./ErrorResponse.ts"
import * as KeysRoute from "./KeysRoute.ts"
import * as LogLine from "./LogLine.ts"
import * as Endpoint from "./Endpoint.ts"
import * as Generations from "./Generations.ts"
import * as Messages from "./Messages.ts"
import * as MetricsRoute from "./MetricsRoute.ts"
import * as ModelsRoute from "./ModelsRoute.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RequestsRoute from "./RequestsRoute.ts"
import * as Responses from "./Responses.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as RoutesRoute from "./RoutesRoute.ts"
import * as SeriesRoute from "./SeriesRoute.ts"
import * as Telemetry from "./Telemetry.ts"
import * as UndiciClient from "./UndiciClient.ts"
import * as UsageRoute from "./UsageRoute.ts"

/**
 * Up, and where the shared state is served from (`memory`, `redis`, or `local` while Redis is
 * unreachable); 503 `draining` while the server shuts down (so a load balancer stops sending to it).
 */
const health = Endpoint.make({ open: true }, () =>
  Effect.gen(function*() {
    const admission = yield* Admission.CurrentAdmission
    const state = yield* (yield* StateConfig.StateStatus).status
    return (yield* admission.draining)
      ? HttpServerResponse.jsonUnsafe({ status: "draining", state }, { status: 503 })
      : HttpServerResponse.jsonUnsafe({ status: "ok", state })
  }))

const unknownRoute = Endpoint.make({}, ({ refuse }) => Effect.succeed(refuse(ErrorBody.notFound("Unknown route."))))

/** An unknown path under Anthropic's `/v1/messages`, answered in Anthropic's shape. */
const anthropicUnknownRoute = Endpoint.make(
  { render: AnthropicMessages.renderError },
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
  ...otherMethods.map((method) => HttpRouter.add(method, "/v1/messages", wrongMethod("POST", AnthropicMessages.renderError))),
  ...otherMethods.map((method) => HttpRouter.add(method, "/v1/responses", wrongMethod("POST"))),
  ...otherMethods.map((method) =>
    HttpRouter.add(method, "/v1/messages/count_tokens", wrongMethod("POST", AnthropicMessages.renderError))
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
    RequestBody.limitsLayer({
      maxBodyBytes: config.server?.max_body_bytes ?? RequestBody.defaultLimits.maxBodyBytes,
      maxJsonDepth: config.server?.max_json_depth ?? RequestBody.defaultLimits.maxJsonDepth
    }),
    Logger.layer([LogLine.formatJson.pipe(Logger.map(redactor.text), Logger.withConsoleLog)])
  )

/** Everything the routes need. */
export type Services =
  | Gateway.Gateway
  | ProviderRegistry.ProviderRegistry
  | ModelCatalog.ModelCatalog
  | Accounting.Services
  | ClientKeys.ClientKeys
  | RouteHealth.RouteHealth
  | StateConfig.StateStatus

/**
 * Node's undici client (a pool per origin, Effect's default `Agent`) as `UndiciClient` calls it, each
 * call run in its caller's context: `NodeHttpClient.layerUndici` merges the layer's whole context
 * into every call's, a copy of every service per upstream call, for options this gateway does not
 * set there.
 */
const undiciLayer: Layer.Layer<HttpClient.HttpClient> = Layer.effect(HttpClient.HttpClient, UndiciClient.make).pipe(
  Layer.provide(NodeHttpClient.layerDispatcher)
)

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
): Layer.Layer<Services, Ledger.LedgerError | VirtualKeys.KeyStoreError> => {
  const redactor = Redact.make(GatewayConfig.secrets(config))
  const httpClient = options.httpClient ?? undiciLayer
  return Gateway.layer(config).pipe(
    Layer.provideMerge(egressLayer(config, redactor)),
    Layer.provideMerge(ProviderRegistry.layer(config)),
    Layer.provideMerge(ModelCatalog.layer(config)),
    Layer.provideMerge(ClientKeys.layer(config.keys ?? [])),
    Layer.provideMerge(Accounting.layer(config, options.baseDir ?? process.cwd())),
    Layer.provideMerge(StateConfig.statusLayer(config.state)),
    Layer.provideMerge(RoutingConfig.layer(config.routing, config.state)),
    // Under everything: whether spans are made is read by the services as they are built.
    Layer.provideMerge(Telemetry.layer(Telemetry.settings(config, options.env ?? process.env), redactor)),
    Layer.provide(httpClient)
  )
}

export interface ListenOptions {
  readonly host: string
  readonly port: number
}

/** The config's `server` settings that shape the Node server, with their defaults. */
export interface Settings {
  readonly maxConcurrentRequests: number
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly shutdownGraceMs: number
}

/**
 * 1024 requests at once; 20 s to send the headers and 120 s the whole request (a 32 MiB body at
 * 2 Mbit/s); idle connections kept 65 s, longer than the 60 s idle timeout of common load balancers
 * (which then never send on a connection the gateway just closed); 10 s for what runs at shutdown.
 */
export const settings = (config: GatewayConfig.ServerConfig = {}): Settings => ({
  maxConcurrentRequests: config.max_concurrent_requests ?? 1024,
  headersTimeoutMs: config.headers_timeout_ms ?? 20_000,
  requestTimeoutMs: config.request_timeout_ms ?? 120_000,
  keepAliveTimeoutMs: config.keep_alive_timeout_ms ?? 65_000,
  shutdownGraceMs: config.shutdown_grace_ms ?? 10_000
})

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

/**
 * Node's server with the slow-client timeouts: `requestTimeout` bounds receiving the request (headers
 * and body; Node answers 408 or closes the connection), never sending the answer, so a long stream is
 * not cut; `headersTimeout` may not exceed it. Node checks them every second.
 */
const createGatewayServer = (settings: Settings) => {
  const server = createServer({
    headersTimeout: Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs),
    requestTimeout: settings.requestTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1_000
  })
  server.prependListener("request", (request) => {
    if (request.url !== undefined) request.url = decodablePath(request.url)
  })
  return server
}

/** A refusal in the dialect of the path: Anthropic's under `/v1/messages`, else OpenAI's. */
const refusal = (url: string, verdict: Exclude<Admission.Verdict, "admitted">) =>
  ErrorResponse.toResponse(
    Admission.refused(verdict),
    { "x-request-id": RouteHeaders.newRequestId() },
    url.startsWith("/v1/messages") ? AnthropicMessages.renderError : ErrorBody.renderOpenAi
  )

const isHealthCheck = (url: string) => url === "/healthz" || url.startsWith("/healthz?")

/**
 * Closing the server: it stops listening at once (a new connection is refused, a new request on an
 * open one gets 503 `shutting_down`), gives what runs `grace` to finish, ends what still runs with
 * its error (see `Admission`), then closes the remaining connections.
 */
const shutdown = (node: Server, admission: Admission.Admission, grace: Duration.Duration) =>
  Effect.gen(function*() {
    yield* Effect.sync(() => node.close())
    yield* admission.drain(grace)
    yield* Effect.sync(() => node.closeAllConnections())
  })

/** How each request is given the gateway's services. */
interface Provision<R> {
  readonly provide: <A, E>(effect: Effect.Effect<A, E, Services | Scope.Scope | HttpServerRequest.HttpServerRequest>) => Effect.Effect<A, E, R | Scope.Scope | HttpServerRequest.HttpServerRequest>
  /**
   * Whether the services (their tracer, and whether tracing is on) are outside the server's own
   * context: then the request's server span is made inside `provide`, with them, and the server
   * makes none of its own.
   */
  readonly tracedInside: boolean
}

/**
 * Serves `routes` on `listen` with `settings`, each request given its services by `provision`: at
 * most `maxConcurrentRequests` at once (`/healthz` is never refused), and a graceful shutdown when
 * the layer closes.
 */
const serving = <R>(listen: ListenOptions, settings: Settings, { provide, tracedInside }: Provision<R>) =>
  Layer.unwrap(Effect.gen(function*() {
    const node = createGatewayServer(settings)
    const admission = yield* Admission.make(settings.maxConcurrentRequests)
    const app = yield* HttpRouter.toHttpEffect(routes)
    // Around the whole exchange, the response's body included (a stream runs after its handler).
    const admitted = <E>(exchange: Effect.Effect<HttpServerResponse.HttpServerResponse, E, Services | Scope.Scope | HttpServerRequest.HttpServerRequest>) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!isHealthCheck(request.url)) {
          const verdict = yield* admission.enter
          if (verdict !== "admitted") return refusal(request.url, verdict)
        }
        return yield* provide(tracedInside ? HttpMiddleware.tracer(exchange) : exchange)
      })
    // Built after the server, so closed before it: the drain runs while the server still serves.
    return Layer.effectDiscard(Effect.addFinalizer(() => shutdown(node, admission, Duration.millis(settings.shutdownGraceMs)))).pipe(
      // The admission is in the server's context, which every request's starts from.
      Layer.provideMerge(HttpServer.serve(app, admitted).pipe(Layer.provide(Layer.mergeAll(
        Layer.succeed(Admission.CurrentAdmission, admission),
        Layer.succeed(Race.Cutoff, admission.deadline),
        // A span made here would be the native tracer's, never exported, and the parent of them all.
        tracedInside ? Layer.succeed(References.TracerEnabled, false) : Layer.empty
      )))),
      Layer.provideMerge(NodeHttpServer.layer(() => node, { host: listen.host, port: listen.port }))
    )
  }))

/**
 * Serves `routes` on `host:port` over the services in its context (needs `Gateway`, ...); exposes
 * the bound `HttpServer`. `settings` (the config's `server` section) caps concurrent requests, sets
 * the slow-client timeouts and the shutdown grace: closing the layer drains the server gracefully.
 */
export const layer = (options: ListenOptions, config: GatewayConfig.ServerConfig = {}) =>
  serving<Services>(options, settings(config), { provide: (app) => app, tracedInside: false })

/** Replaces the services of a reloadable server (`layerReloadable`) for the requests to come. */
export class Reload extends Context.Service<Reload, {
  /**
   * Builds the gateway's services for `config` and serves new requests with them; requests in flight
   * finish on the services they started with, which are closed after them. A build that fails (a
   * ledger that cannot open) keeps the running services.
   */
  readonly reload: (config: GatewayConfig.GatewayConfig) => Effect.Effect<void, Ledger.LedgerError | VirtualKeys.KeyStoreError>
}>()("@switchyard/server/Reload") {}

/**
 * The gateway for `config` served on `listen`, as `layer` over `gatewayLayer`, with `Reload` to
 * replace its services without a restart (see `Generations`). The Node server's own settings
 * (address, timeouts, concurrency cap, shutdown grace) stay those of the first config.
 */
export const layerReloadable = (
  config: GatewayConfig.GatewayConfig,
  options: {
    readonly listen: ListenOptions
    readonly baseDir?: string | undefined
    readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
  }
): Layer.Layer<HttpServer.HttpServer | Reload, Ledger.LedgerError | VirtualKeys.KeyStoreError | HttpServerError.ServeError> =>
  Layer.unwrap(Effect.gen(function*() {
    const generations = yield* Generations.make(gatewayLayer(config, options))
    return serving<never>(options.listen, settings(config.server), { provide: generations.provide, tracedInside: true }).pipe(
      Layer.merge(Layer.succeed(Reload, { reload: (next) => generations.replace(gatewayLayer(next, options)) }))
    )
  }))

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
