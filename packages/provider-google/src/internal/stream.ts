/**
 * The Gemini stream (`streamGenerateContent?alt=sse`): every `data:` frame is a whole
 * `GenerateContentResponse`, and the stream just ends. It ended properly when a finish reason (or a
 * blocked prompt) was seen; otherwise it was cut (`StreamInterrupted`). An `error` object in a frame
 * (alone or in a one-element array) fails the stream with the classified error, and so does an error
 * Google appends after the frames as bare, indented JSON without `data:` (vercel/ai#5217), which an
 * SSE parser would otherwise skip, leaving a broken answer looking finished.
 */
import type { Stream } from "effect"
import { InBand, JsonValue, ProviderError, type ProviderHttp, Sse, type StreamEvent, StreamMachine } from "@switchyard/core"
import * as Decode from "./decode.ts"
import * as Errors from "./errors.ts"

export const machine = (context: ProviderHttp.CallContext): StreamMachine.Machine<Decode.State, unknown> => {
  const { provider } = context
  return {
    initial: Decode.initial,
    step: (state, input) => {
      const out: Array<StreamMachine.Output> = []
      let next = state
      for (const item of Array.isArray(input) ? input : [input]) {
        const body = JsonValue.record(item)
        if (body === undefined) {
          const message = `${provider}: a stream chunk is not a JSON object`
          return [next, [...out, new ProviderError.StreamInterrupted({ provider, message })]]
        }
        if (body["error"] != null) return [next, [...out, Errors.errorOf(provider, body)]]
        const [after, events] = Decode.observe(next, body, context)
        next = after
        out.push(...events)
      }
      return [next, out]
    },
    end: (state) =>
      Decode.isFinished(state)
        ? Decode.end(state)
        : [new ProviderError.StreamInterrupted({ provider, message: `${provider}: stream ended before a finish reason` })]
  }
}

/** Whether a line is SSE syntax: blank, a comment, or a field Google uses. */
const isSseLine = (line: string) => line === "" || line.startsWith(":") || /^(data|event|id|retry)(:|$)/.test(line)

/**
 * The body's JSON frames: its lines, bare ones made `data:` lines (so a bare JSON error arrives as
 * one event, its lines joined), as SSE.
 */
const body = (provider: string) => (): InBand.Framing<Uint8Array, unknown, ProviderError.ProviderError> =>
  InBand.compose(
    InBand.compose(
      InBand.compose(InBand.utf8(), InBand.lines()),
      InBand.each((line: string) => [`${isSseLine(line) ? line : `data: ${line}`}\n`])
    ),
    InBand.compose(Sse.providerEvents(provider), Sse.withData(Sse.json(provider)))
  )

/** SSE bytes to canonical events. */
export const decodeStream = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError.ProviderError, R>,
  context: ProviderHttp.CallContext
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError, R> =>
  StreamMachine.decode(body(context.provider), machine(context))(bytes)
