/**
 * What every route of the gateway shares, in one place, so no route can forget it:
 *
 * - a request id, sent back as `x-request-id` on every answer;
 * - the client's key, checked before anything else once keys are configured (`open` routes, the
 *   health check, excepted), and `admin` routes refused (403) to keys that are not admin keys;
 * - any failure inside the gateway (a defect, a bug) answered as a JSON error in the route's dialect
 *   with the request id, and logged: never an empty 500;
 * - a request still waiting for its answer when a shutdown's grace period ends answered with 503
 *   `shutting_down` (see `Admission`);
 * - secrets redacted from every error body and every header value on the way out;
 * - the request counted (`GatewayMetrics`: by route pattern, status and error code, with its time to
 *   its last byte, a stream's included) and, when the request log is on, one JSON line when it ends,
 *   with the attempts metering recorded for it (`RequestTrail`).
 */
import { Cause, Channel, Clock, Effect, Exit, Metric, Option, Ref, Scope, Stream } from "effect"
import { HttpBody, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { ProviderError, Redact } from "@switchyard/core"
import { GatewayMetrics, RequestTrail } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as Admission from "./Admission.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as ErrorResponse from "./ErrorResponse.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as Telemetry from "./Telemetry.ts"

/** What a route's handler is given. */
export interface Call {
  readonly requestId: string
  readonly client: ClientKeys.Client
  /** Renders an error in the route's dialect, with the request id. */
  readonly refuse: (error: ErrorBody.HttpError, headers?: Record<string, string>) => HttpServerResponse.HttpServerResponse
}

export interface Options {
  /** The route's error dialect (OpenAI's by default). */
  readonly render?: ErrorBody.Render | undefined
  /** Served without a key (the health check). */
  readonly open?: boolean | undefined
  /** Served to admin keys only (any client while no keys are configured): usage, the dashboard's data. */
  readonly admin?: boolean | undefined
}

const forbidden: ErrorBody.HttpError = {
  status: 403,
  body: { message: "This route needs an admin key.", type: "auth", code: "forbidden", param: null, provider: null, retryable: false }
}

const internal = (requestId: string): ErrorBody.HttpError => ({
  status: 500,
  body: {
    message: `The gateway failed to handle this request (request id ${requestId}); it has been logged.`,
    type: "server_error",
    code: "internal_error",
    param: null,
    provider: null,
    retryable: true
  }
})

const logFailure = (requestId: string, cause: Cause.Cause<unknown>) =>
  Effect.logError("request failed inside the gateway", cause).pipe(Effect.annotateLogs({ requestId }))

/**
 * The error a stream ends with after its first byte: the provider's, or (anything else: a defect, an
 * interruption from inside) an internal error, logged. (One cut at a shutdown's deadline is
 * `StreamBody`'s to tell.)
 */
export const streamError = (requestId: string, cause: Cause.Cause<unknown>): Effect.Effect<ErrorBody.HttpError> => {
  const error = Option.getOrUndefined(Cause.findErrorOption(cause))
  if (ProviderError.isProviderError(error)) return Effect.succeed(ErrorBody.fromProviderError(error))
  return Effect.as(logFailure(requestId, cause), internal(requestId))
}

const decoder = new TextDecoder()

/** A character as UTF-8 percent-escapes; a lone surrogate (no UTF-8 form) as U+FFFD's. */
const percentEncoded = (c: string): string => {
  try {
    return encodeURIComponent(c)
  } catch {
    return "%EF%BF%BD"
  }
}

/**
 * A header value as HTTP allows it: characters outside printable ASCII (a client's model name may
 * hold anything) percent-encoded, so the response can always be written.
 */
const headerValue = (value: string): string => value.replace(/[^\x20-\x7e]/gu, percentEncoded)

/** The response with the request id, and secrets masked in its headers and (for an error) its body. */
const finish = (response: HttpServerResponse.HttpServerResponse, requestId: string, redactor: Redact.Redactor) => {
  const headers = Object.fromEntries(
    Object.entries({ "x-request-id": requestId, ...response.headers }).map(([name, value]) => [name, headerValue(redactor.text(value))])
  )
  const body = response.body
  if (response.status < 400 || body._tag !== "Uint8Array") {
    return HttpServerResponse.setHeaders(response, headers)
  }
  return HttpServerResponse.text(redactor.text(decoder.decode(body.body)), {
    status: response.status,
    headers,
    contentType: body.contentType
  })
}

/** The error code of an error body in either dialect (`error.code`, else `error.type`). */
const errorCode = (body: string): string => {
  try {
    const error = JSON.parse(body)?.error
    const code = typeof error?.code === "string" ? error.code : typeof error?.type === "string" ? error.type : "unknown"
    return GatewayMetrics.bounded("code", code)
  } catch {
    return "unknown"
  }
}

/** What is known of a request once its answer is decided, to count and log it when it ends. */
interface Ending {
  readonly requestId: string
  readonly client: ClientKeys.Client | undefined
  readonly method: string
  readonly endpoint: string
  readonly startedAt: number
  readonly trail: RequestTrail.RequestTrail
}

/**
 * Counts the request (with `more` changes to the metrics, in the same step) and writes its log
 * line; `status` 499 is a client that left before its answer.
 */
const ended = (ending: Ending, status: number, code: string, more: ReadonlyArray<GatewayMetrics.Change> = []) =>
  Effect.gen(function*() {
    const elapsedMs = (yield* Clock.currentTimeMillis) - ending.startedAt
    yield* GatewayMetrics.apply([
      ["update", GatewayMetrics.requestsOf({ endpoint: ending.endpoint, status: String(status), code }), 1],
      ["update", GatewayMetrics.requestDurationOf({ endpoint: ending.endpoint }), elapsedMs / 1000],
      ["modify", GatewayMetrics.requestsInFlight, -1],
      ...more
    ])
    if (!(yield* Telemetry.RequestLogEnabled)) return
    const summary = RequestTrail.summarize(yield* Ref.get(ending.trail))
    yield* Effect.logInfo("request").pipe(Effect.annotateLogs({
      requestId: ending.requestId,
      keyId: ending.client?.id ?? null,
      method: ending.method,
      endpoint: ending.endpoint,
      status,
      ...(code === "" ? {} : { error: code }),
      latencyMs: elapsedMs,
      ...summary
    }))
  })

/** The response, counted and logged when its last byte is written (a stream's when it ends). */
const observed = (response: HttpServerResponse.HttpServerResponse, ending: Ending, code: string) => {
  const body = response.body
  if (body._tag !== "Stream") return Effect.as(ended(ending, response.status, code), response)
  // The body itself, counted from its start to its end however it ends (no stage of its own).
  const stream = Stream.fromChannel(Channel.fromTransform((upstream, scope) =>
    Effect.andThen(
      Metric.modify(GatewayMetrics.streamsInFlight, 1),
      Effect.andThen(
        Scope.addFinalizer(scope, ended(ending, response.status, code, [["modify", GatewayMetrics.streamsInFlight, -1]])),
        Channel.toTransform(body.stream.channel)(upstream, scope)
      )
    )
  ))
  return Effect.succeed(HttpServerResponse.setBody(response, HttpBody.stream(stream, body.contentType, body.contentLength)))
}

/** A route handler with the request id, authentication, failure handling, redaction and telemetry of `Endpoint`. */
export const make = <R>(options: Options, handler: (call: Call) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const requestId = RouteHeaders.newRequestId()
    const render = options.render ?? ErrorBody.renderOpenAi
    const redactor = yield* Redact.CurrentRedactor
    const { route } = yield* HttpRouter.RouteContext
    const request = yield* HttpServerRequest.HttpServerRequest
    const trail = yield* RequestTrail.make
    let client: ClientKeys.Client | undefined
    const ending = (): Ending => ({
      requestId,
      client,
      method: request.method,
      endpoint: route.path === "*" ? "unmatched" : route.path,
      startedAt,
      trail
    })
    const refuse = (error: ErrorBody.HttpError, headers: Record<string, string> = {}) =>
      ErrorResponse.toResponse(error, headers, render)
    yield* Metric.modify(GatewayMetrics.requestsInFlight, 1)
    const response = yield* Effect.gen(function*() {
      const keys = yield* ClientKeys.ClientKeys
      const authenticated = yield* Effect.result(options.open === true ? Effect.succeed(ClientKeys.anonymous) : keys.authenticate)
      if (authenticated._tag === "Failure") return refuse(authenticated.failure)
      client = authenticated.success
      if (options.admin === true && !authenticated.success.admin) return refuse(forbidden)
      const admission = yield* Admission.CurrentAdmission
      return yield* Admission.cutAt(handler({ requestId, client: authenticated.success, refuse }), admission.deadline).pipe(
        Effect.catchTag("ShuttingDown", () => Effect.succeed(refuse(Admission.refused("draining"))))
      )
    }).pipe(
      Effect.provideService(RequestTrail.CurrentTrail, trail),
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : Effect.as(logFailure(requestId, cause), refuse(internal(requestId)))
      ),
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : ended(ending(), 499, "client_closed"))
    )
    const finished = finish(response, requestId, redactor)
    const code = finished.status >= 400 && finished.body._tag === "Uint8Array" ? errorCode(decoder.decode(finished.body.body)) : ""
    return yield* observed(finished, ending(), code)
  })
