/**
 * What the gateway tells about itself, through the real server: `/metrics` after a scripted mix of
 * answers, failovers, streams and errors (the counters must equal what the upstreams saw), the
 * request log line, and traces exported over OTLP to a receiver in the test that decodes them.
 */
import { createServer } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option, Redacted, Scope, Tracer } from "effect"
import { HttpServer } from "effect/http"
import { vi } from "vitest"
import type { GatewayConfig } from "@switchyard/gateway"
import { Server, Telemetry } from "@switchyard/server"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { postChat, servePair } from "./harness.ts"

const answer = (text: string, inputTokens = 10, outputTokens = 4) =>
  OpenAiChatWire.answer({ text: [text], usage: { inputTokens, outputTokens } })

/** One sample of the Prometheus text: `name{labels} value`. */
interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const parseMetrics = (text: string): ReadonlyArray<Sample> =>
  text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`)
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]))
    return { name: match[1]!, labels, value: Number(match[3]) }
  })

/** The sum of `name` over the samples whose labels include `where`. */
const total = (samples: ReadonlyArray<Sample>, name: string, where: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0)

const scrape = (url: string, key?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/metrics`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } })
    return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() }
  })

describe("metrics", () => {
  it.live("counts requests, attempts, tokens and breakers as the upstreams saw them", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* servePair({ routing: { retries: { max: 0 } }, telemetry: { request_log: false } })
      yield* backup.setDefault(OpenAiChatWire.route, answer("from backup", 7, 3))
      // Three answers from the primary, one failover to the backup, one streamed answer, one unknown model.
      yield* primary.enqueue(
        OpenAiChatWire.route,
        answer("one"),
        answer("two"),
        answer("three"),
        OpenAiChatWire.error(500),
        answer("streamed")
      )
      for (let i = 0; i < 4; i++) assert.strictEqual((yield* postChat(url)).status, 200)
      const stream = yield* postChat(url, { stream: true, stream_options: { include_usage: true } })
      assert.include(stream.text, "[DONE]")
      assert.strictEqual((yield* postChat(url, { model: "nope" })).status, 404)

      const scraped = yield* scrape(url)
      assert.strictEqual(scraped.status, 200)
      assert.match(scraped.contentType ?? "", /^text\/plain/)
      const samples = parseMetrics(scraped.text)
      const seenByPrimary = (yield* primary.exchanges).length
      const seenByBackup = (yield* backup.exchanges).length
      assert.strictEqual(seenByPrimary, 5)
      assert.strictEqual(seenByBackup, 1)
      assert.strictEqual(total(samples, "switchyard_attempts_total", { provider: "primary" }), seenByPrimary)
      assert.strictEqual(total(samples, "switchyard_attempts_total", { provider: "backup" }), seenByBackup)
      assert.strictEqual(total(samples, "switchyard_attempts_total", { provider: "primary", outcome: "server_error" }), 1)
      assert.strictEqual(total(samples, "switchyard_attempts_total", { provider: "backup", role: "fallback" }), 1)
      assert.strictEqual(total(samples, "switchyard_requests_total", { endpoint: "/v1/chat/completions", status: "200" }), 5)
      assert.strictEqual(total(samples, "switchyard_requests_total", { endpoint: "/v1/chat/completions", status: "404", code: "model_not_found" }), 1)
      // Four primary answers of 10 in / 4 out (the failed attempt reported none), the backup's 7 / 3.
      assert.strictEqual(total(samples, "switchyard_tokens_total", { provider: "primary", type: "input" }), 40)
      assert.strictEqual(total(samples, "switchyard_tokens_total", { provider: "primary", type: "output" }), 16)
      assert.strictEqual(total(samples, "switchyard_tokens_total", { provider: "backup", type: "output" }), 3)
      assert.strictEqual(total(samples, "switchyard_time_to_first_token_seconds_count", { provider: "primary" }), 1)
      assert.strictEqual(total(samples, "switchyard_request_duration_seconds_count", { endpoint: "/v1/chat/completions" }), 6)
      assert.strictEqual(total(samples, "switchyard_streams_in_flight"), 0)
      assert.strictEqual(total(samples, "switchyard_requests_in_flight"), 1) // the scrape itself
      assert.strictEqual(total(samples, "switchyard_breaker_state", { route: "primary/big" }), 0)
      assert.strictEqual(total(samples, "switchyard_breaker_state", { route: "backup/small" }), 0)
    }))

  it.live("shows an open breaker, and is for admin keys only once keys are configured", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* servePair({
        routing: { retries: { max: 0 }, breaker: { consecutive_failures: 2, cooldown_ms: 60_000 } },
        keys: [{ id: "app", key: Redacted.make("sk-app-0123456789") }, { id: "ops", key: Redacted.make("sk-ops-0123456789"), admin: true }],
        telemetry: { request_log: false }
      })
      yield* backup.setDefault(OpenAiChatWire.route, answer("from backup"))
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(503))
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* postChat(url, {}, { authorization: "Bearer sk-app-0123456789" })).status, 200)
      assert.strictEqual((yield* scrape(url)).status, 401)
      assert.strictEqual((yield* scrape(url, "sk-app-0123456789")).status, 403)
      const scraped = yield* scrape(url, "sk-ops-0123456789")
      assert.strictEqual(scraped.status, 200)
      const samples = parseMetrics(scraped.text)
      assert.strictEqual(total(samples, "switchyard_breaker_state", { route: "primary/big" }), 2)
      assert.strictEqual(total(samples, "switchyard_attempts_total", { provider: "primary" }), (yield* primary.exchanges).length)
      assert.notInclude(scraped.text, "sk-app-0123456789")
    }))
})

