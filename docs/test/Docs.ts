/**
 * What the documentation's tests share: serving a config file shown in a page over mock upstreams,
 * running the `switchyard` command as a reader would, and reading the files a page shows
 * (`<!-- file: PATH -->` before a fenced block).
 */
import { NodeServices } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { HttpServer } from "effect/http"
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
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

const bin = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url))

/** The environment without provider keys, base URLs or `PORT`, plus `env`: a machine set up only as a page says. */
export const environment = (env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/_API_KEY$|_BASE_URL$|^OLLAMA_HOST$|^PORT$/.test(key))),
  ...env
})

/** Runs `switchyard ...args` (a real Node process) in `cwd` to its end: exit code and output. */
export const switchyard = (args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = environment()) =>
  Effect.callback<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  })

/**
 * Starts `switchyard serve ...args` in `cwd`, waits for its "listening" line and stops it with the
 * scope. Returns its URL and its output so far.
 */
export const serveCommand = (args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = environment()) =>
  Effect.acquireRelease(
    Effect.callback<{ child: ReturnType<typeof spawn>; url: string; output: () => string }, Error>((resume) => {
      const child = spawn(process.execPath, [bin, "serve", ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      const onData = (data: Buffer) => {
        output += data.toString()
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match) resume(Effect.succeed({ child, url: match[1]!, output: () => output }))
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", onData)
      child.on("exit", (code) => resume(Effect.fail(new Error(`exited with ${code}: ${output}`))))
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGTERM"))
  ).pipe(Effect.map(({ output, url }) => ({ url, output })))

/** A scratch folder holding copies of `files` (paths): what a config writes next to itself lands there. */
export const scratchWith = (files: ReadonlyArray<string>): string => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-docs-"))
  for (const file of files) copyFileSync(file, join(dir, basename(file)))
  return dir
}
