/**
 * Gemini token counts: `POST models/<id>:countTokens` with the whole `generateContentRequest` (its
 * `model`, and the `generateContent` body of the request's prompt: contents, system instruction,
 * tools), so system and tools are counted as they would be billed; answered with `totalTokens`.
 * Proto3 JSON leaves zero out, so an answer without `totalTokens` (`{}`) counts 0.
 * https://ai.google.dev/api/tokens#method:-models.counttokens
 */
import { Effect } from "effect"
import { type ChatRequest, JsonValue, ProviderError, ProviderHttp } from "@switchyard/core"
import { body, resourceName } from "./encode.ts"
import * as Errors from "./errors.ts"

const { number, record } = JsonValue

/** The fields of a `CountTokensResponse`. */
const responseFields = new Set(["totalTokens", "cachedContentTokenCount", "promptTokensDetails", "cacheTokensDetails"])

export const encode = (
  request: ChatRequest.ChatRequest,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> =>
  ProviderHttp.encodeWith("Gemini", context, () => {
    const model = resourceName(request.model)
    return {
      path: `${model}:countTokens`,
      body: { generateContentRequest: { model, ...body(ProviderHttp.countable(request)) } }
    }
  })

export const decode = (body: unknown, context: ProviderHttp.CallContext): Effect.Effect<number, ProviderError.ProviderError> => {
  const json = record(body)
  if (json !== undefined && record(json["error"]) !== undefined) return Effect.fail(Errors.errorOf(context.provider, json))
  const total = number(json?.["totalTokens"])
  if (total !== undefined && Number.isInteger(total) && total >= 0) return Effect.succeed(total)
  if (json !== undefined && json["totalTokens"] === undefined && Object.keys(json).every((key) => responseFields.has(key))) {
    return Effect.succeed(0)
  }
  return Effect.fail(
    new ProviderError.ServerError({
      provider: context.provider,
      message: `${context.provider}: unexpected token count body (no \`totalTokens\`)`,
      body: JSON.stringify(body)
    })
  )
}

/** The token-count part of the Gemini dialect. */
export const dialect: ProviderHttp.CountTokensDialect = { encode, decode }
