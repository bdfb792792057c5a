/**
 * What every route of the gateway shares, in one place, so no route can forget it:
 *
 * - a request id, sent back as `x-request-id` on every answer;
 * - the client's key, checked before anything else once keys are configured (`open` routes, the
 *   health check, excepted);
 * - any failure inside the gateway (a defect, a bug) answered as a JSON error in the route's dialect
 *   with the request id, and logged: never an empty 500;
 * - a request still waiting for its answer when a shutdown's grace period ends answered with 503
 *   `shutting_down` (see `Admission`);
 * - secrets redacted from every error body and every header value on the way out.
 */
import { Cause, Effect, Option } from "effect"
import { HttpServerResponse } from "effect/http"
import { ProviderError, Redact } from "@switchyard/core"
import * as Admission from "./Admission.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as RouteHeaders from "./RouteHeaders.ts"

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
 * The error a stream ends with after its first byte: the provider's, `shutting_down` at a shutdown's
 * deadline, or (anything else: a defect, an interruption from inside) an internal error, logged.
 */
export const streamError = (requestId: string, cause: Cause.Cause<unknown>): Effect.Effect<ErrorBody.HttpError> => {
  const error = Option.getOrUndefined(Cause.findErrorOption(cause))
  if (ProviderError.isProviderError(error)) return Effect.succeed(ErrorBody.fromProviderError(error))
  if (error instanceof Admission.ShuttingDown) return Effect.succeed(Admission.refused("draining"))
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

/** A route handler with the request id, authentication, failure handling and redaction of `Endpoint`. */
export const make = <R>(options: Options, handler: (call: Call) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>) =>
  Effect.gen(function*() {
    const requestId = RouteHeaders.newRequestId()
    const render = options.render ?? ErrorBody.renderOpenAi
    const redactor = yield* Redact.CurrentRedactor
    const refuse = (error: ErrorBody.HttpError, headers: Record<string, string> = {}) =>
      ErrorBody.toResponse(error, headers, render)
    const response = yield* Effect.gen(function*() {
      const keys = yield* ClientKeys.ClientKeys
      const client = yield* Effect.result(options.open === true ? Effect.succeed(ClientKeys.anonymous) : keys.authenticate)
      if (client._tag === "Failure") return refuse(client.failure)
      const admission = yield* Admission.CurrentAdmission
      return yield* Effect.raceFirst(
        handler({ requestId, client: client.success, refuse }),
        Effect.as(admission.deadline, refuse(Admission.refused("draining")))
      )
    }).pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : Effect.as(logFailure(requestId, cause), refuse(internal(requestId)))
      )
    )
    return finish(response, requestId, redactor)
  })
