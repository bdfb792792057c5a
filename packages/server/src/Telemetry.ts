/**
 * What the gateway tells about itself, from the config's `telemetry` section and the standard
 * `OTEL_*` environment variables: its log level, the one JSON line per request, a metrics registry
 * of its own (what `GET /metrics` renders), and, when a collector is named, traces and metrics
 * pushed over OTLP/HTTP (JSON). Every string a span carries (attributes, events, error messages) is
 * redacted with the config's secrets before it can be exported.
 */
import { Cause, Context, Effect, Exit, Layer, type LogLevel, Metric, Option, Redacted, References, Tracer } from "effect"
import { HttpClient } from "effect/http"
import { OtlpExporter, OtlpMetrics, OtlpSerialization, OtlpTracer } from "effect/observability"
import { Redact } from "@switchyard/core"
import type { GatewayConfig } from "@switchyard/gateway"

export interface Settings {
  readonly logLevel: LogLevel.LogLevel
  readonly requestLog: boolean
  readonly otlp: Option.Option<{
    readonly url: string
    readonly headers: Readonly<Record<string, string>>
    readonly serviceName: string
  }>
}

const logLevels = { debug: "Debug", info: "Info", warning: "Warn", error: "Error", none: "None" } as const

/** `k=v,k=v` as OTLP's header variable writes them (values percent-decoded). */
const parseHeaders = (text: string | undefined): Record<string, string> =>
  Object.fromEntries((text ?? "").split(",").flatMap((pair) => {
    const at = pair.indexOf("=")
    if (at <= 0) return []
    try {
      return [[pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1).trim())]]
    } catch {
      return [[pair.slice(0, at).trim(), pair.slice(at + 1).trim()]]
    }
  }))

/** The settings of a config, the environment filling what it leaves out. */
export const settings = (config: GatewayConfig.GatewayConfig, env: GatewayConfig.Env): Settings => {
  const telemetry = config.telemetry ?? {}
  const endpoint = telemetry.otlp_endpoint ?? env["OTEL_EXPORTER_OTLP_ENDPOINT"]
  const configured = telemetry.otlp_headers
  return {
    logLevel: logLevels[telemetry.log_level ?? "info"],
    requestLog: telemetry.request_log ?? true,
    otlp: endpoint === undefined || endpoint === ""
      ? Option.none()
      : Option.some({
        url: endpoint.replace(/\/+$/, ""),
        headers: configured === undefined
          ? parseHeaders(env["OTEL_EXPORTER_OTLP_HEADERS"])
          : Object.fromEntries(Object.entries(configured).map(([k, v]) => [k, Redacted.value(v)])),
        serviceName: telemetry.service_name ?? env["OTEL_SERVICE_NAME"] ?? "switchyard"
      })
  }
}

/** Whether each request is logged as one JSON line when it ends. */
export const RequestLogEnabled = Context.Reference<boolean>("@switchyard/server/RequestLogEnabled", {
  defaultValue: () => true
})

/** A span whose strings are redacted before they reach it (and so its exporter). */
class RedactedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly inner: Tracer.Span
  readonly redactor: Redact.Redactor
  constructor(inner: Tracer.Span, redactor: Redact.Redactor) {
    this.inner = inner
    this.redactor = redactor
  }
  get name() {
    return this.inner.name
  }
  get spanId() {
    return this.inner.spanId
  }
  get traceId() {
    return this.inner.traceId
  }
  get parent() {
    return this.inner.parent
  }
  get annotations() {
    return this.inner.annotations
  }
  get status() {
    return this.inner.status
  }
  get attributes() {
    return this.inner.attributes
  }
  get links() {
    return this.inner.links
  }
  get sampled() {
    return this.inner.sampled
  }
  get kind() {
    return this.inner.kind
  }
  private value(value: unknown): unknown {
    return typeof value === "string" ? this.redactor.text(value) : value
  }
  attribute(key: string, value: unknown): void {
    this.inner.attribute(key, this.value(value))
  }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    this.inner.event(
      name,
      startTime,
      attributes === undefined ? undefined : Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, this.value(v)]))
    )
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.inner.addLinks(links)
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    // A failure's message may quote what a provider echoed back (a key among it): only its redacted text goes on.
    this.inner.end(
      endTime,
      Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)
        ? exit
        : Exit.fail(new Error(this.redactor.text(Cause.pretty(exit.cause))))
    )
  }
}

const redacting = (tracer: Tracer.Tracer, redactor: Redact.Redactor): Tracer.Tracer => ({
  ...(tracer.context === undefined ? {} : { context: tracer.context }),
  span: (options) => new RedactedSpan(tracer.span(options), redactor)
})

/** Traces and metrics to the collector, span strings redacted; `Flusher` pushes what is buffered. */
const otlpLayer = (
  otlp: Option.Option.Value<Settings["otlp"]>,
  redactor: Redact.Redactor
): Layer.Layer<OtlpExporter.Flusher, never, HttpClient.HttpClient> => {
  const resource = { serviceName: otlp.serviceName }
  const tracer = Layer.effect(
    Tracer.Tracer,
    Effect.map(OtlpTracer.make({ url: `${otlp.url}/v1/traces`, resource, headers: otlp.headers }), (made) => redacting(made, redactor))
  )
  const metrics = OtlpMetrics.layer({ url: `${otlp.url}/v1/metrics`, resource, headers: otlp.headers })
  return Layer.mergeAll(tracer, metrics).pipe(
    Layer.provideMerge(OtlpExporter.layerFlusher),
    Layer.provide(OtlpSerialization.layerJson)
  )
}

const untraced = () => true
const traced = () => false

/**
 * The telemetry of a gateway: its own metrics registry (so two gateways in one process count
 * apart), the log level, the request log switch, and OTLP export when a collector is set (without
 * one, tracing is off).
 */
export const layer = (
  settings: Settings,
  redactor: Redact.Redactor
): Layer.Layer<never, never, HttpClient.HttpClient> => {
  const registry = Layer.succeed(Metric.MetricRegistry, new Map())
  return Layer.mergeAll(
    Layer.succeed(References.MinimumLogLevel, settings.logLevel),
    Layer.succeed(RequestLogEnabled, settings.requestLog),
    // The exporter reads the metrics from the registry it is built with: this gateway's.
    // Without a collector no span is ever read: none is made (Effect's native spans cost every
    // request their attributes, and every stream its span until it ends), and an upstream call sends
    // no trace context (the HTTP client would otherwise send its no-op span's as `traceparent` and
    // `b3` headers, malformed, to every provider).
    Option.match(settings.otlp, {
      onNone: () => Layer.mergeAll(registry, Layer.succeed(References.TracerEnabled, false), Layer.succeed(HttpClient.TracerDisabledWhen, untraced)),
      // Said explicitly: these services may be merged over a server's context that has them off.
      onSome: (otlp): Layer.Layer<never, never, HttpClient.HttpClient> =>
        Layer.mergeAll(
          otlpLayer(otlp, redactor).pipe(Layer.provideMerge(registry)),
          Layer.succeed(References.TracerEnabled, true),
          Layer.succeed(HttpClient.TracerDisabledWhen, traced)
        )
    })
  )
}
