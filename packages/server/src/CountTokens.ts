/**
 * `POST /v1/messages/count_tokens`: Anthropic's token count of a Messages request, for any route.
 * The count is the gateway's tokenizer estimate (`o200k_base`, or the model's own encoding for
 * OpenAI models), said so in `x-switchyard-estimate-method`; errors are in Anthropic's shape.
 */
import { Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { Estimate } from "@switchyard/cost"
import * as AnthropicDialect from "./AnthropicDialect.ts"
import * as AnthropicRequest from "./AnthropicRequest.ts"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorBody from "./ErrorBody.ts"
import * as RequestBody from "./RequestBody.ts"

/** The request: a Messages request without `max_tokens` and `stream`. */
const CountRequest = Schema.Struct({
  ...AnthropicRequest.MessagesRequest.fields,
  max_tokens: Schema.optionalKey(AnthropicRequest.MessagesRequest.fields.max_tokens)
})

const isHttpError = (u: unknown): u is ErrorBody.HttpError =>
  typeof u === "object" && u !== null && "status" in u && "body" in u

export const handler = Endpoint.make({ render: AnthropicDialect.renderError }, ({ refuse }) =>
  Effect.gen(function*() {
    const decoded = yield* Effect.result(RequestBody.decode(CountRequest, { knownFields: Object.keys(CountRequest.fields) }))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const translated = yield* Effect.result(Effect.try({
      try: () => AnthropicRequest.toChatRequest({ ...decoded.success, max_tokens: decoded.success.max_tokens ?? 1 }),
      catch: (e) => (isHttpError(e) ? e : ErrorBody.badRequest(String(e)))
    }))
    if (translated._tag === "Failure") return refuse(translated.failure)
    const estimate = yield* Estimate.Estimate
    const counted = yield* estimate.input(translated.success)
    return HttpServerResponse.jsonUnsafe(
      { input_tokens: counted.usage.inputTokens },
      { headers: { "x-switchyard-estimate-method": counted.method } }
    )
  }))
