/**
 * Ollama answers to canonical events: one `step` per NDJSON object (the whole non-streamed answer is
 * one such object). Ollama sends no ids, so the response and its tool calls get stable ones derived
 * from the model and `created_at`; tool call arguments arrive as objects and become JSON text.
 */
import { Effect, Result, Schema, type Stream } from "effect"
import {
  type ChatResponse,
  ErrorClassifier,
  FinishReason,
  ProviderError,
  type ProviderHttp,
  Ndjson,
  StreamAccumulator,
  type StreamEvent,
  StreamMachine,
  Usage
} from "@switchyard/core"
import * as Wire from "./wire.ts"

/**
 * Ollama's error bodies are `{"error": "<text>"}` with no code, so its differences are messages.
 * https://github.com/ollama/ollama/blob/main/docs/api.md (errors), server/routes.go
 */
export const errorRules: ErrorClassifier.Rules = {
  patterns: [
    [/not found, try pulling|model ['"]?[^'"\s]*['"]? not found/i, "not_found"],
    [/server busy|maximum pending requests/i, "overloaded"],
    [/does not support (tools|thinking|insert|generate|chat|vision|completion)/i, "bad_request"],
    [/runner process (has )?terminated|unexpected EOF/i, "server_error"]
  ]
}

/** An error object of the API, classified by the one classifier (no status: it came inside a 200). */
export const failureOf = (provider: string, payload: unknown): ProviderError.ProviderError =>
  ErrorClassifier.classify({ provider, body: JSON.stringify(payload) }, errorRules)

/** 32-bit FNV-1a as 8 hex digits: short, stable ids from what identifies a response. */
const hash = (text: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(16).padStart(8, "0")
}

const finishTable = FinishReason.fromTable({ stop: "stop", length: "length", load: "other", unload: "other" })

/** `done_reason` has no value for tool use: a stop after tool calls is a `tool_calls` finish. */
export const finishOf = (doneReason: string | null | undefined, sawToolCalls: boolean): StreamEvent.StreamEvent => {
  const raw = doneReason ?? null
  const reason = raw === null ? "stop" : finishTable(raw)
  return { _tag: "Finish", choice: 0, reason: reason === "stop" && sawToolCalls ? "tool_calls" : reason, raw }
}

/** `eval_count` includes thinking tokens; Ollama does not report them apart. */
export const usageOf = (chunk: Wire.Chunk): Usage.Usage =>
  Usage.make({ inputTokens: chunk.prompt_eval_count ?? 0, outputTokens: chunk.eval_count ?? 0 })

const argumentsText = (args: unknown): string =>
  typeof args === "string" ? args : JSON.stringify(args ?? {})

export interface State {
  /** The stable id of the answer, set by its first object. */
  readonly id: string | undefined
  readonly calls: number
}

const initial: State = { id: undefined, calls: 0 }

type Step = readonly [State, ReadonlyArray<StreamMachine.Output>]

const decodeChunk = Schema.decodeUnknownResult(Wire.Chunk)

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

/** One NDJSON object: its deltas, and at `done: true` usage, the finish and `End`. */
const step = (context: ProviderHttp.CallContext) => (state: State, value: unknown): Step => {
  const { provider } = context
  const object = record(value)
  if (object !== undefined && object["error"] != null) return [state, [failureOf(provider, object)]]
  const decoded = decodeChunk(value)
  if (Result.isFailure(decoded)) {
    const message = `${provider}: malformed chat chunk: ${decoded.failure.message}`
    return [state, [new ProviderError.StreamInterrupted({ provider, message })]]
  }
  const chunk = decoded.success
  const model = chunk.model ?? context.model
  const id = state.id ?? `ollama-${hash(`${model}|${chunk.created_at ?? ""}`)}`
  const created = Math.floor((Date.parse(chunk.created_at ?? "") || 0) / 1000)
  const start: ReadonlyArray<StreamEvent.StreamEvent> = state.id === undefined
    ? [{ _tag: "ResponseStart", id, model, created }]
    : []
  const message = chunk.message
  const thinking: ReadonlyArray<StreamEvent.StreamEvent> = message?.thinking
    ? [{ _tag: "ReasoningDelta", choice: 0, text: message.thinking }]
    : []
  const text: ReadonlyArray<StreamEvent.StreamEvent> = message?.content
    ? [{ _tag: "TextDelta", choice: 0, text: message.content }]
    : []
  const calls = (message?.tool_calls ?? []).flatMap((call, i): ReadonlyArray<StreamEvent.StreamEvent> => {
    const index = state.calls + i
    const callId = call.id ?? `call_${hash(`${id}|${index}`)}_${index}`
    return [
      { _tag: "ToolCallStart", choice: 0, index, id: callId, name: call.function.name },
      { _tag: "ToolCallDelta", choice: 0, index, arguments: argumentsText(call.function.arguments) }
    ]
  })
  const next: State = { id, calls: state.calls + (message?.tool_calls?.length ?? 0) }
  const end: ReadonlyArray<StreamMachine.Output> = chunk.done === true
    ? [{ _tag: "UsageReport", usage: usageOf(chunk) }, finishOf(chunk.done_reason, next.calls > 0), StreamMachine.End]
    : []
  return [next, [...start, ...thinking, ...text, ...calls, ...end]]
}

/** The stream machine of one call; a source that closes before `done: true` is a cut stream. */
export const machine = (context: ProviderHttp.CallContext): StreamMachine.Machine<State, unknown> => ({
  initial: () => initial,
  step: step(context),
  end: () => [
    new ProviderError.StreamInterrupted({
      provider: context.provider,
      message: `${context.provider}: stream ended before the final "done": true object`
    })
  ]
})

/** NDJSON bytes to canonical events. */
export const decodeStream = <R>(
  bytes: Stream.Stream<Uint8Array, ProviderError.ProviderError, R>,
  context: ProviderHttp.CallContext
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError, R> =>
  bytes.pipe(Ndjson.decode(context.provider), StreamMachine.run(machine(context)))

const isFailure = (output: StreamMachine.Output): output is ProviderError.ProviderError =>
  output !== StreamMachine.End && ProviderError.isProviderError(output)

const isEvent = (output: StreamMachine.Output): output is StreamEvent.StreamEvent =>
  output !== StreamMachine.End && !ProviderError.isProviderError(output)

/** The non-streamed answer: one object, read by the same step as a stream line. */
export const decodeResponse = (
  body: unknown,
  context: ProviderHttp.CallContext
): Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError> => {
  const [, outputs] = step(context)(initial, body)
  const failure = outputs.find(isFailure)
  return failure !== undefined
    ? Effect.fail(failure)
    : Effect.succeed(StreamAccumulator.assemble(outputs.filter(isEvent)))
}
