/**
 * The Gemini stream (`streamGenerateContent?alt=sse`): every `data:` frame is a whole
 * `GenerateContentResponse`, and the stream just ends. It ended properly when a finish reason (or a
 * blocked prompt) was seen; otherwise it was cut. An `error` object in a frame fails the stream.
 */
import { Stream } from "effect"
import { JsonValue, ProviderError, type ProviderHttp, Sse, type StreamEvent, StreamMachine } from "@switchyard/core"
import * as Decode from "./decode.ts"

export const machine = (context: ProviderHttp.CallContext): StreamMachine.Machine<Decode.State, unknown> => {
  const { provider } = context
  return {
    initial: Decode.initial,
    step: (state, input) => {
      const body = JsonValue.record(input)
      if (body === undefined) {
        return [state, [new ProviderError.StreamInterrupted({ provider, message: `${provider}: a stream chunk is not a JSON object` })]]
      }
      if (body["error"] != null) return [state, [Decode.errorOf(provider, body)]]
      return [state, Decode.observe(state, body, context)]
    },
    end: (state) =>
      Decode.isFinished(state)
        ? Decode.end(state)
        : [new ProviderError.StreamInterrupted({ provider, message: `${provider}: stream ended before a finish reason` })]
  }
}

/** SSE bytes to canonical events. */
export const decodeStream = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError.ProviderError, R>,
  context: ProviderHttp.CallContext
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError, R> => {
  const { provider } = context
  return Sse.providerJson(bytes, provider).pipe(
    StreamMachine.run(machine(context))
  )
}
