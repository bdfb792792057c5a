/**
 * A scriptable mock of an LLM provider's HTTP API on loopback: a real `node:http` server on a random
 * port, so provider adapters, retries, hedging and timeouts are tested against real sockets.
 *
 * Each route (`"POST /v1/chat/completions"`, or a prefix such as `"POST /v1beta/models/*"`) has a
 * queue of replies consumed in order, then the route's default, then the server's fallback, then a
 * 500 "no script" answer. Every request is recorded with what became of its connection: completed,
 * closed by the client before the reply finished (an interrupted call), or closed by the server (a
 * disconnect or reset fault).
 *
 * Timing is real, so tests use `it.live`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer, type Scope } from "effect"
import * as Reply from "./Reply.ts"
import { play } from "./internal/play.ts"
import * as Routes from "./internal/routes.ts"

/** A request as the mock upstream received it. */
export interface RecordedRequest {
  /** Arrival order, from 0. */
  readonly index: number
  readonly method: string
  /** The path without the query string. */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The body parsed as JSON; `undefined` when it is not JSON. */
  readonly json: unknown
  /** Epoch milliseconds when the whole request had arrived. */
  readonly receivedAt: number
}

/** What became of the connection that carried a request. */
export type Outcome =
  | { readonly _tag: "Pending" }
  | { readonly _tag: "Completed"; readonly at: number }
  /** The client closed the connection before the reply finished (`res` closed before `finish`). */
  | { readonly _tag: "ClosedByClient"; readonly at: number }
  /** A fault closed it on purpose (`Fault.disconnectAfter`, `Fault.reset`). */
  | { readonly _tag: "ClosedByServer"; readonly at: number }

export interface Exchange {
  readonly request: RecordedRequest
  /** The route whose script answered, as it was registered; `undefined` for the fallback. */
  readonly route: string | undefined
  /** Body chunks fully written so far. */
  readonly chunksWritten: number
  readonly outcome: Outcome
}

/** A reply, or a function choosing one from the request. */
export type Responder = Reply.Reply | ((request: RecordedRequest) => Reply.Reply)

export interface MockUpstreamShape {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly url: string
  readonly port: number
  /** Appends replies to a route's queue; each matching request takes the next one. */
  readonly enqueue: (route: string, ...replies: ReadonlyArray<Responder>) => Effect.Effect<void>
  /** The reply a route gives once its queue is empty. */
  readonly setDefault: (route: string, reply: Responder) => Effect.Effect<void>
  /** Every request so far with its connection outcome, in arrival order. */
  readonly exchanges: Effect.Effect<ReadonlyArray<Exchange>>
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Waits until at least `count` requests have arrived. */
  readonly awaitRequests: (count: number) => Effect.Effect<ReadonlyArray<Exchange>>
  /** Waits until the connection of request `index` has settled (completed or closed). */
  readonly awaitOutcome: (index: number) => Effect.Effect<Exchange>
  /** Forgets every script and record (for a server shared across tests). */
  readonly reset: Effect.Effect<void>
}

export class MockUpstream extends Context.Service<MockUpstream, MockUpstreamShape>()(
  "@switchyard/testing/MockUpstream"
) {}

export interface Options {
  /** Replies per route: one responder, or a queue of them. */
  readonly routes?: Readonly<Record<string, Responder | ReadonlyArray<Responder>>> | undefined
  /** The answer for requests no script covers; a 500 "no script" JSON error by default. */
  readonly fallback?: Responder | undefined
}

interface RouteState {
  readonly pattern: Routes.Pattern
  readonly queue: Array<Responder>
  fallback: Responder | undefined
}

interface ExchangeState {
  request: RecordedRequest
  route: string | undefined
  chunksWritten: number
  outcome: Outcome
}

const noScript = (request: RecordedRequest): Reply.Reply =>
  Reply.json({
    error: {
      message: `MockUpstream: no scripted reply for ${request.method} ${request.path}`,
      type: "mock_upstream_no_script"
    }
  }, { status: 500 })

const record = (req: IncomingMessage, body: string, index: number): RecordedRequest => {
  const url = new URL(req.url ?? "/", "http://mock.invalid")
  let json: unknown = undefined
  try {
    json = body.length > 0 ? JSON.parse(body) : undefined
  } catch {
    json = undefined
  }
  return {
    index,
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])
    ),
    body,
    json,
    receivedAt: Date.now()
  }
}

