/**
 * `npm run bench:stages [-- --rounds R --n N --only NAME]`
 *
 * The gateway's own CPU per request, stage by stage, in-process and without sockets: a fake
 * `HttpClient` answers the bytes of the overhead benchmark's mock upstream (`wire.ts`: a streamed
 * answer of 20 content chunks + finish + usage + `[DONE]` in one network chunk, or a whole
 * `chat.completion`), and the services are those of `Server.gatewayLayer` (memory ledger, no request
 * log). Each scenario adds one layer to the one before:
 *  - `provider.*`  the OpenAI provider alone (encode, HTTP, decode)
 *  - `metered.*`   + `Metering.wrap` (pricing, ledger, metrics, request trail)
 *  - `router.stream` + `Router.stream` over the metered provider (one route, deadlines, commit)
 *  - `gateway.*`   `Gateway.stream` / `Gateway.complete` (route resolution, limits, recovery, ...)
 *  - `server.*`    `POST /v1/chat/completions` through the server's routes as a web `fetch` handler
 *                  (decoding, the endpoint's key check, admission, metrics, encoding), body read whole
 *  - `server.stream.reads` the same streamed request with the upstream's 20 groups of frames arriving
 *                  in 20 reads (a macrotask apart), as a real provider's tokens do: what one more read
 *                  costs is (this − `server.stream`) / 19
 * and, apart, the upstream call alone over a real socket (a streamed answer from the mock upstream,
 * `mock.ts`, in a child process, its body read to the end), by three clients:
 *  - `client.undici`   undici's `Dispatcher.request` itself (the floor)
 *  - `client.effect`   Effect's `NodeHttpClient.makeUndici`, untraced as the gateway calls it
 *  - `client.gateway`  the gateway's `UndiciClient`
 * Interleaving scenarios in one process skews them (JIT, GC), so without `--only` every scenario
 * runs in a child process of its own (`--only NAME`), one after another; each times `--rounds`
 * rounds of `--n` requests after a warm-up and reports the min and median µs per request.
 * Profile one scenario with `node --cpu-prof packages/bench/src/stages.ts --only gateway.stream`.
 */
import { execFileSync, fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect, Layer, Option, Stream } from "effect"
import { HttpClient, HttpClientRequest, HttpClientResponse, HttpRouter } from "effect/http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Gateway, Metering, ProviderRegistry } from "@switchyard/gateway"
import { Router } from "@switchyard/routing"
import { Admission, Server, UndiciClient } from "@switchyard/server"
import * as Wire from "./wire.ts"

const argv = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const rounds = Number(option("rounds") ?? 7)
const perRound = Number(option("n") ?? 2000)
const only = option("only")

const NAMES = [
  "provider.stream",
  "metered.stream",
  "router.stream",
  "gateway.stream",
  "server.stream",
  "server.stream.reads",
  "provider.complete",
  "metered.complete",
  "gateway.complete",
  "server.complete",
  "client.undici",
  "client.effect",
  "client.gateway"
] as const
type Name = typeof NAMES[number]

if (!(rounds > 0 && perRound > 0) || (only !== undefined && !NAMES.includes(only as Name))) {
  console.error(`usage: stages.ts [--rounds R] [--n N] [--only ${NAMES.join("|")}]`)
  process.exit(2)
}

interface Result {
  readonly name: string
  readonly min: number
  readonly median: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

// ---------------------------------------------------------------------------------------------- one scenario

const sse = new TextEncoder().encode(Wire.streamBytes(true))
const groups = Wire.streamGroups(true).map((group) => new TextEncoder().encode(group))
const json = Wire.completionJson()

/** The SSE groups as a body that yields one group per read, each after a macrotask. */
const inReads = () => {
  let next = 0
  return new ReadableStream<Uint8Array>({
    pull: (controller) =>
      new Promise<void>((done) =>
        setImmediate(() => {
          controller.enqueue(groups[next++]!)
          if (next === groups.length) controller.close()
          done()
        })
      )
  })
}

/**
 * Answers every request at once: the SSE bytes (in one read, or in one read per group of frames
 * when `reads`) when the body asks for a stream, else the JSON answer.
 */
const fakeUpstream = (reads: boolean) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) => {
      const streamed = request.body._tag === "Uint8Array" && new TextDecoder().decode(request.body.body).includes("\"stream\":true")
      return Effect.succeed(HttpClientResponse.fromWeb(
        request,
        streamed
          ? new Response(reads ? inReads() : sse, { status: 200, headers: { "content-type": "text/event-stream" } })
          : new Response(json, { status: 200, headers: { "content-type": "application/json" } })
      ))
    })
  )

const config = {
  providers: { openai: { kind: "openai" as const, base_url: "http://upstream/v1" } },
  ledger: { kind: "memory" as const },
  telemetry: { request_log: false }
}

const upstream = fakeUpstream(only === "server.stream.reads")
const services = Layer.merge(Server.gatewayLayer(config, { httpClient: upstream, env: {} }), upstream)

/**
 * One request to the server's routes as a web handler, its body read whole, under an admission that
 * can drain, as the Node server's (the web handler's own never does, which costs less).
 */
const viaServer = (streamed: boolean) => {
  const admission = Layer.effect(Admission.CurrentAdmission, Admission.make(1_000_000))
  const web = HttpRouter.toWebHandler(Layer.provideMerge(Server.routes, Layer.merge(services, admission)), { disableLogger: true })
  const body = JSON.stringify({
    model: Wire.MODEL,
    messages: [{ role: "user", content: "Say the benchmark sentence." }],
    ...(streamed ? { stream: true, stream_options: { include_usage: true } } : {})
  })
  return Effect.promise(async () => {
    const response = await web.handler(
      new Request("http://gateway/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body })
    )
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`server answered ${response.status}`)
  })
}

