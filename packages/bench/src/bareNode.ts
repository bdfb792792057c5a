/**
 * Floor A, the bare Node proxy (a child process): a `node:http` server forwarding
 * `POST /v1/chat/completions` to the upstream (`UPSTREAM_URL`, e.g. `http://127.0.0.1:9999`) with
 * `undici.request` over one keep-alive `Agent`. The small JSON request body is read, then sent; the
 * answer is piped back as it arrives (status and content-type kept), never buffered.
 * Reports `{ type: "ready", port }` over IPC.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { pipeline } from "node:stream/promises"
import { Agent, request } from "undici"

const upstream = `${process.env["UPSTREAM_URL"]}/v1/chat/completions`
const dispatcher = new Agent({ keepAliveTimeout: 60_000 })

const handle = async (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404).end()
    return
  }
  const chunks: Array<Buffer> = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const answer = await request(upstream, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: Buffer.concat(chunks),
    dispatcher
  })
  const contentType = answer.headers["content-type"]
  res.writeHead(answer.statusCode, typeof contentType === "string" ? { "content-type": contentType } : {})
  await pipeline(answer.body, res)
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(502).end()
    else res.destroy()
  })
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  process.send?.({ type: "ready", port: typeof address === "object" && address !== null ? address.port : 0 })
})
process.on("disconnect", () => process.exit(0))
