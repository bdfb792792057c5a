/**
 * The mock upstream (a child process): a fast OpenAI-compatible server on plain `node:http`.
 * `POST /v1/chat/completions` answers a `chat.completion`, or with `stream: true` an SSE stream of 20
 * content chunks (+ the usage chunk when asked, + `data: [DONE]`), written at once — or, after the
 * parent sends `{ type: "delay", ms, stamped? }` over IPC, with `ms` between content chunks (and with
 * `stamped`, each content piece saying when it was written: `Wire.stampedPiece`).
 * Reports `{ type: "ready", port }` over IPC once listening on an ephemeral port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { completionJson, PIECES, stampedPiece, streamGroup, streamGroups } from "./wire.ts"

let delayMs = 0
/** With a delay: each content piece is stamped with when it was written (`Wire.stampedPiece`). */
let stamped = false
const json = Buffer.from(completionJson())
const groups = { usage: streamGroups(true).map((g) => Buffer.from(g)), noUsage: streamGroups(false).map((g) => Buffer.from(g)) }
const whole = { usage: Buffer.concat(groups.usage), noUsage: Buffer.concat(groups.noUsage) }
const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

const handle = async (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404, { "content-type": "application/json" }).end(`{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}`)
    return
  }
  let body: { stream?: boolean; stream_options?: { include_usage?: boolean } }
  try {
    body = JSON.parse(await readBody(req))
  } catch {
    res.writeHead(400, { "content-type": "application/json" }).end(`{"error":{"message":"bad json","type":"invalid_request_error","param":null,"code":null}}`)
    return
  }
  if (body.stream !== true) {
    res.writeHead(200, { "content-type": "application/json", "content-length": json.length }).end(json)
    return
  }
  const usage = body.stream_options?.include_usage === true
  if (delayMs <= 0) {
    res.writeHead(200, SSE_HEADERS).end(usage ? whole.usage : whole.noUsage)
    return
  }
  const parts = usage ? groups.usage : groups.noUsage
  res.writeHead(200, SSE_HEADERS)
  let i = 0
  const next = () => {
    if (res.destroyed) return
    const part = stamped ? streamGroup(i, usage, stampedPiece(i)) : parts[i]!
    i++
    if (i === PIECES.length) {
      res.end(part)
      return
    }
    res.write(part)
    setTimeout(next, delayMs)
  }
  next()
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  handle(req, res).catch(() => res.destroy())
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  process.send?.({ type: "ready", port: typeof address === "object" && address !== null ? address.port : 0 })
})
process.on("message", (message: { type?: string; ms?: number; stamped?: boolean }) => {
  if (message.type === "delay") {
    delayMs = message.ms ?? 0
    stamped = message.stamped === true
    process.send?.({ type: "delay-set", ms: delayMs })
  }
})
process.on("disconnect", () => process.exit(0))
