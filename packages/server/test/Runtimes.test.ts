/**
 * "A second runtime": the same gateway config served three ways, and the same requests answered the
 * same way by each: the Node server (`Server.layer`, undici upstream client, as in production), the
 * web handler (`Server.webHandler`, fetch upstream client) served by `Bun.serve` in a real Bun
 * process, and that web handler called in-process under Node. Every runtime uses an in-memory ledger.
 *
 * Bun is the `bun` devDependency of this package (its binary at `node_modules/.bin/bun`); when it is
 * missing or cannot start, these tests fail saying why — they never skip.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const bunBinary = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url))
const serveScript = fileURLToPath(new URL("./bun/serve.ts", import.meta.url))
const packageDir = fileURLToPath(new URL("..", import.meta.url))

/** The config as a file would hold it (JSON): Bun gets it in its environment, Node decodes it here. */
const document = (upstreamUrl: string) => ({
  providers: { upstream: { kind: "openai", base_url: `${upstreamUrl}/v1`, api_key: "sk-test-key-0123456789" } },
  models: { smart: { routes: [{ provider: "upstream", model: "model-x" }] } },
  // Bun's `node:sqlite` is not what the ledger is tested on: every runtime keeps its ledger in memory.
  ledger: { kind: "memory" }
})

/** Sends a request to one runtime: a path and `fetch` init, a web `Response` back. */
type Send = (path: string, init?: RequestInit) => Promise<Response>

interface Runtime {
  readonly name: string
  readonly send: Send
}

/** Serves the web handler in a Bun process; ends it with the scope. Fails, saying why, if Bun cannot run. */
const serveUnderBun = (config: unknown) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly stop: () => Promise<void> }, Error>((resume) => {
      if (!existsSync(bunBinary)) {
        resume(Effect.fail(new Error(`Bun is not installed at ${bunBinary}: run \`npm install\` (bun is a devDependency of @switchyard/server)`)))
        return
      }
      const child = spawn(bunBinary, ["--conditions=@switchyard/source", serveScript], {
        cwd: packageDir,
        env: { ...process.env, SWITCHYARD_CONFIG: JSON.stringify(config) },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      let settled = false
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM")
          const killer = setTimeout(() => child.kill("SIGKILL"), 3000)
          await exited
          clearTimeout(killer)
        }
      }
      const fail = (why: string) => {
        if (settled) return
        settled = true
        void stop()
        resume(Effect.fail(new Error(`Bun could not serve the gateway (${why}).\nstdout: ${stdout}\nstderr: ${stderr}`)))
      }
      const timer = setTimeout(() => fail("no `listening` line within 20 s"), 20_000)
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk
        const match = /^listening (\S+)/m.exec(stdout)
        if (match !== null && !settled) {
          settled = true
          clearTimeout(timer)
          resume(Effect.succeed({ url: match[1]!, stop }))
        }
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
      })
      child.once("error", (error) => {
        clearTimeout(timer)
        fail(`spawn failed: ${error.message}`)
      })
      child.once("exit", (code, signal) => {
        clearTimeout(timer)
        fail(`exited with ${signal ?? code}`)
      })
    }),
    ({ stop }) => Effect.promise(stop)
  )

class Runtimes extends Context.Service<Runtimes, {
  readonly upstream: MockUpstream.MockUpstreamShape
  readonly runtimes: ReadonlyArray<Runtime>
}>()("Runtimes.test/Runtimes") {}

const script = { text: ["Hello", " from", " the", " upstream."], usage: { inputTokens: 12, outputTokens: 4 } }

const runtimesLayer = Layer.effect(
  Runtimes,
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script))
    const raw = document(upstream.url)
    const config = yield* GatewayConfig.decode(raw, "Runtimes.test", {})
    const over = (base: string): Send => (path, init) => fetch(`${base}${path}`, init)

    const nodeUrl = yield* serveConfig(config)
    const bun = yield* serveUnderBun(raw)
    const web = yield* Effect.acquireRelease(Effect.sync(() => Server.webHandler(config)), ({ dispose }) => Effect.promise(dispose))
    return {
      upstream,
      runtimes: [
        { name: "node server", send: over(nodeUrl) },
        { name: "bun web handler", send: over(bun.url) },
        { name: "node web handler", send: (path, init) => web.handler(new Request(`http://gateway.test${path}`, init)) }
      ]
    }
  }).pipe(Effect.orDie)
)

/** What a client sees of an answer, with what differs per request (ids, times) blanked. */
interface Seen {
  readonly status: number
  readonly contentType: string | null
  readonly headers: Record<string, string | null>
  readonly body: unknown
}

/** Headers every runtime must agree on (the rest are per-connection: date, length, request id). */
const comparedHeaders = ["x-switchyard-provider", "x-switchyard-model", "x-switchyard-attempts", "allow", "cache-control"]

const generatedId = /^(chatcmpl|msg|req|resp|call|toolu)[-_][A-Za-z0-9_-]+$/

/** Blanks generated ids and `created` times, recursively. */
const normalize = (value: unknown, key?: string): unknown => {
  if (typeof value === "string" && generatedId.test(value)) return "<id>"
  if (typeof value === "number" && key === "created") return "<time>"
  if (Array.isArray(value)) return value.map((v) => normalize(v))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]))
  }
  return value
}

