/**
 * `POST /v1/chat/completions`: decode, call the `Gateway` as a library user would, encode as OpenAI
 * (`OpenAiChat`). A failure after the first byte becomes an SSE `error` event (never a silent end).
 * A whole answer with a `json_schema` response format is held to it: validated, repaired, re-asked,
 * then the next route (`Gateway.conform`); what was done is in `x-switchyard-contract`.
 */
import { Clock, Effect } from "effect"
import { type ChatRequest, Redact } from "@switchyard/core"
import { OpenAiChat } from "@switchyard/translate"
import * as Answer from "./Answer.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RoutingHints from "./RoutingHints.ts"
import * as StreamBody from "./StreamBody.ts"

/** The OpenAI Chat dialect of a stream: `chat.completion.chunk` frames, the usage chunk when asked, `[DONE]`. */
const dialect = (
  request: ChatRequest.ChatRequest,
  fallback: { id: string; model: string; created: number }
): StreamBody.Dialect<OpenAiChat.ChunkState, unknown> => ({
  initial: OpenAiChat.initialChunkState(fallback, request.stream_options?.include_usage === true),
  step: OpenAiChat.step,
  frameText: OpenAiChat.frameText,
  failure: (_, error) => OpenAiChat.errorText(error),
  done: OpenAiChat.doneText
})

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
          Effect.succeed(StreamBody.make(
            answer.events,
            dialect(request, { id: `chatcmpl-${requestId.slice(4)}`, model: answer.route.model, created }),
            { requestId, redactor, deadline: answer.deadline }
          ))
      })
    }
    return yield* Answer.whole(request, { call, caller, body: (response) => Effect.succeed(OpenAiChat.completion(response)) })
  }))
