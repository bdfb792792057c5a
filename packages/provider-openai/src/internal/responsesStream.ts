/**
 * The Responses API stream as a pure state machine over its typed SSE events.
 * Lifecycle: `response.created` starts the answer; `response.completed` / `response.incomplete` end
 * it (usage, finish); `response.failed` ends it with a classified error, preferring the details of a
 * preceding `error` event. There is no `[DONE]`: a source that closes before a terminal event is a
 * cut stream. Reference: https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { Result, Schema, Stream } from "effect"
import { InBand, ProviderError, type ProviderHttp, Sse, type StreamEvent, StreamMachine } from "@switchyard/core"
import * as Decode from "./responsesDecode.ts"
import * as Output from "./responsesOutput.ts"
import * as Wire from "./responsesWire.ts"

/** A `data: [DONE]` line, which a few proxies append; it is not a terminal event of this API. */
const DoneMarker: unique symbol = Symbol.for("@switchyard/provider-openai/responses/DoneMarker")

/** One SSE event: its `event:` name and parsed `data:` JSON. */
export interface Input {
  readonly event: string
  readonly data: unknown
}

export interface State {
  readonly started: boolean
  readonly emitted: Output.Emitted
  /** The payload of an `error` event, waiting for `response.failed` (or the end of the source). */
  readonly failure: unknown
}

type Step = readonly [State, ReadonlyArray<StreamMachine.Output>]

/** A text-carrying event: the channel it feeds, which index names its part, and for `*.done` its field. */
interface TextEvent {
  readonly channel: Output.Channel
  readonly index: "content_index" | "summary_index"
  /** Prefix of the part key, so summary and raw reasoning parts of one item stay apart. */
  readonly prefix: string
  readonly full?: "text" | "refusal" | undefined
}

const textEvents: Readonly<Record<string, TextEvent>> = {
  "response.output_text.delta": { channel: "text", index: "content_index", prefix: "" },
  "response.output_text.done": { channel: "text", index: "content_index", prefix: "", full: "text" },
  "response.refusal.delta": { channel: "refusal", index: "content_index", prefix: "" },
  "response.refusal.done": { channel: "refusal", index: "content_index", prefix: "", full: "refusal" },
  "response.reasoning_summary_text.delta": { channel: "reasoning", index: "summary_index", prefix: "s" },
  "response.reasoning_summary_text.done": { channel: "reasoning", index: "summary_index", prefix: "s", full: "text" },
  "response.reasoning_text.delta": { channel: "reasoning", index: "content_index", prefix: "c" },
  "response.reasoning_text.done": { channel: "reasoning", index: "content_index", prefix: "c", full: "text" }
}

const decodeLifecycle = Schema.decodeUnknownResult(Wire.LifecycleEvent)
const decodeItem = Schema.decodeUnknownResult(Wire.ItemEvent)
const decodeDelta = Schema.decodeUnknownResult(Wire.DeltaEvent)
const decodeDone = Schema.decodeUnknownResult(Wire.DoneEvent)

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