/** Runs a responder; one that throws answers 500 with its message rather than crashing the server. */
const respond = (responder: Responder, request: RecordedRequest): Reply.Reply => {
  if (typeof responder !== "function") return responder
  try {
    return responder(request)
  } catch (cause) {
    return Reply.json({
      error: { message: `MockUpstream: the responder failed: ${String(cause)}`, type: "mock_upstream_responder" }
    }, { status: 500 })
  }
}

const snapshot = (e: ExchangeState): Exchange => ({ ...e })

/** Starts the server on 127.0.0.1, port 0; closes it (and every open connection) with the scope. */
export const make = (options: Options = {}): Effect.Effect<MockUpstreamShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const routes = new Map<string, RouteState>()
    const exchanges: Array<ExchangeState> = []
    const listeners = new Set<() => void>()
    const notify = () => {
      for (const listener of [...listeners]) listener()
    }

    const routeState = (route: string): RouteState => {
      const existing = routes.get(route)
      if (existing !== undefined) return existing
      const created: RouteState = { pattern: Routes.parse(route), queue: [], fallback: undefined }
      routes.set(route, created)
      return created
    }

    const choose = (request: RecordedRequest): { route: string | undefined; responder: Responder } => {
      const candidates = [...routes.entries()]
        .filter(([, s]) => Routes.matches(s.pattern, request.method, request.path))
        .sort(([, a], [, b]) => Routes.specificity(b.pattern) - Routes.specificity(a.pattern))
      for (const [route, state] of candidates) {
        const next = state.queue.shift() ?? state.fallback
        if (next !== undefined) return { route, responder: next }
      }
      return { route: undefined, responder: options.fallback ?? noScript }
    }

    const handle = (req: IncomingMessage, res: ServerResponse) => {
      const parts: Array<Buffer> = []
      req.on("data", (part: Buffer) => parts.push(part))
      req.on("end", () => {
        const request = record(req, Buffer.concat(parts).toString("utf8"), exchanges.length)
        const { responder, route } = choose(request)
        const state: ExchangeState = { request, route, chunksWritten: 0, outcome: { _tag: "Pending" } }
        exchanges.push(state)
        const settle = (outcome: Outcome) => {
          if (state.outcome._tag !== "Pending") return
          state.outcome = outcome
          notify()
        }
        let serverClosing = false
        res.on("finish", () => settle({ _tag: "Completed", at: Date.now() }))
        res.on("close", () => settle({ _tag: serverClosing ? "ClosedByServer" : "ClosedByClient", at: Date.now() }))
        notify()
        const reply = respond(responder, request)
        play(reply, res, {
          onChunk: () => {
            state.chunksWritten++
          },
          onServerClose: () => {
            serverClosing = true
          }
        })
      })
    }

    const server = yield* Effect.acquireRelease(
      Effect.callback<Server>((resume) => {
        const s = createServer(handle)
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.callback<void>((resume) => {
          s.closeAllConnections()
          s.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo

    for (const [route, replies] of Object.entries(options.routes ?? {})) {
      routeState(route).queue.push(...(Array.isArray(replies) ? replies : [replies as Responder]))
    }

    const waitFor = <A>(check: () => A | undefined): Effect.Effect<A> =>
      Effect.callback<A>((resume) => {
        const attempt = () => {
          const value = check()
          if (value === undefined) return
          listeners.delete(attempt)
          resume(Effect.succeed(value))
        }
        listeners.add(attempt)
        attempt()
        return Effect.sync(() => listeners.delete(attempt))
      })

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      enqueue: (route, ...replies) => Effect.sync(() => void routeState(route).queue.push(...replies)),
      setDefault: (route, reply) =>
        Effect.sync(() => {
          routeState(route).fallback = reply
        }),
      exchanges: Effect.sync(() => exchanges.map(snapshot)),
      requests: Effect.sync(() => exchanges.map((e) => e.request)),
      awaitRequests: (count) => waitFor(() => (exchanges.length >= count ? exchanges.map(snapshot) : undefined)),
      awaitOutcome: (index) =>
        waitFor(() => {
          const e = exchanges[index]
          return e !== undefined && e.outcome._tag !== "Pending" ? snapshot(e) : undefined
        }),
      reset: Effect.sync(() => {
        routes.clear()
        exchanges.length = 0
      })
    } satisfies MockUpstreamShape
  })

/** The server as a layer: one per layer build, closed when the layer's scope closes. */
export const layer = (options: Options = {}): Layer.Layer<MockUpstream> =>
  Layer.effect(MockUpstream, Effect.map(make(options), MockUpstream.of))
