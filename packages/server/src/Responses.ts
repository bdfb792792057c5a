/**
 * `POST /v1/responses`: OpenAI's Responses API, served by any configured provider. The request is
 * translated to the canonical one (`OpenAiResponses`), served by the same `Gateway` as Chat
 * Completions, and the answer rendered back as a `response` object or its typed SSE events. The
 * routing headers apply as on Chat Completions, and a whole answer with a `json_schema` text format is
 * held to it (`Gateway.conform`). A finished response is kept
 * (`ResponseStore`, unless `store: false`) so later requests can refer to its items or continue it.
 * A stream that breaks ends with an `error` event only: `response.completed` means a finished answer.
 */
import { Clock, Effect } from "effect"
import { type ChatResponse, Redact } from "@switchyard/core"
import { ErrorBody, OpenAiResponses } from "@switchyard/translate"
import * as Answer from "./Answer.ts"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"
import * as ResponseStore from "./ResponseStore.ts"
import * as RoutingHints from "./RoutingHints.ts"
import * as StreamBody from "./StreamBody.ts"

/** Output items of a `response` object, as the store keeps them. */
const outputOf = (response: unknown): ReadonlyArray<ResponseStore.Item> => {
  const output = (response as { output?: unknown } | undefined)?.output
  return Array.isArray(output) ? output : []
}

/**
 * The Responses stream: typed events numbered in sequence, a failure the last of them (an `error`
 * event); a finished answer's items are kept before its last frame leaves (a client may refer to
 * them next).
 */
const dialect = (
  initial: OpenAiResponses.StreamState,
  remember: (output: ReadonlyArray<ResponseStore.Item>) => Effect.Effect<void>
): StreamBody.Dialect<OpenAiResponses.StreamState, OpenAiResponses.Frame> => ({
  initial,
  step: OpenAiResponses.step,
  frameText: OpenAiResponses.frameText,
  failure: (state, error) => OpenAiResponses.step(state, { _tag: "Failed", error })[1].map(OpenAiResponses.frameText).join(""),
  beforeEnd: (closing) =>
    Effect.forEach(
      closing.filter((frame) => frame.event === "response.completed" || frame.event === "response.incomplete"),
      (frame) => remember(outputOf(frame.data["response"])),
      { discard: true }
    )
})

/** `POST /v1/responses`. */
export const handler = Endpoint.make({}, (call) =>
  Effect.gen(function*() {
    const { client, refuse, requestId } = call
    const decoded = yield* Effect.result(RequestBody.decode(OpenAiResponses.ResponsesRequest, { knownFields: OpenAiResponses.knownFields }))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const hints = yield* Effect.result(RoutingHints.fromRequest(undefined))
    if (hints._tag === "Failure") return refuse(hints.failure)
    const store = yield* ResponseStore.CurrentResponseStore
    const resolved = yield* Effect.result(OpenAiResponses.resolveStored(decoded.success, store))
    if (resolved._tag === "Failure") return refuse(resolved.failure)
    const translated = yield* Effect.result(ErrorBody.translating(() => OpenAiResponses.toChatRequest(resolved.success)))
    if (translated._tag === "Failure") return refuse(translated.failure)
    const request = translated.success
    const caller = { requestId, ...ClientKeys.caller(client), ...hints.success }
    const createdAt = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const header = (model: string) => ({
      id: OpenAiResponses.responseId(requestId),
      model,
      createdAt,
      echo: OpenAiResponses.echoOf(decoded.success)
    })
    const input = resolved.success.input
    /** Keeps a finished response for later references, unless the request said `store: false`. */
    const remember = (output: ReadonlyArray<ResponseStore.Item>) =>
      resolved.success.store === false
        ? Effect.void
        : store.remember({ id: OpenAiResponses.responseId(requestId), input: typeof input === "string" ? [] : input, output })
    /** The `response` object of a whole answer, kept. */
    const whole = (answer: ChatResponse.ChatResponse) => {
      const body = OpenAiResponses.response(answer, header(answer.model))
      return Effect.as(remember(outputOf(body)), body)
    }
    yield* Effect.annotateCurrentSpan({ requestId, model: request.model, stream: request.stream === true })

    if (request.stream === true) {
      const redactor = yield* Redact.CurrentRedactor
      return yield* Answer.streamed(request, {
        call,
        caller,
        body: (answer) =>
          Effect.succeed(
            StreamBody.make(
              answer.events,
              dialect(OpenAiResponses.initialStreamState(header(answer.route.model)), remember),
              { requestId, redactor, deadline: answer.deadline }
            )
          )
      })
    }
    // A `json_schema` text format is held to it; a contract failure names `text.format`.
    return yield* Answer.whole(request, { call, caller, body: whole, formatParam: "text.format" })
  }))
