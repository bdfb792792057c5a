/**
 * `POST /v1/responses`: OpenAI's Responses API, served by any configured provider. The request is
 * translated to the canonical one (`ResponsesRequest`), served by the same `Gateway` as Chat
 * Completions, and the answer rendered back as a `response` object or its typed SSE events
 * (`ResponsesDialect`). The routing headers apply as on Chat Completions, and a whole answer with a
 * `json_schema` text format is held to it (`Gateway.conform`). Nothing is stored. A stream that breaks
 * ends with an `error` event only: `response.completed` means a finished answer.
 */
import { Clock, Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { Redact } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { OutputContract } from "@switchyard/prompts"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as RequestBody from "./RequestBody.ts"
import * as ResponsesDialect from "./ResponsesDialect.ts"
import * as ResponsesRequest from "./ResponsesRequest.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as RoutingHints from "./RoutingHints.ts"
import * as StreamEnd from "./StreamEnd.ts"

const isHttpError = (u: unknown): u is ErrorBody.HttpError =>
  typeof u === "object" && u !== null && "status" in u && "body" in u

const streamBody = (
  answer: Gateway.StreamingAnswer,
  state: ResponsesDialect.StreamState,
  requestId: string,
  redactor: Redact.Redactor
): Stream.Stream<Uint8Array> =>
  StreamEnd.withEnd(answer.events).pipe(
    // A failure becomes the last input of the step, so the error event is numbered in sequence.
    Stream.catchCause((cause) =>
      Stream.fromEffect(Effect.map(Endpoint.streamError(requestId, cause), (error): ResponsesDialect.Failed => ({ _tag: "Failed", error })))
    ),
    Stream.mapAccum(() => state, ResponsesDialect.step),
    Stream.map((frame) => (frame.event === "error" ? redactor.text(ResponsesDialect.frameText(frame)) : ResponsesDialect.frameText(frame))),
    // The frames that arrived together leave together: one write, not one per frame.
    Stream.mapArray((frames) => [frames.join("")]),
    Stream.encodeText
  )

/** No route's answer honoured `text.format`: 422 naming it. */
const contractError = (failure: Parameters<typeof ErrorBody.fromContractFailed>[0]): ErrorBody.HttpError => {
  const error = ErrorBody.fromContractFailed(failure)
  return { ...error, body: { ...error.body, param: "text.format" } }
}

/** `POST /v1/responses`. */
export const handler = Endpoint.make({}, ({ client, refuse, requestId }) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    const decoded = yield* Effect.result(RequestBody.decode(ResponsesRequest.ResponsesRequest, { knownFields: ResponsesRequest.knownFields }))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const hints = yield* Effect.result(RoutingHints.fromRequest(undefined))
    if (hints._tag === "Failure") return refuse(hints.failure)
    const translated = yield* Effect.result(Effect.try({
      try: () => ResponsesRequest.toChatRequest(decoded.success),
      catch: (e) => (isHttpError(e) ? e : ErrorBody.badRequest(String(e)))
    }))
    if (translated._tag === "Failure") return refuse(translated.failure)
    const request = translated.success
    const caller = { requestId, apiKeyId: client.id, ...hints.success }
    const createdAt = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const header = (model: string) => ({
      id: ResponsesDialect.responseId(requestId),
      model,
      createdAt,
      echo: ResponsesDialect.echoOf(decoded.success)
    })
    const failure = RouteHeaders.failure(requestId)
    yield* Effect.annotateCurrentSpan({ requestId, model: request.model, stream: request.stream === true })

    if (request.stream === true) {
      const redactor = yield* Redact.CurrentRedactor
      return yield* gateway.stream(request, caller).pipe(
        Effect.map((answer) =>
          HttpServerResponse.stream(
            streamBody(answer, ResponsesDialect.initialStreamState(header(answer.route.model)), requestId, redactor),
            {
              contentType: "text/event-stream",
              headers: { "cache-control": "no-cache", ...RouteHeaders.make(requestId, answer.route, answer.attempts) }
            }
          )
        ),
        Effect.catch(failure)
      )
    }

    const format = request.response_format
    if (format?.type === "json_schema" && format.json_schema.schema !== undefined) {
      const contract = OutputContract.fromJsonSchema(format.json_schema.name, format.json_schema.schema)
      return yield* gateway.conform(request, contract, caller).pipe(
        Effect.map((answer) =>
          HttpServerResponse.jsonUnsafe(ResponsesDialect.response(answer.response, header(answer.response.model)), {
            headers: RouteHeaders.conformed(requestId, answer)
          })
        ),
        Effect.catchTag("ContractFailed", (contractFailure) => Effect.succeed(refuse(contractError(contractFailure)))),
        Effect.catch(failure)
      )
    }

    return yield* gateway.complete(request, caller).pipe(
      Effect.map((answer) =>
        HttpServerResponse.jsonUnsafe(ResponsesDialect.response(answer.response, header(answer.response.model)), {
          headers: RouteHeaders.make(requestId, answer.route, answer.attempts)
        })
      ),
      Effect.catch(failure)
    )
  }))
