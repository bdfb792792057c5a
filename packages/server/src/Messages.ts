/**
 * `POST /v1/messages`: the Anthropic-compatible endpoint. Applications written against Anthropic's
 * SDK route to any configured provider: the request is translated to the canonical one, served by
 * the same `Gateway`, and the answer rendered back as Anthropic sends it (JSON or its SSE events).
 * The routing headers (`x-switchyard-deadline-ms`, ...) apply as on Chat Completions, and so does a
 * structured output (`output_config.format`): a whole answer is held to its schema. A stream that
 * breaks ends with an `error` event only: `message_delta` and `message_stop` mean a finished answer.
 */
import { Effect, Fiber } from "effect"
import { Redact, type Usage } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { AnthropicMessages, ErrorBody } from "@switchyard/translate"
import * as Answer from "./Answer.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RoutingHints from "./RoutingHints.ts"
import * as StreamBody from "./StreamBody.ts"

/** Anthropic's stream: its typed events from `message_start` to `message_stop`, or to an `error` event. */
const dialect = (
  fallback: { id: string; model: string; usage: Usage.Usage | undefined }
): StreamBody.Dialect<AnthropicMessages.StreamState, AnthropicMessages.Frame> => ({
  initial: AnthropicMessages.initialStreamState(fallback),
  step: AnthropicMessages.step,
  frameText: AnthropicMessages.frameText,
  failure: (_, error) => AnthropicMessages.frameText(AnthropicMessages.errorFrame(error))
})

/** `POST /v1/messages`. */
export const handler = Endpoint.make({ render: AnthropicMessages.renderError }, (call) =>
  Effect.gen(function*() {
    const { client, refuse, requestId } = call
    const decoded = yield* Effect.result(
      RequestBody.decode(AnthropicMessages.MessagesRequest, { knownFields: Object.keys(AnthropicMessages.MessagesRequest.fields) })
    )
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const hints = yield* Effect.result(RoutingHints.fromRequest(undefined))
    if (hints._tag === "Failure") return refuse(hints.failure)
    const translated = yield* Effect.result(ErrorBody.translating(() => AnthropicMessages.toChatRequest(decoded.success)))
    if (translated._tag === "Failure") return refuse(translated.failure)
    const request = translated.success
    const caller = { requestId, ...ClientKeys.caller(client), ...hints.success }

    if (request.stream === true) {
      const redactor = yield* Redact.CurrentRedactor
      // `message_start` carries the input tokens; a route that reports none before its content gets
      // the gateway's estimate there (counted while the route is being reached).
      const gateway = yield* Gateway.Gateway
      const inputEstimate = yield* Effect.forkChild(gateway.estimateInput(request))
      return yield* Answer.streamed(request, {
        call,
        caller,
        render: AnthropicMessages.renderError,
        body: (answer) =>
          Effect.map(Fiber.join(inputEstimate), (usage) =>
            StreamBody.make(answer.events, dialect({ id: requestId.slice(4), model: answer.route.model, usage }), {
              requestId,
              redactor,
              deadline: answer.deadline
            }))
      })
    }
    return yield* Answer.whole(request, {
      call,
      caller,
      render: AnthropicMessages.renderError,
      body: (response) => Effect.succeed(AnthropicMessages.message(response))
    })
  }))