/** The body as JSON, or as the data of each SSE event (JSON where it parses), normalized. */
const parseBody = (contentType: string | null, text: string): unknown => {
  if (contentType?.startsWith("text/event-stream") === true) {
    return text.split(/\n\n/).filter((frame) => frame.trim() !== "").map((frame) =>
      frame.split("\n").map((line) => {
        const data = /^data: ?(.*)$/.exec(line)
        if (data === null) return line
        try {
          return { data: normalize(JSON.parse(data[1]!)) }
        } catch {
          return { data: data[1] }
        }
      })
    )
  }
  try {
    return normalize(JSON.parse(text))
  } catch {
    return text
  }
}

const see = (send: Send, path: string, init?: RequestInit) =>
  Effect.promise(async (): Promise<Seen> => {
    const response = await send(path, init)
    const contentType = response.headers.get("content-type")
    const text = await response.text()
    return {
      status: response.status,
      contentType,
      headers: Object.fromEntries(comparedHeaders.map((h) => [h, response.headers.get(h)])),
      body: parseBody(contentType, text)
    }
  })

/** Sends the request to every runtime, asserts they all saw what the Node server saw, and returns that. */
const same = (path: string, init?: () => RequestInit) =>
  Effect.gen(function*() {
    const { runtimes } = yield* Runtimes
    const seen: Array<readonly [string, Seen]> = []
    for (const runtime of runtimes) seen.push([runtime.name, yield* see(runtime.send, path, init?.())])
    const [[, reference]] = seen as [readonly [string, Seen]]
    for (const [name, other] of seen.slice(1)) {
      assert.deepStrictEqual(other, reference, `${name} differs from the node server on ${init?.().method ?? "GET"} ${path}`)
    }
    return reference
  })

const post = (body: unknown, headers: Record<string, string> = {}) => () => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body)
})

const chat = { model: "smart", messages: [{ role: "user", content: "hi" }] }

/** The text of a normalized Chat Completions stream (its deltas joined), and whether it ended with `[DONE]`. */
const streamedText = (body: unknown) => {
  const events = (body as Array<Array<unknown>>).flat().filter((e): e is { data: any } => typeof e === "object" && e !== null)
  return {
    text: events.map((e) => e.data?.choices?.[0]?.delta?.content ?? "").join(""),
    done: events.at(-1)?.data === "[DONE]"
  }
}

describe("the gateway on Node and on Bun", () => {
  layer(runtimesLayer, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("a chat completion", () =>
      Effect.gen(function*() {
        const seen = yield* same("/v1/chat/completions", post(chat))
        assert.strictEqual(seen.status, 200)
        assert.strictEqual((seen.body as any).choices[0].message.content, "Hello from the upstream.")
        assert.strictEqual(seen.headers["x-switchyard-provider"], "upstream")
      }))

    it.effect("a streamed chat completion: the same text, then [DONE]", () =>
      Effect.gen(function*() {
        const seen = yield* same("/v1/chat/completions", post({ ...chat, stream: true, stream_options: { include_usage: true } }))
        assert.strictEqual(seen.status, 200)
        assert.match(seen.contentType ?? "", /^text\/event-stream/)
        assert.deepStrictEqual(streamedText(seen.body), { text: "Hello from the upstream.", done: true })
      }))

    it.effect("an Anthropic Messages request, whole and streamed", () =>
      Effect.gen(function*() {
        const message = { model: "smart", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }
        const whole = yield* same("/v1/messages", post(message, { "anthropic-version": "2023-06-01" }))
        assert.strictEqual(whole.status, 200)
        assert.deepStrictEqual((whole.body as any).content, [{ type: "text", text: "Hello from the upstream." }])
        const streamed = yield* same("/v1/messages", post({ ...message, stream: true }, { "anthropic-version": "2023-06-01" }))
        assert.strictEqual(streamed.status, 200)
        assert.match(streamed.contentType ?? "", /^text\/event-stream/)
      }))

    it.effect("a body that is not JSON is a 400 in the route's dialect", () =>
      Effect.gen(function*() {
        const openAi = yield* same("/v1/chat/completions", post("{not json"))
        assert.strictEqual(openAi.status, 400)
        assert.strictEqual((openAi.body as any).error.code, "invalid_json")
        const anthropic = yield* same("/v1/messages", post("{not json"))
        assert.strictEqual(anthropic.status, 400)
        assert.strictEqual((anthropic.body as any).type, "error")
      }))

    it.effect("GET /v1/models", () =>
      Effect.gen(function*() {
        const seen = yield* same("/v1/models")
        assert.strictEqual(seen.status, 200)
        assert.includeMembers((seen.body as any).data.map((m: any) => m.id), ["smart"])
      }))

    it.effect("unknown routes, an undecodable path and a wrong method", () =>
      Effect.gen(function*() {
        assert.strictEqual((yield* same("/v1/nothing-here")).status, 404)
        assert.strictEqual((yield* same("/%zz")).status, 404)
        const wrong = yield* same("/v1/chat/completions", () => ({ method: "DELETE" }))
        assert.strictEqual(wrong.status, 405)
        assert.strictEqual(wrong.headers["allow"], "POST")
      }))

    it.effect("each runtime calls the upstream itself, with the configured key", () =>
      Effect.gen(function*() {
        const { runtimes, upstream } = yield* Runtimes
        const before = (yield* upstream.requests).length
        yield* same("/v1/chat/completions", post(chat))
        const requests = (yield* upstream.requests).slice(before)
        assert.lengthOf(requests, runtimes.length)
        for (const request of requests) {
          assert.strictEqual(request.path, "/v1/chat/completions")
          assert.strictEqual(request.headers["authorization"], "Bearer sk-test-key-0123456789")
          assert.strictEqual((request.json as any).model, "model-x")
        }
      }))
  })
})
