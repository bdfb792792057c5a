/**
 * `POST /v1/chat/completions`: decode, call the `Gateway` as a library user would, encode as OpenAI.
 * Streams are `chat.completion.chunk` SSE ending in `data: [DONE]`; usage is sent only when the client
 * asked for it; a failure after the first byte becomes an SSE `error` event (never a silent end).
 * A whole answer with a `json_schema` response format is held to it: validated, repaired, re-asked,
 * then the next route (`Gateway.conform`); what was done is in `x-switchyard-contract`.
 */
import { Clock, Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { ChatRequest, type ProviderError } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { OutputContract } from "@switchyard/prompts"
import * as ClientKeys from "./ClientKeys.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as OpenAiDialect from "./OpenAiDialect.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as RoutingHints from "./RoutingHints.ts"

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`

const streamBody = (
  request: ChatRequest.ChatRequest,
  answer: Gateway.StreamingAnswer,
  fallback: { id: string; model: string; created: number }
): Stream.Stream<Uint8Array> => {
  const includeUsage = request.stream_options?.include_usage === true
  return answer.events.pipe(
    Stream.mapAccum(() => OpenAiDialect.initialChunkState(fallback), OpenAiDialect.step, {
      onHalt: (state) => (includeUsage ? OpenAiDialect.usageChunk(state) : [])
    }),
    Stream.map(sse),
    Stream.concat(Stream.succeed("data: [DONE]\n\n")),
    Stream.catch((error: ProviderError.ProviderError) =>
      Stream.succeed(sse({ error: ErrorBody.fromProviderError(error).body }))
    ),
    Stream.encodeText
  )
}

export const handler = Effect.gen(function*() {
  const gateway = yield* Gateway.Gateway
  const requestId = RouteHeaders.newRequestId()
  const client = yield* Effect.result((yield* ClientKeys.ClientKeys).authenticate)
  if (client._tag === "Failure") return ErrorBody.toResponse(client.failure, { "x-request-id": requestId })
  const decoded = yield* Effect.result(RequestBody.decode(RoutingHints.RoutedChatRequest))
  if (decoded._tag === "Failure") return ErrorBody.toResponse(decoded.failure, { "x-request-id": requestId })
  const { models, ...request } = decoded.success
  const hints = yield* Effect.result(RoutingHints.fromRequest(models))
  if (hints._tag === "Failure") return ErrorBody.toResponse(hints.failure, { "x-request-id": requestId })
  const caller = { requestId, apiKeyId: client.success.id, ...hints.success }
  yield* Effect.annotateCurrentSpan({ requestId, model: request.model, stream: request.stream === true })

  if (request.stream === true) {
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    return yield* gateway.stream(request, caller).pipe(
      Effect.map((answer) =>
        HttpServerResponse.stream(
          streamBody(request, answer, { id: `chatcmpl-${requestId.slice(4)}`, model: answer.route.model, created }),
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
        HttpServerResponse.jsonUnsafe(OpenAiDialect.completion(answer.response), {
          headers: {
            ...RouteHeaders.make(requestId, answer.route, answer.attempts),
            "x-switchyard-contract": answer.conformance.map((a) => `${a.route}=${a.outcome}`).join(", "),
            ...(answer.repairs.length === 0 ? {} : { "x-switchyard-repairs": answer.repairs.map((r) => r.split(":")[0]).join(", ") })
          }
        })
      ),
      Effect.catchTag("ContractFailed", (failure) =>
        Effect.succeed(ErrorBody.toResponse(ErrorBody.fromContractFailed(failure), { "x-request-id": requestId }))),
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
})
