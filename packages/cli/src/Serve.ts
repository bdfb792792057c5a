/**
 * `switchyard serve`: load the config (a file, or the environment when there is none), build the
 * gateway's layers and serve them until interrupted.
 */
import { Console, Effect, Layer } from "effect"
import { dirname } from "node:path"
import { HttpServer } from "effect/http"
import type { FileSystem } from "effect"
import { GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"

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

const fail = (message: string) =>
  Console.error(message).pipe(Effect.andThen(Effect.sync(() => {
    process.exitCode = 1
  })))

/** Serves until interrupted. A bad config or an unusable ledger is reported on stderr with exit code 1. */
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
    yield* Layer.launch(
      Layer.effectDiscard(announce).pipe(
        Layer.provideMerge(Server.layer(listen)),
        Layer.provide(Server.gatewayLayer(config, {
          baseDir: options.configPath === undefined ? process.cwd() : dirname(options.configPath)
        }))
      )
    )
  }).pipe(
    Effect.catchTags({
      ConfigError: (error) => fail(error.message),
      LedgerError: (error) => fail(error.message),
      KeyStoreError: (error) => fail(error.message)
    })
  )
