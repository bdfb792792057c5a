/**
 * `POST /v1/chat/completions`: decode, call the `Gateway` as a library user would, encode as OpenAI.
 * Streams are `chat.completion.chunk` SSE ending in `data: [DONE]`; usage is sent only when the client
 * asked for it; a failure after the first byte becomes an SSE `error` event (never a silent end).
 * A whole answer with a `json_schema` response format is held to it: validated, repaired, re-asked,
 * then the next route (`Gateway.conform`); what was done is in `x-switchyard-contract`.
 */
import { Clock, Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { type ChatRequest, Redact } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { OutputContract } from "@switchyard/prompts"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as OpenAiDialect from "./OpenAiDialect.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as RoutingHints from "./RoutingHints.ts"
import * as StreamEnd from "./StreamEnd.ts"

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`

const streamBody = (
  request: ChatRequest.ChatRequest,
  answer: Gateway.StreamingAnswer,
  fallback: { id: string; model: string; created: number },
  requestId: string,
  redactor: Redact.Redactor
): Stream.Stream<Uint8Array> =>
  StreamEnd.withEnd(answer.events).pipe(
    Stream.mapAccum(
      () => OpenAiDialect.initialChunkState(fallback, request.stream_options?.include_usage === true),
      OpenAiDialect.step
    ),
    Stream.map(sse),
    // The frames that arrived together leave together: one write, not one per frame.
    Stream.mapArray((frames) => [frames.join("")]),
    Stream.concat(Stream.succeed("data: [DONE]\n\n")),
    Stream.catchCause((cause) =>
      Stream.fromEffect(Effect.map(Endpoint.streamError(requestId, cause), (error) => redactor.text(sse({ error: error.body }))))
    ),
    Stream.encodeText
  )

/** `POST /v1/chat/completions`. */
export const handler = Endpoint.make({}, ({ client, refuse, requestId }) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    const decoded = yield* Effect.result(RequestBody.decode(RoutingHints.RoutedChatRequest))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const { models, ...request } = decoded.success
    const hints = yield* Effect.result(RoutingHints.fromRequest(models))
    if (hints._tag === "Failure") return refuse(hints.failure)
    const caller = { requestId, apiKeyId: client.id, ...hints.success }
    yield* Effect.annotateCurrentSpan({ requestId, model: request.model, stream: request.stream === true })

    if (request.stream === true) {
      const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const redactor = yield* Redact.CurrentRedactor
      return yield* gateway.stream(request, caller).pipe(
        Effect.map((answer) =>
          HttpServerResponse.stream(
            streamBody(request, answer, { id: `chatcmpl-${requestId.slice(4)}`, model: answer.route.model, created }, requestId, redactor),
            {
              contentType: "text/event-stream",
              headers: { "cache-control": "no-cache", ...RouteHeaders.make(requestId, answer.route, answer.attempts) }
            }
          )
        ),
        Effect.catch(RouteHeaders.failure(requestId))
      )
    }

    const format = request.response_format
    if (format?.type === "json_schema" && format.json_schema.schema !== undefined) {
      const contract = OutputContract.fromJsonSchema(format.json_schema.name, format.json_schema.schema)
      return yield* gateway.conform(request, contract, caller).pipe(
        Effect.map((answer) =>
          HttpServerResponse.jsonUnsafe(OpenAiDialect.completion(answer.response), { headers: RouteHeaders.conformed(requestId, answer) })
        ),
        Effect.catchTag("ContractFailed", (failure) => Effect.succeed(refuse(ErrorBody.fromContractFailed(failure)))),
        Effect.catch(RouteHeaders.failure(requestId))
      )
    }

    return yield* gateway.complete(request, caller).pipe(
      Effect.map((answer) =>
        HttpServerResponse.jsonUnsafe(OpenAiDialect.completion(answer.response), {
          headers: RouteHeaders.make(requestId, answer.route, answer.attempts)
        })
      ),
      Effect.catch(RouteHeaders.failure(requestId))
    )
  }))
