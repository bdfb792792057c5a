/**
 * The Messages stream as a state machine over its SSE events: `message_start` (id, model, first
 * usage), `content_block_start/delta/stop` (text, thinking, tool input as `input_json_delta`),
 * `ping`, `message_delta` (stop reason, usage that overrides what came before), `message_stop`
 * (the terminator), and `error` (e.g. `overloaded_error` mid-stream). A source that closes before
 * `message_stop` is a cut stream. Server tool blocks (run by Anthropic) are not client tool calls.
 * Usage is reported as soon as it is known: the input part (with cache counts, no output) at
 * `message_start`, superseded by the whole usage at `message_delta`, so a stream that breaks in
 * between has still given the provider's input count (metering then estimates only the output).
 * Reference: https://docs.anthropic.com/en/api/messages-streaming
 */
import { Stream } from "effect"
import {
  ErrorClassifier,
  JsonValue,
  ProviderError,
  type ProviderHttp,
  Sse,
  type StreamEvent,
  StreamMachine,
  type Usage
} from "@switchyard/core"
import * as Decode from "./decode.ts"

const { record, string } = JsonValue

export interface State {
  readonly counters: Decode.Counters
  /** The whole usage (from `message_delta`) has been reported. */
  readonly reported: boolean
  readonly stopReason: string | undefined
  /** Content block indexes that are client tool calls. */
  readonly toolBlocks: ReadonlySet<number>
}

type Step = readonly [State, ReadonlyArray<StreamMachine.Output>]

export const machine = (context: ProviderHttp.CallContext): StreamMachine.Machine<State, unknown> => {
  const { provider } = context

  const blockStart = (state: State, index: number, block: JsonValue.JsonObject): Step => {
    switch (block["type"]) {
      case "tool_use":
        return [
          { ...state, toolBlocks: new Set([...state.toolBlocks, index]) },
          [{ _tag: "ToolCallStart", choice: 0, index, id: string(block["id"]) ?? `toolu_${index}`, name: string(block["name"]) ?? "" }]
        ]
      case "text": {
        const text = string(block["text"]) ?? ""
        return [state, text === "" ? [] : [{ _tag: "TextDelta", choice: 0, text }]]
      }
      default:
        return [state, []]
    }
  }

  const blockDelta = (state: State, index: number, delta: JsonValue.JsonObject): Step => {
    switch (delta["type"]) {
      case "text_delta":
        return [state, [{ _tag: "TextDelta", choice: 0, text: string(delta["text"]) ?? "" }]]
      case "thinking_delta":
        return [state, [{ _tag: "ReasoningDelta", choice: 0, text: string(delta["thinking"]) ?? "" }]]
      case "input_json_delta": {
        const piece = string(delta["partial_json"]) ?? ""
        return state.toolBlocks.has(index) && piece !== ""
          ? [state, [{ _tag: "ToolCallDelta", choice: 0, index, arguments: piece }]]
          : [state, []]
      }
      default:
        return [state, []]
    }
  }

  const report = (usage: Usage.Usage | undefined): ReadonlyArray<StreamMachine.Output> =>
    usage === undefined ? [] : [{ _tag: "UsageReport", usage }]

  /** `message_stop`: the finish; the usage too if no `message_delta` reported it. */
  const stop = (state: State): ReadonlyArray<StreamMachine.Output> => [
    ...(state.reported ? [] : report(Decode.usageOf(state.counters))),
    Decode.finish(state.stopReason),
    StreamMachine.End
  ]

  const step = (state: State, input: unknown): Step => {
    const event = record(input)
    if (event === undefined) {
      return [state, [new ProviderError.StreamInterrupted({ provider, message: `${provider}: a stream event is not a JSON object` })]]
    }
    const index = typeof event["index"] === "number" ? event["index"] : 0
    switch (event["type"]) {
      case "message_start": {
        const message = record(event["message"]) ?? {}
        const counters = Decode.mergeUsage(state.counters, message["usage"])
        return [
          { ...state, counters },
          [Decode.responseStart(message, context), ...report(Decode.inputUsageOf(counters))]
        ]
      }
      case "content_block_start":
        return blockStart(state, index, record(event["content_block"]) ?? {})
      case "content_block_delta":
        return blockDelta(state, index, record(event["delta"]) ?? {})
      case "message_delta": {
        const counters = Decode.mergeUsage(state.counters, event["usage"])
        const usage = record(event["usage"]) === undefined ? undefined : Decode.usageOf(counters)
        return [{
          ...state,
          counters,
          reported: state.reported || usage !== undefined,
          stopReason: string(record(event["delta"])?.["stop_reason"]) ?? state.stopReason
        }, report(usage)]
      }
      case "message_stop":
        return [state, stop(state)]
      case "error":
        return [state, [ErrorClassifier.classify({ provider, body: JSON.stringify(event) })]]
      default:
        return [state, []]
    }
  }

  return {
    initial: () => ({ counters: Decode.noCounters, reported: false, stopReason: undefined, toolBlocks: new Set() }),
    step,
    end: () => [new ProviderError.StreamInterrupted({ provider, message: `${provider}: stream ended before message_stop` })]
  }
}

/** SSE bytes to canonical events. */
export const decodeStream = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError.ProviderError, R>,
  context: ProviderHttp.CallContext
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError, R> => {
  const { provider } = context
  return StreamMachine.decode(Sse.providerBody(provider, Sse.json(provider)), machine(context))(bytes)
}