describe("request log", () => {
  it.live("writes one JSON line per request when it ends, with its attempts and no secret", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const spy = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
        lines.push(args.map(String).join(" "))
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => spy.mockRestore()))
      const { backup, primary, url } = yield* servePair({
        routing: { retries: { max: 0 } },
        keys: [{ id: "team-a", key: Redacted.make("sk-team-a-0123456789") }],
        telemetry: { request_log: true }
      })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.error(500))
      yield* backup.setDefault(OpenAiChatWire.route, answer("from backup", 7, 3))
      const r = yield* postChat(url, { stream: true }, { authorization: "Bearer sk-team-a-0123456789" })
      assert.strictEqual(r.status, 200)
      const requestId = r.headers.get("x-request-id")
      const logged = lines.map((line) => JSON.parse(line)).filter((entry) => entry.message === "request")
      assert.lengthOf(logged, 1)
      const entry = logged[0]!
      assert.strictEqual(entry.annotations.requestId, requestId)
      assert.strictEqual(entry.annotations.keyId, "team-a")
      assert.strictEqual(entry.annotations.status, 200)
      assert.strictEqual(entry.annotations.alias, "smart")
      assert.strictEqual(entry.annotations.route, "backup/small")
      assert.deepStrictEqual(
        entry.annotations.attempts.map((a: { route: string; role: string; outcome: string }) => [a.route, a.role, a.outcome]),
        [["primary/big", "primary", "server_error"], ["backup/small", "fallback", "ok"]]
      )
      assert.strictEqual(entry.annotations.outputTokens, 3)
      assert.notInclude(lines.join("\n"), "sk-team-a-0123456789")
    }))
})

/** An OTLP/HTTP receiver: the JSON bodies posted to each path. */
const receiver = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly url: string; readonly bodies: Map<string, Array<string>>; readonly close: () => void }>((resolve) => {
      const bodies = new Map<string, Array<string>>()
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          bodies.set(request.url ?? "", [...(bodies.get(request.url ?? "") ?? []), Buffer.concat(chunks).toString("utf8")])
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resolve({ url: `http://127.0.0.1:${port}`, bodies, close: () => server.close() })
      })
    })
  ),
  (r) => Effect.sync(() => r.close())
)

