/**
 * What the Redis tests share: the local Redis (127.0.0.1:6379), a key prefix per test whose keys
 * are deleted when the test ends, instances (each its own `SharedState`, hence its own client), and
 * a TCP proxy in front of Redis that a test can cut (`down`: connections refused and closed) or
 * silence (`silent`: connections open, nothing forwarded, as in a partition).
 */
import { type Context, Effect, Layer, type Scope } from "effect"
import { createConnection, createServer, type Socket } from "node:net"
import { SharedState } from "../src/index.ts"
import * as Testing from "../src/Testing.ts"

export const url = process.env["SWITCHYARD_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** A prefix no other test uses; its keys are deleted when the scope closes. */
export const testPrefix: Effect.Effect<string, never, Scope.Scope> = Testing.testPrefix(url)

/** The keys under `prefix` now. */
export const keysUnder = (prefix: string) => Testing.keysUnder(url, prefix)

/** Builds `services` over a `SharedState` of its own (an instance, with its own client) in the test's scope. */
export const instance = <A>(
  services: Layer.Layer<A, never, SharedState.SharedState>,
  options: SharedState.Options
): Effect.Effect<Context.Context<A | SharedState.SharedState>, never, Scope.Scope> =>
  Layer.build(services.pipe(Layer.provideMerge(SharedState.layer({ retryEvery: "100 millis", ...options }))))

export type ProxyMode = "up" | "down" | "silent"

export interface Proxy {
  readonly url: string
  readonly set: (mode: ProxyMode) => Effect.Effect<void>
}

/** A TCP proxy to the local Redis on a loopback port of its own, closed with the scope. */
export const proxy: Effect.Effect<Proxy, never, Scope.Scope> = Effect.gen(function*() {
  const target = new URL(url)
  const state = { mode: "up" as ProxyMode, pairs: new Set<readonly [Socket, Socket]>(), held: new Set<Socket>() }
  const server = createServer((client) => {
    client.on("error", () => {})
    if (state.mode === "down") return client.destroy()
    if (state.mode === "silent") {
      state.held.add(client)
      return
    }
    const upstream = createConnection(Number(target.port), target.hostname)
    upstream.on("error", () => client.destroy())
    const pair = [client, upstream] as const
    state.pairs.add(pair)
    client.on("close", () => {
      upstream.destroy()
      state.pairs.delete(pair)
    })
    client.pipe(upstream).pipe(client)
  })
  const port = yield* Effect.acquireRelease(
    Effect.callback<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
    }),
    () =>
      Effect.sync(() => {
        for (const [client] of state.pairs) client.destroy()
        for (const socket of state.held) socket.destroy()
        server.close()
      })
  )
  return {
    url: `redis://127.0.0.1:${port}`,
    set: (mode) =>
      Effect.sync(() => {
        state.mode = mode
        if (mode === "down") {
          for (const [client] of state.pairs) client.destroy()
          for (const socket of state.held) socket.destroy()
          state.held.clear()
        }
        if (mode === "silent") {
          for (const [client, upstream] of state.pairs) {
            client.unpipe(upstream)
            upstream.unpipe(client)
          }
        }
        if (mode === "up") {
          for (const [client, upstream] of state.pairs) client.pipe(upstream).pipe(client)
          for (const socket of state.held) socket.destroy()
          state.held.clear()
        }
      })
  }
})

/** Polls `condition` every 50 ms until it holds, for at most `millis`; whether it held. */
export const eventually = (condition: Effect.Effect<boolean>, millis: number): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let waited = 0; waited <= millis; waited += 50) {
      if (yield* condition) return true
      yield* Effect.sleep("50 millis")
    }
    return false
  })