/** The stream machine of one call. */
export const machine = (context: ProviderHttp.CallContext): StreamMachine.Machine<State, Input> => {
  const { provider } = context

  const malformed = (type: string, detail: string) =>
    new ProviderError.StreamInterrupted({ provider, message: `${provider}: malformed ${type} event: ${detail}` })

  const cut = (state: State): ProviderError.ProviderError =>
    state.failure !== undefined
      ? Decode.failureOf(provider, state.failure)
      : new ProviderError.StreamInterrupted({
        provider,
        message: `${provider}: stream ended before response.completed`
      })

  /** ResponseStart once, before anything else; from the response object when there is one. */
  const start = (state: State, response?: Wire.Response): Step =>
    state.started
      ? [state, []]
      : [{ ...state, started: true }, [Decode.responseStart(response ?? {}, context)]]

  /** Runs an output step after making sure the answer has started. */
  const emit = (state: State, f: (emitted: Output.Emitted) => Output.Step): Step => {
    const [started, first] = start(state)
    const [emitted, events] = f(started.emitted)
    return [{ ...started, emitted }, [...first, ...events]]
  }

  /** Decodes an event's payload, or fails the stream naming the event. */
  const read = <A>(
    state: State,
    type: string,
    decoded: Result.Result<A, { readonly message: string }>,
    f: (event: A) => Step
  ): Step => (Result.isFailure(decoded) ? [state, [malformed(type, decoded.failure.message)]] : f(decoded.success))

  const text = (state: State, type: string, data: unknown, spec: TextEvent): Step => {
    const part = (o: Output.Emitted, e: Wire.DeltaEvent | Wire.DoneEvent) =>
      `${Output.itemKey(o, e)}:${spec.prefix}${e[spec.index] ?? 0}`
    const full = spec.full
    return full === undefined
      ? read(state, type, decodeDelta(data), (e) =>
        emit(state, (o) => Output.appendText(o, spec.channel, part(o, e), e.delta)))
      : read(state, type, decodeDone(data), (e) =>
        emit(state, (o) => Output.completeText(o, spec.channel, part(o, e), e[full] ?? "")))
  }

  const lifecycle = (state: State, type: string, response: Wire.Response): Step => {
    const [started, first] = start(state, response)
    if (type === "response.completed" || type === "response.incomplete") {
      const [emitted, events] = Decode.terminal(started.emitted, response)
      return [{ ...started, emitted }, [...first, ...events, StreamMachine.End]]
    }
    if (type !== "response.failed") return [started, first]
    const usage: ReadonlyArray<StreamEvent.StreamEvent> = response.usage
      ? [{ _tag: "UsageReport", usage: Decode.usageOf(response.usage) }]
      : []
    const error = state.failure !== undefined
      ? Decode.failureOf(provider, state.failure)
      : Decode.responseFailure(provider, response)
    return [started, [...first, ...usage, Decode.finishOf({ ...response, status: "failed" }), error]]
  }

  const item = (state: State, type: string, event: typeof Wire.ItemEvent.Type): Step => {
    const { item: output, output_index } = event
    const key = `#${output_index}`
    const located = { ...state, emitted: Output.locate(state.emitted, output.id ?? undefined, output_index) }
    if (type === "response.output_item.done") return emit(located, (o) => Output.completeItem(o, key, output))
    // An added item only opens a tool call: any content it carries arrives again as deltas.
    return "call_id" in output
      ? emit(located, (o) => Output.startCall(o, key, output.call_id, output.name))
      : [located, []]
  }

  const step = (state: State, input: Input): Step => {
    if (input.data === DoneMarker) return [state, [cut(state)]]
    const data = record(input.data)
    if (data === undefined) return [state, [malformed(input.event, "not a JSON object")]]
    const type = typeof data["type"] === "string" ? data["type"] : input.event
    const textEvent = textEvents[type]
    if (textEvent !== undefined) return text(state, type, data, textEvent)
    switch (type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        return read(state, type, decodeLifecycle(data), (e) => lifecycle(state, type, e.response))
      case "response.output_item.added":
      case "response.output_item.done":
        return read(state, type, decodeItem(data), (e) => item(state, type, e))
      case "response.function_call_arguments.delta":
        return read(state, type, decodeDelta(data), (e) =>
          emit(state, (o) => Output.appendArguments(o, Output.itemKey(o, e), e.delta)))
      case "response.function_call_arguments.done":
        return read(state, type, decodeDone(data), (e) =>
          emit(state, (o) => Output.completeArguments(o, Output.itemKey(o, e), e.arguments ?? "")))
      case "error":
        return [{ ...state, failure: data }, []]
      default:
        // A bare `{"error": ...}` (no type) is how proxies report a failure inside a 200 stream.
        return data["type"] === undefined && data["error"] != null
          ? [state, [Decode.failureOf(provider, data)]]
          : [state, []]
    }
  }

  return {
    initial: () => ({ started: false, emitted: Output.empty, failure: undefined }),
    step,
    end: (state) => [cut(state)]
  }
}

/** SSE bytes to canonical events. */
export const decodeStream = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError.ProviderError, R>,
  context: ProviderHttp.CallContext
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError, R> => {
  const { provider } = context
  const parse = ({ data, event }: Sse.SseEvent): ReadonlyArray<Input> | InBand.Failure<ProviderError.ProviderError> => {
    if (data.trim() === "[DONE]") return [{ event, data: DoneMarker }]
    const parsed = Sse.parseJson(provider, data)
    return parsed instanceof InBand.Failure ? parsed : [{ event, data: parsed }]
  }
  return StreamMachine.decode(Sse.providerBody(provider, parse), machine(context))(bytes)
}
