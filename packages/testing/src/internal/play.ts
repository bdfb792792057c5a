/**
 * Writes a `Reply` to a node:http response, applying its transport faults. All timing is real
 * (setTimeout), and every pending timer is dropped as soon as the connection closes.
 */
import type { ServerResponse } from "node:http"
import type { Reply } from "../Reply.ts"

export interface PlayHooks {
  /** A body chunk was fully written (all of its small writes). */
  readonly onChunk: () => void
  /** The server is about to close the connection on purpose (disconnect or reset fault). */
  readonly onServerClose: () => void
}

export const play = (reply: Reply, res: ServerResponse, hooks: PlayHooks): void => {
  const t = reply.transport
  if (t.hang) return
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let closed = false
  res.on("close", () => {
    closed = true
    for (const timer of timers) clearTimeout(timer)
  })
  const later = (ms: number, f: () => void) => {
    if (closed) return
    if (ms <= 0) return f()
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (!closed) f()
    }, ms)
    timers.add(timer)
  }

  const writeBytes = (bytes: Uint8Array, done: () => void) => {
    const size = t.writeSize
    // Waiting for each write to flush keeps a later `destroy` from discarding bytes already "sent".
    if (size === undefined) {
      res.write(bytes, () => later(0, done))
      return
    }
    const next = (offset: number) => {
      if (offset >= bytes.length) return done()
      res.write(bytes.subarray(offset, offset + size), () => later(t.writeGap, () => next(offset + size)))
    }
    next(0)
  }

  const writeChunk = (index: number) => {
    if (t.disconnectAfter === index) {
      hooks.onServerClose()
      res.socket?.destroy()
      return
    }
    if (t.stallAfter === index) return
    const chunk = reply.chunks[index]
    if (chunk === undefined) {
      res.end()
      return
    }
    later(chunk.delay, () =>
      writeBytes(chunk.bytes, () => {
        hooks.onChunk()
        writeChunk(index + 1)
      }))
  }

  later(t.latency, () => {
    if (t.reset) {
      hooks.onServerClose()
      res.socket?.resetAndDestroy()
      return
    }
    const headers: Record<string, string> = { ...reply.headers }
    if (reply.contentLength && headers["content-length"] === undefined) {
      headers["content-length"] = String(reply.chunks.reduce((n, c) => n + c.bytes.length, 0))
    }
    res.writeHead(reply.status, headers)
    res.flushHeaders()
    writeChunk(0)
  })
}
