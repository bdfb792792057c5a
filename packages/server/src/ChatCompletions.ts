/**
 * `POST /v1/chat/completions`: decode, call the `Gateway` as a library user would, encode as OpenAI.
 * Streams are `chat.completion.chunk` SSE ending in `data: [DONE]`; usage is sent only when the client
 * asked for it; a failure after the first byte becomes an SSE `error` event (never a silent end).
 * A whole answer with a `json_schema` response format is held to it: validated, repaired, re-asked,
 * then the next route (`Gateway.conform`); what was done is in `x-switchyard-contract`.
 */
import { Clock, Effect, Stream } from "effect"
import { type ChatRequest, Redact } from "@switchyard/core"
import { StreamEnd } from "@switchyard/translate"
import * as Answer from "./Answer.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as OpenAiDialect from "./OpenAiDialect.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RoutingHints from "./RoutingHints.ts"

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`

const streamBody = (
  request: ChatRequest.ChatRequest,
  answer: Answer.Streaming,
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
export const handler = Endpoint.make({}, (call) =>
  Effect.gen(function*() {
    const { client, refuse, requestId } = call
    const decoded = yield* Effect.result(RequestBody.decode(RoutingHints.RoutedChatRequest))
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
    return yield* Answer.whole(request, { call, caller, body: (response) => Effect.succeed(OpenAiDialect.completion(response)) })
  }))
