/**
 * A whole `generateContent` answer: the same reading as a stream of its chunks (one object, or the
 * array `streamGenerateContent` answers without `alt=sse`). An `error` object fails it.
 */
import { Effect } from "effect"
import { type ChatResponse, JsonValue, ProviderError, type ProviderHttp, StreamAccumulator, type StreamEvent } from "@switchyard/core"
import * as Decode from "./decode.ts"
import * as Errors from "./errors.ts"

export const decodeResponse = (
  body: unknown,
  context: ProviderHttp.CallContext
): Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError> => {
  const chunks = (Array.isArray(body) ? body : [body]).map(JsonValue.record)
  let state = Decode.initial()
  const events: Array<StreamEvent.StreamEvent> = []
  for (const chunk of chunks) {
    if (chunk === undefined) {
      return Effect.fail(
        new ProviderError.ServerError({ provider: context.provider, message: `${context.provider}: response is not a JSON object` })
      )
    }
    if (chunk["error"] != null) return Effect.fail(Errors.errorOf(context.provider, chunk))
    const [next, added] = Decode.observe(state, chunk, context)
    state = next
    events.push(...added)
  }
  return Effect.succeed(StreamAccumulator.assemble([...events, ...Decode.end(state)]))
}
