/**
 * `POST /v1/messages`: the Anthropic-compatible endpoint. Applications written against Anthropic's
 * SDK route to any configured provider: the request is translated to the canonical one, served by
 * the same `Gateway`, and the answer rendered back as Anthropic sends it (JSON or its SSE events).
 */
import { Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { ProviderError } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import * as AnthropicDialect from "./AnthropicDialect.ts"
import * as AnthropicRequest from "./AnthropicRequest.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RouteHeaders from "./RouteHeaders.ts"

const isHttpError = (u: unknown): u is ErrorBody.HttpError =>
  typeof u === "object" && u !== null && "status" in u && "body" in u

const streamBody = (answer: Gateway.StreamingAnswer, fallback: { id: string; model: string }): Stream.Stream<Uint8Array> =>
  answer.events.pipe(
    Stream.mapAccum(() => AnthropicDialect.initialStreamState(fallback), AnthropicDialect.step, { onHalt: AnthropicDialect.finish }),
    Stream.map(AnthropicDialect.frameText),
    Stream.catch((error: ProviderError.ProviderError) =>
      Stream.succeed(AnthropicDialect.frameText(AnthropicDialect.errorFrame(ErrorBody.fromProviderError(error))))
    ),
    Stream.encodeText
  )

export const handler = Effect.gen(function*() {
  const gateway = yield* Gateway.Gateway
  const requestId = RouteHeaders.newRequestId()
  const refuse = (error: ErrorBody.HttpError) =>
    ErrorBody.toResponse(error, { "x-request-id": requestId }, AnthropicDialect.renderError)
  const client = yield* Effect.result((yield* ClientKeys.ClientKeys).authenticate)
  if (client._tag === "Failure") return refuse(client.failure)
  const caller = { requestId, apiKeyId: client.success.id }
  const decoded = yield* Effect.result(RequestBody.decode(AnthropicRequest.MessagesRequest))
  if (decoded._tag === "Failure") return refuse(decoded.failure)
  const translated = yield* Effect.result(Effect.try({
    try: () => AnthropicRequest.toChatRequest(decoded.success),
    catch: (e) => (isHttpError(e) ? e : ErrorBody.badRequest(String(e)))
  }))
  if (translated._tag === "Failure") return refuse(translated.failure)
  const request = translated.success
  const failure = RouteHeaders.failure(requestId, AnthropicDialect.renderError)

  if (request.stream === true) {
    return yield* gateway.stream(request, caller).pipe(
      Effect.map((answer) =>
        HttpServerResponse.stream(streamBody(answer, { id: requestId.slice(4), model: answer.route.model }), {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-cache", ...RouteHeaders.make(requestId, answer.route, answer.attempts) }
        })
      ),
      Effect.catch(failure)
    )
  }
  return yield* gateway.complete(request, caller).pipe(
    Effect.map((answer) =>
      HttpServerResponse.jsonUnsafe(AnthropicDialect.message(answer.response), {
        headers: RouteHeaders.make(requestId, answer.route, answer.attempts)
      })
    ),
    Effect.catch(failure)
  )
})
