/**
 * `switchyard serve`: load the config (a file, or the environment when there is none), build the
 * gateway's layers and serve them until SIGTERM or SIGINT; SIGHUP reloads the config file.
 */
import { Console, Context, Effect, Fiber, Latch, Layer, Queue, Stream } from "effect"
import { dirname } from "node:path"
import { HttpServer } from "effect/http"
import type { FileSystem } from "effect"
import { GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"
import { failure } from "./internal/failure.ts"

export interface ServeOptions {
  /** A config file; without one, providers are detected from the environment. */
  readonly configPath: string | undefined
  /** Overrides the config's and `PORT`'s port. */
  readonly port: number | undefined
  readonly host: string | undefined
  readonly env: GatewayConfig.Env
}

export const DEFAULT_HOST = "127.0.0.1"
export const DEFAULT_PORT = 4000

/** The config to serve: the file's, or the environment's. */
export const loadConfig = (options: ServeOptions): Effect.Effect<GatewayConfig.GatewayConfig, GatewayConfig.ConfigError, FileSystem.FileSystem> =>
  options.configPath === undefined
    ? Effect.succeed(GatewayConfig.fromEnv(options.env))
    : GatewayConfig.load(options.configPath, options.env)

/** Where to listen: flag, then `PORT`, then the config, then 127.0.0.1:4000. */
export const address = (options: ServeOptions, config: GatewayConfig.GatewayConfig): Server.ListenOptions => {
  const envPort = options.env["PORT"] === undefined ? undefined : Number(options.env["PORT"])
  return {
    host: options.host ?? config.server?.host ?? DEFAULT_HOST,
    port: options.port ?? (Number.isInteger(envPort) ? envPort : undefined) ?? config.server?.port ?? DEFAULT_PORT
  }
}

/**
 * Completes on the first of `signals`. Until then they are this effect's alone: the handlers already
 * set (the runtime's, which would interrupt the program and exit with code 130) are set aside, and
 * put back after.
 */
const firstOf = (signals: ReadonlyArray<NodeJS.Signals>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const received = Latch.makeUnsafe(false)
      const on = () => received.openUnsafe()
      const aside = signals.map((signal) => [signal, process.listeners(signal)] as const)
      for (const [signal, listeners] of aside) {
        listeners.forEach((listener) => process.off(signal, listener))
        process.on(signal, on)
      }
      return { received, on, aside }
    }),
    ({ received }) => received.await,
    ({ aside, on }) =>
      Effect.sync(() => {
        for (const [signal, listeners] of aside) {
          process.off(signal, on)
          listeners.forEach((listener) => process.on(signal, listener))
        }
      })
  )

/** Every `signal` this process receives, until the scope closes. */
const each = (signal: NodeJS.Signals) =>
  Stream.callback<void>((queue) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const on = () => Queue.offerUnsafe(queue, undefined)
        process.on(signal, on)
        return on
      }),
      (on) => Effect.sync(() => process.off(signal, on))
    )
  )

/**
 * Re-reads and validates the config file, then serves new requests with it. A file that does not
 * validate, or whose ledger cannot open, is reported on stderr and the running config stays.
 */
export const reload = (options: ServeOptions, server: Server.Reload["Service"]) =>
  loadConfig(options).pipe(
    Effect.flatMap(server.reload),
    Effect.matchEffect({
      onFailure: (error) => Console.error(`Config not reloaded; the running config stays.\n${error.message}`),
      onSuccess: () => Console.log(`Config reloaded from ${options.configPath ?? "the environment"}.`)
    })
  )

/**
 * Serves until SIGTERM or SIGINT, then shuts down gracefully (see `Server.layer`) and ends normally
 * (exit code 0). With a config file, SIGHUP reloads it (`reload`). A bad config or an unusable
 * ledger at startup is reported on stderr with exit code 1.
 */
export const serve = (options: ServeOptions) =>
  Effect.gen(function*() {
    const config = yield* loadConfig(options)
    const listen = address(options, config)
    const providers = Object.entries(config.providers).map(([name, p]) => `${name} (${p.kind})`).join(", ")
    const announce = Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const demoOnly = config.providers["demo"]?.kind === "demo" && Object.keys(config.providers).length === 1
      yield* Console.log([
        `Switchyard listening on ${HttpServer.formatAddress(server.address)}`,
        `Providers: ${providers}`,
        ...(demoOnly ? ["No provider API keys found in the environment: answering with the built-in demo provider."] : [])
      ].join("\n"))
    })
    const served = Layer.effectDiscard(announce).pipe(
      Layer.provideMerge(Server.layerReloadable(config, {
        listen,
        baseDir: options.configPath === undefined ? process.cwd() : dirname(options.configPath)
      }))
    )
    yield* Effect.scoped(Effect.gen(function*() {
      const stop = yield* Effect.forkScoped(firstOf(["SIGTERM", "SIGINT"]))
      const context = yield* Layer.build(served)
      if (options.configPath !== undefined) {
        yield* Effect.forkScoped(Stream.runForEach(each("SIGHUP"), () => reload(options, Context.get(context, Server.Reload))))
      }
      yield* Fiber.join(stop)
      yield* Console.log("Shutting down: draining the requests in flight.")
    }))
  }).pipe(
    Effect.catchTags({
      ConfigError: (error) => failure(error.message),
      LedgerError: (error) => failure(error.message),
      KeyStoreError: (error) => failure(error.message)
    })
  )
