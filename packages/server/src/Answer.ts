/**
 * How an endpoint answers a canonical request, whatever its dialect: a stream as `text/event-stream`
 * with the routing headers; a whole answer held to the request's `json_schema` response format when it
 * has one (`Gateway.conform`, what was done in `x-switchyard-contract`), else `Gateway.complete`.
 */
import { type Context, Effect, Scope, type Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { ChatRequest, ChatResponse, Race } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as Admission from "./Admission.ts"
import type * as Endpoint from "./Endpoint.ts"
import * as RouteHeaders from "./RouteHeaders.ts"

/** Who asks, and how the client's dialect renders a gateway failure (OpenAI's by default). */
export interface Options {
  readonly call: Endpoint.Call
  readonly caller: Gateway.Caller
  readonly render?: ErrorBody.Render
}

/** A streaming answer, and the shutdown deadline its body must end at (see `StreamBody`). */
export interface Streaming extends Gateway.StreamingAnswer {
  readonly deadline: Race.Signal
}

/**
 * A streaming answer as `text/event-stream`, uncached, with the routing headers; `body` encodes its
 * events in the client's dialect (a failure after the first byte, a shutdown's deadline included,
 * as its error event: see `Endpoint.streamError`). A failure before the first byte becomes its error
 * response, with every attempt in the headers.
 */
export const streamed = (
  request: ChatRequest.ChatRequest,
  { body, call, caller, render }: Options & {
    readonly body: (answer: Streaming) => Effect.Effect<Stream.Stream<Uint8Array>>
  }
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Gateway.Gateway | Scope.Scope> =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    // Read now: the body streams after this handler has returned.
    const admission = yield* Admission.CurrentAdmission
    return yield* gateway.stream(request, caller).pipe(
      // The body runs after this handler returns, within the request's scope; a client gone before it
      // started leaves the events unread, so the scope's end lets the answer go (once, either way),
      // with this handler's services (`Effect.addFinalizer` would merge them into the closing fiber's,
      // a copy of every service of both).
      Effect.tap((answer) =>
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.contextWith((services: Context.Context<never>) =>
            Scope.addFinalizer(scope, Effect.updateContext(answer.release, (_: Context.Context<never>) => services))
          ))
      ),
      Effect.flatMap((answer) =>
        Effect.map(body({ ...answer, deadline: admission.deadline }), (frames) =>
          HttpServerResponse.stream(frames, {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache", ...RouteHeaders.make(call.requestId, answer.route, answer.attempts) }
          }))
      ),
      Effect.catch(RouteHeaders.failure(call.requestId, render))
    )
  })

/**
 * A whole answer as JSON with the routing headers. A `json_schema` response format is held to it:
 * validated, repaired, re-asked, then the next route; 422 when no route honoured it. A gateway
 * failure becomes its error response, with every attempt in the headers.
 */
export const whole = (
  request: ChatRequest.ChatRequest,
  { body, call, caller, formatParam, render }: Options & {
    /** The answer's body in the client's dialect. */
    readonly body: (response: ChatResponse.ChatResponse) => Effect.Effect<unknown>
    /** The request field a contract failure names (`response_format` by default). */
    readonly formatParam?: string
  }
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Gateway.Gateway> =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    const respond = (answer: Gateway.Answer, headers: Record<string, string>) =>
      Effect.map(body(answer.response), (json) => HttpServerResponse.jsonUnsafe(json, { headers }))
    const contract = Gateway.formatContract(request)
    const answered = contract !== undefined
      ? gateway.conform(request, contract, caller).pipe(
        Effect.flatMap((answer) => respond(answer, RouteHeaders.conformed(call.requestId, answer))),
        Effect.catchTag("ContractFailed", (failure) => Effect.succeed(call.refuse(ErrorBody.fromContractFailed(failure, formatParam))))
      )
      : Effect.flatMap(
        gateway.complete(request, caller),
        (answer) => respond(answer, RouteHeaders.make(call.requestId, answer.route, answer.attempts))
      )
    return yield* Effect.catch(answered, RouteHeaders.failure(call.requestId, render))
  })