/** The mock upstream in a child process, stopped with the scope; its chat completions URL. */
const mockUpstream = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly url: string; readonly stop: () => void }>((ready) => {
      const child = fork(fileURLToPath(new URL("./mock.ts", import.meta.url)), [], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] })
      child.on("message", (message: { type?: string; port?: number }) => {
        if (message.type === "ready") ready({ url: `http://127.0.0.1:${message.port}/v1/chat/completions`, stop: () => child.kill() })
      })
    })
  ),
  (mock) => Effect.sync(mock.stop)
)

/** One streamed upstream call by `name`'s client, its body read to the end. */
const viaClient = (name: "client.undici" | "client.effect" | "client.gateway") =>
  Effect.gen(function*() {
    const { url } = yield* mockUpstream
    const dispatcher = yield* NodeHttpClient.makeDispatcher
    const body = Wire.requestBody(true)
    if (name === "client.undici") {
      return Effect.promise(async () => {
        const { origin, pathname } = new URL(url)
        const response = await dispatcher.request({ origin, path: pathname, method: "POST", headers: { "content-type": "application/json" }, body })
        for await (const _ of response.body) {
          // read to the end
        }
      })
    }
    const client = yield* Effect.provideService(name === "client.effect" ? NodeHttpClient.makeUndici : UndiciClient.make, NodeHttpClient.Dispatcher, dispatcher)
    const request = HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(body, "application/json"))
    return client.execute(request).pipe(
      Effect.flatMap((response) => Stream.runDrain(response.stream)),
      // As the gateway calls without a collector (`Telemetry`).
      Effect.provideService(HttpClient.TracerDisabledWhen, () => true)
    )
  })

const scenario = (name: Name) =>
  Effect.gen(function*() {
    if (name === "client.undici" || name === "client.effect" || name === "client.gateway") return yield* viaClient(name)
    if (name === "server.stream" || name === "server.stream.reads" || name === "server.complete") return viaServer(name !== "server.complete")
    const gateway = yield* Gateway.Gateway
    const registry = yield* ProviderRegistry.ProviderRegistry
    const metering = yield* Metering.Metering
    const router = yield* Router.Router
    const raw = Option.getOrThrow(registry.get("openai")).provider
    const metered = metering.wrap(raw)
    const messages = [{ role: "user" as const, content: "Say the benchmark sentence." }]
    const streamed = { model: Wire.MODEL, messages, stream: true, stream_options: { include_usage: true } }
    const whole = { model: Wire.MODEL, messages }
    const viaGateway = { ...streamed, model: `openai/${Wire.MODEL}` }
    switch (name) {
      case "provider.stream":
        return Stream.runDrain(raw.stream(streamed))
      case "metered.stream":
        return Stream.runDrain(metered.stream(streamed))
      case "router.stream":
        return Effect.scoped(Effect.flatMap(
          router.stream([{ provider: "openai", model: Wire.MODEL }], () => metered.stream(streamed), {}),
          (routed) => Stream.runDrain(routed.stream)
        ))
      case "gateway.stream":
        return Effect.flatMap(gateway.stream(viaGateway), (answer) => Stream.runDrain(answer.events))
      case "provider.complete":
        return Effect.asVoid(raw.complete(whole))
      case "metered.complete":
        return Effect.asVoid(metered.complete(whole))
      case "gateway.complete":
        return Effect.asVoid(gateway.complete({ ...whole, model: `openai/${Wire.MODEL}` }))
    }
  })

/** Times `rounds` rounds of `perRound` requests of one scenario (after a warm-up round), µs per request. */
const measure = (name: Name) =>
  Effect.gen(function*() {
    const once: Effect.Effect<void, unknown> = yield* scenario(name)
    const round = (n: number) =>
      Effect.gen(function*() {
        const start = performance.now()
        for (let i = 0; i < n; i++) yield* once
        return ((performance.now() - start) / n) * 1000
      })
    yield* round(Math.max(200, perRound / 4))
    const samples: Array<number> = []
    for (let r = 0; r < rounds; r++) samples.push(yield* round(perRound))
    return { name, min: Math.min(...samples), median: median(samples) } satisfies Result
  })

const runOne = (name: Name): Promise<Result> =>
  Effect.runPromise(Effect.scoped(Effect.provide(
    measure(name),
    services
  )) as Effect.Effect<Result, unknown>)

// ---------------------------------------------------------------------------------------------- all, one child each

const table = (results: ReadonlyArray<Result>): string =>
  [
    `| scenario            | min µs/req | median µs/req |`,
    `|:--------------------|-----------:|--------------:|`,
    ...results.map((r) => `| ${r.name.padEnd(19)} | ${r.min.toFixed(0).padStart(10)} | ${r.median.toFixed(0).padStart(13)} |`)
  ].join("\n")

if (only !== undefined) {
  const result = await runOne(only as Name)
  console.log(JSON.stringify(result))
} else {
  const self = fileURLToPath(import.meta.url)
  const results: Array<Result> = []
  for (const name of NAMES) {
    const out = execFileSync(process.execPath, [...process.execArgv, self, "--only", name, "--rounds", String(rounds), "--n", String(perRound)], { encoding: "utf8" })
    const result = JSON.parse(out.trim().split("\n").at(-1)!) as Result
    console.error(`${name}: min ${result.min.toFixed(0)} µs, median ${result.median.toFixed(0)} µs`)
    results.push(result)
  }
  console.log(`\n${rounds} rounds × ${perRound} requests per scenario, each scenario in its own process (Node ${process.version})\n`)
  console.log(table(results))
}
