/**
 * A whole `generateContent` answer: the same reading as a one-chunk stream.
 */
import { Effect } from "effect"
import { type ChatResponse, JsonValue, ProviderError, type ProviderHttp, StreamAccumulator } from "@switchyard/core"
import * as Decode from "./decode.ts"

export const decodeResponse = (
  body: unknown,
  context: ProviderHttp.CallContext
): Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError> => {
  const json = JsonValue.record(Array.isArray(body) && body.length === 1 ? body[0] : body)
  if (json === undefined) {
    return Effect.fail(
      new ProviderError.ServerError({ provider: context.provider, message: `${context.provider}: response is not a JSON object` })
    )
  }
  if (json["error"] != null) return Effect.fail(Decode.errorOf(context.provider, json))
  const state = Decode.initial()
  const events = Decode.observe(state, json, context)
  return Effect.succeed(StreamAccumulator.assemble([...events, ...Decode.end(state)]))
}