interface OtlpSpan {
  readonly name: string
  readonly kind: number
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string | undefined
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

describe("telemetry settings", () => {
  it("logs each request at info and exports nothing by default", () => {
    const settings = Telemetry.settings({ providers: {} }, {})
    assert.strictEqual(settings.requestLog, true)
    assert.strictEqual(settings.logLevel, "Info")
    assert.isTrue(Option.isNone(settings.otlp))
  })

  it("takes the collector from OTEL_* variables, the config first", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_EXPORTER_OTLP_HEADERS: "x-team=a%20b,api-key=k1", OTEL_SERVICE_NAME: "gw" }
    const fromEnv = Option.getOrThrow(Telemetry.settings({ providers: {} }, env).otlp)
    assert.deepStrictEqual(fromEnv, { url: "http://collector:4318", headers: { "x-team": "a b", "api-key": "k1" }, serviceName: "gw" })
    const configured = Telemetry.settings({
      providers: {},
      telemetry: { otlp_endpoint: "https://otel.example", otlp_headers: { authorization: Redacted.make("Bearer t") }, log_level: "warning" }
    }, env)
    assert.deepStrictEqual(Option.getOrThrow(configured.otlp), { url: "https://otel.example", headers: { authorization: "Bearer t" }, serviceName: "gw" })
    assert.strictEqual(configured.logLevel, "Warn")
  })
})

