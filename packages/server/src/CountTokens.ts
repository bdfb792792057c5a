/**
 * `POST /v1/messages/count_tokens`: Anthropic's token count of a Messages request, for any route.
 * The count is the route's provider's own where it has a token-count API (Anthropic, Gemini): the
 * first of the model's routes that can count is asked. Otherwise, or when that count fails or is
 * slow, it is the gateway's tokenizer estimate (`o200k_base`, or the model's own encoding for OpenAI
 * models), said so in `x-switchyard-estimate-method`. `x-switchyard-count-source` says which
 * (`provider` or `estimate`); errors are in Anthropic's shape. Counting is free: no ledger row.
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { Gateway } from "@switchyard/gateway"
import { AnthropicMessages, ErrorBody } from "@switchyard/translate"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"

/** The headers that say where a count came from. */
const sourceHeaders = (counted: Gateway.TokenCount): Record<string, string> =>
  counted.source === "provider"
    ? { "x-switchyard-count-source": "provider" }
    : { "x-switchyard-count-source": "estimate", "x-switchyard-estimate-method": counted.method }

export const handler = Endpoint.make({ render: AnthropicMessages.renderError }, ({ client, refuse, requestId }) =>
  Effect.gen(function*() {
    const { CountTokensRequest, toChatRequest } = AnthropicMessages
    const decoded = yield* Effect.result(RequestBody.decode(CountTokensRequest, { knownFields: Object.keys(CountTokensRequest.fields) }))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const counting = { ...decoded.success, max_tokens: decoded.success.max_tokens ?? 1 }
    const translated = yield* Effect.result(ErrorBody.translating(() => toChatRequest(counting)))
    if (translated._tag === "Failure") return refuse(translated.failure)
    const gateway = yield* Gateway.Gateway
    const counted = yield* gateway.countTokens(translated.success, { requestId, apiKeyId: client.id })
    return HttpServerResponse.jsonUnsafe({ input_tokens: counted.inputTokens }, { headers: sourceHeaders(counted) })
  }))
