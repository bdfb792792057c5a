/**
 * Serves the gateway under Bun through `Server.webHandler`: the config is the JSON document in
 * `SWITCHYARD_CONFIG` (decoded as a config file would be), the port is any free one, and the first
 * line printed is `listening <url>`. SIGTERM/SIGINT stop it. Run with
 * `bun --conditions=@switchyard/source packages/server/test/bun/serve.ts` (see Runtimes.test.ts).
 */
import { Effect } from "effect"
import { GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"

/** The little of Bun's API used here (no `@types/bun` in the project). */
declare const Bun: {
  readonly version: string
  serve(options: {
    readonly hostname: string
    readonly port: number
    readonly fetch: (request: Request) => Promise<Response>
  }): { readonly url: URL; stop(closeActiveConnections?: boolean): Promise<void> }
}

const document: unknown = JSON.parse(process.env["SWITCHYARD_CONFIG"] ?? "null")
const config = await Effect.runPromise(GatewayConfig.decode(document, "SWITCHYARD_CONFIG", process.env))
const { handler, dispose } = Server.webHandler(config)
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler })
console.log(`listening ${server.url.origin} bun ${Bun.version}`)

const stop = () => {
  void server.stop(true).then(dispose).finally(() => process.exit(0))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
