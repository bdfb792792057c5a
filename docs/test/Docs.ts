/**
 * What the documentation's tests share: serving a config file shown in a page over mock upstreams,
 * and reading the files a page shows (`<!-- file: PATH -->` before a fenced block).
 */
import { NodeServices } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"

/**
 * Loads a config file as `switchyard serve --config` does (`${VAR}` from `env`) and serves it on a
 * loopback port: real adapters, the file's own ledger (a SQLite file in a scratch folder when it
 * names a relative path or none), no request log unless the file asks for one. Returns the base URL.
 */
export const serveFile = (path: string, env: GatewayConfig.Env) =>
  Effect.gen(function*() {
    const config = yield* GatewayConfig.load(path, env).pipe(Effect.provide(NodeServices.layer))
    const quiet: GatewayConfig.GatewayConfig = { ...config, telemetry: { request_log: false, ...config.telemetry } }
    const gateway = Server.gatewayLayer(quiet, { baseDir: mkdtempSync(join(tmpdir(), "switchyard-docs-")), env: {} })
    const context = yield* Layer.build(Server.layer({ host: "127.0.0.1", port: 0 }).pipe(Layer.provide(gateway)))
    return HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
  })

/** A file a page shows: the path after `<!-- file: -->` (relative to the page) and the block's text. */
export interface Shown {
  readonly file: string
  readonly code: string
}

/** Every `<!-- file: PATH -->` marker of a page and the fenced block right after it. */
export const shownFiles = (markdown: string): ReadonlyArray<Shown> =>
  [...markdown.matchAll(/<!-- file: (\S+) -->\s*\n(`{3,})[^\n]*\n([\s\S]*?)\n\2[ \t]*(?:\n|$)/g)].map((m) => ({
    file: m[1]!,
    code: m[3]!
  }))

/** The fenced blocks of a page whose info string is `lang` (`yaml`, `text`, ...), in order. */
export const blocks = (markdown: string, lang: string): ReadonlyArray<string> =>
  [...markdown.matchAll(/^(`{3,})([^\n]*)\n([\s\S]*?)\n\1[ \t]*$/gm)]
    .filter((m) => m[2]!.trim() === lang)
    .map((m) => m[3]!)

/** A file next to a test module (`import.meta.url`). */
export const beside = (moduleUrl: string, name: string): string => join(dirname(new URL(moduleUrl).pathname), name)

/** A page's text. */
export const read = (path: string): string => readFileSync(path, "utf8")
