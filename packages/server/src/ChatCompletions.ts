/**
 * `POST /v1/chat/completions`: decode, call the `Gateway` as a library user would, encode as OpenAI
 * (`OpenAiChat`). A failure after the first byte becomes an SSE `error` event (never a silent end).
 * A whole answer with a `json_schema` response format is held to it: validated, repaired, re-asked,
 * then the next route (`Gateway.conform`); what was done is in `x-switchyard-contract`.
 */
import { Clock, Effect, Stream } from "effect"
import { type ChatRequest, Redact } from "@switchyard/core"
import { OpenAiChat, StreamEnd } from "@switchyard/translate"
import * as Answer from "./Answer.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RoutingHints from "./RoutingHints.ts"

const streamBody = (
  request: ChatRequest.ChatRequest,
  answer: Answer.Streaming,
  fallback: { id: string; model: string; created: number },
  requestId: string,
  redactor: Redact.Redactor
): Stream.Stream<Uint8Array> =>
  StreamEnd.withEnd(answer.events).pipe(
    Stream.mapAccum(
      () => OpenAiChat.initialChunkState(fallback, request.stream_options?.include_usage === true),
      OpenAiChat.step
    ),
    Stream.map(OpenAiChat.frameText),
    // The frames that arrived together leave together: one write, not one per frame.
    Stream.mapArray((frames) => [frames.join("")]),
    Stream.concat(Stream.succeed(OpenAiChat.doneText)),
    Stream.catchCause((cause) =>
      Stream.fromEffect(Effect.map(Endpoint.streamError(requestId, cause), (error) => redactor.text(OpenAiChat.errorText(error))))
    ),
    Stream.encodeText
  )

/** `POST /v1/chat/completions`. */
export const handler = Endpoint.make({}, (call) =>
  Effect.gen(function*() {
    const { client, refuse, requestId } = call
    const decoded = yield* Effect.result(RequestBody.decode(OpenAiChat.RoutedChatRequest))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const { models, ...request } = decoded.success
    const hints = yield* Effect.result(RoutingHints.fromRequest(models))
    if (hints._tag === "Failure") return refuse(hints.failure)
    const caller = { requestId, ...ClientKeys.caller(client), ...hints.success }
    yield* Effect.annotateCurrentSpan({ requestId, model: request.model, stream: request.stream === true })

    if (request.stream === true) {
      const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const redactor = yield* Redact.CurrentRedactor
      return yield* Answer.streamed(request, {
        call,
        caller,
        body: (answer) =>
          Effect.succeed(
            streamBody(request, answer, { id: `chatcmpl-${requestId.slice(4)}`, model: answer.route.model, created }, requestId, redactor)
          )
      })
    }
    return yield* Answer.whole(request, { call, caller, body: (response) => Effect.succeed(OpenAiChat.completion(response)) })
  }))