describe("OTLP traces", () => {
  it.live("exports a span per attempt with the GenAI attributes, and never a provider key", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const primary = yield* MockUpstream.make()
      const backup = yield* MockUpstream.make()
      // The primary fails quoting its own key and a client key of the gateway (which its adapter cannot know).
      yield* primary.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.error(500, { message: "broke on sk-primary-0123456789 for client-key-teamA-7777" })
      )
      yield* backup.setDefault(OpenAiChatWire.route, answer("from backup", 12, 5))
      const config: GatewayConfig.GatewayConfig = {
        providers: {
          primary: { kind: "openai", base_url: `${primary.url}/v1`, api_key: Redacted.make("sk-primary-0123456789") },
          backup: { kind: "openai", base_url: `${backup.url}/v1`, api_key: Redacted.make("sk-backup-0123456789") }
        },
        models: { smart: { routes: [{ provider: "primary", model: "big" }, { provider: "backup", model: "small" }] } },
        routing: { retries: { max: 0 } },
        keys: [{ id: "team-a", key: Redacted.make("client-key-teamA-7777") }],
        ledger: { kind: "memory" },
        telemetry: { request_log: false, service_name: "switchyard-test" }
      }
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Server.layer({ host: "127.0.0.1", port: 0 }).pipe(
          Layer.provide(Server.gatewayLayer(config, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url } }))
        ),
        scope
      )
      const url = HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
      const r = yield* postChat(url, { max_tokens: 50, temperature: 0.2 }, { authorization: "Bearer client-key-teamA-7777" })
      assert.strictEqual(r.status, 200)
      // Closing the gateway flushes what its exporters hold.
      yield* Scope.close(scope, Exit.void)

      const posted = otlp.bodies.get("/v1/traces") ?? []
      assert.isAbove(posted.length, 0)
      const all = posted.join("\n")
      assert.notInclude(all, "sk-primary-0123456789")
      assert.notInclude(all, "sk-backup-0123456789")
      assert.notInclude(all, "client-key-teamA-7777")
      assert.include(all, "broke on")
      const spans: ReadonlyArray<OtlpSpan> = posted.flatMap((body) =>
        JSON.parse(body).resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans))
      )
      const service = JSON.parse(posted[0]!).resourceSpans[0].resource.attributes.find((a: any) => a.key === "service.name")
      assert.strictEqual(service.value.stringValue, "switchyard-test")
      const failed = spans.find((s) => s.name === "chat big")
      const answered = spans.find((s) => s.name === "chat small")
      assert.isDefined(failed)
      assert.isDefined(answered)
      assert.strictEqual(attribute(answered!, "gen_ai.operation.name"), "chat")
      assert.strictEqual(attribute(answered!, "gen_ai.provider.name"), "backup")
      assert.strictEqual(attribute(answered!, "gen_ai.request.model"), "small")
      assert.strictEqual(Number(attribute(answered!, "gen_ai.request.max_tokens")), 50)
      assert.strictEqual(Number(attribute(answered!, "gen_ai.usage.input_tokens")), 12)
      assert.strictEqual(Number(attribute(answered!, "gen_ai.usage.output_tokens")), 5)
      assert.strictEqual(attribute(answered!, "switchyard.attempt.role"), "fallback")
      assert.strictEqual(attribute(failed!, "error.type"), "server_error")
      // Both attempts belong to the request's trace, and each upstream call carried it (W3C trace context).
      assert.strictEqual(failed!.traceId, answered!.traceId)
      const [sent] = yield* backup.requests
      const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(sent!.headers["traceparent"] ?? "")
      assert.isNotNull(traceparent, `traceparent sent upstream: ${sent!.headers["traceparent"]}`)
      assert.strictEqual(traceparent![1], answered!.traceId)

      // The gateway's metrics went to the collector too, with what the attempts counted.
      const metrics = (otlp.bodies.get("/v1/metrics") ?? []).flatMap((body) =>
        JSON.parse(body).resourceMetrics.flatMap((r: any) => r.scopeMetrics.flatMap((s: any) => s.metrics))
      )
      const attempts = metrics.find((m: any) => m.name === "switchyard_attempts_total")
      assert.isDefined(attempts)
      const points: Array<any> = attempts.sum.dataPoints
      const provider = (p: any) => p.attributes.find((a: any) => a.key === "provider")?.value.stringValue
      assert.deepStrictEqual(points.map(provider).sort(), ["backup", "primary"])
    }))

  it.live("a reloadable gateway exports its server span with the request's spans, none without its parent", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(OpenAiChatWire.route, answer("hello"))
      const config: GatewayConfig.GatewayConfig = {
        providers: { up: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-up-0123456789") } },
        models: { smart: { routes: [{ provider: "up", model: "small" }] } },
        ledger: { kind: "memory" },
        telemetry: { request_log: false, otlp_endpoint: otlp.url }
      }
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Server.layerReloadable(config, { listen: { host: "127.0.0.1", port: 0 } }), scope)
      const url = HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
      assert.strictEqual((yield* postChat(url)).status, 200)
      yield* Scope.close(scope, Exit.void)

      const spans: ReadonlyArray<OtlpSpan> = (otlp.bodies.get("/v1/traces") ?? []).flatMap((body) =>
        JSON.parse(body).resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans))
      )
      // OTLP's SPAN_KIND_SERVER is 2: the request's own span, the root of its trace.
      const server = spans.filter((s) => s.kind === 2)
      assert.strictEqual(server.length, 1)
      assert.isDefined(spans.find((s) => s.name === "chat small"))
      const ids = new Set(spans.map((s) => s.spanId))
      const orphans = spans.filter((s) => s.parentSpanId !== undefined && s.parentSpanId !== "" && !ids.has(s.parentSpanId))
      assert.deepStrictEqual(orphans.map((s) => s.name), [])
      assert.isTrue(spans.every((s) => s.traceId === server[0]!.traceId))
    }))

  it.live("without a collector a reloadable gateway makes no span, not even the server's", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(OpenAiChatWire.route, answer("hello"))
      const made: Array<string> = []
      // A tracer in the server's own context: Effect's HTTP server would make its request span with it.
      const counting = Tracer.make({
        span(options) {
          made.push(options.name)
          return Tracer.nativeTracer.span(options)
        }
      })
      const config: GatewayConfig.GatewayConfig = {
        providers: { up: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-up-0123456789") } },
        models: { smart: { routes: [{ provider: "up", model: "small" }] } },
        ledger: { kind: "memory" },
        telemetry: { request_log: false }
      }
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Server.layerReloadable(config, { listen: { host: "127.0.0.1", port: 0 } }).pipe(Layer.provide(Layer.succeed(Tracer.Tracer, counting))),
        scope
      )
      const url = HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
      assert.strictEqual((yield* postChat(url)).status, 200)
      assert.strictEqual((yield* postChat(url, { stream: true })).status, 200)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(made, [])
    }))

  it.live("without a collector no trace context is sent upstream", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({ telemetry: { request_log: false } })
      yield* primary.enqueue(OpenAiChatWire.route, answer("whole"), answer("streamed"))
      assert.strictEqual((yield* postChat(url)).status, 200)
      assert.strictEqual((yield* postChat(url, { stream: true })).status, 200)
      const sent = yield* primary.requests
      assert.strictEqual(sent.length, 2)
      for (const request of sent) {
        assert.deepStrictEqual(Object.keys(request.headers).filter((name) => ["traceparent", "tracestate", "b3"].includes(name)), [])
      }
    }))
})
