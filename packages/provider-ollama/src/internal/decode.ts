/**
 * Ollama answers to canonical events: one `step` per NDJSON object (the whole non-streamed answer is
 * one such object). Both native endpoints are read: `/api/chat` objects (`message.content`, ...) and
 * `/api/generate` objects (`response`, `thinking`, `tool_calls` at the top level), so a recorded
 * generate stream gives the same events as the equivalent chat stream. Ollama sends no ids, so the
 * response and its tool calls get stable ones derived from the model and `created_at`; tool call
 * arguments arrive as objects and become JSON text. An `{"error": …}` object ends the stream with the
 * error classified by its message, after the events of the lines before it.
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
  // llama.cpp's own error, passed through as the text of Ollama's `error` (400, `truncate: false`).
  codes: { exceed_context_size_error: "context_overflow" },
  patterns: [
    [/not found, try pulling|model ['"]?[^'"\s]*['"]? not found/i, "not_found"],
    [/server busy|maximum pending requests/i, "overloaded"],
    // "model requires more system memory (5.3 GiB) than is available (4.4 GiB)", CUDA/Metal OOM:
    // this host cannot fit the model right now (other models may unload); another one may.
    [/requires more (system )?memory|out of memory|insufficient (system )?memory|unable to allocate \S+ buffer/i, "overloaded"],
    // "request (351 tokens) exceeds the available context size (256 tokens), try increasing it"
    [/exceeds the available context size|exceed_context_size_error/i, "context_overflow"],
    [/does not support (tools|thinking|insert|generate|chat|vision|completion)/i, "bad_request"],
    // Go's context errors from the runner call: a deadline is a timeout, a cancel a dropped request.
    [/context deadline exceeded|timed out waiting for (llama )?runner/i, "timeout"],
    [/context canceled/i, "server_error"],
    // "an error was encountered while running the model: unexpected EOF", "POST predict: ... EOF"
    [/runner process (has )?terminated|unexpected EOF|post predict|\bEOF\b/i, "server_error"]
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

/** What one object carries, wherever its endpoint puts it (chat: in `message`, generate: top level). */
const partsOf = (chunk: Wire.Chunk): {
  readonly reasoning: string
  readonly content: string
  readonly toolCalls: ReadonlyArray<Wire.ToolCall>
} => ({
  reasoning: (chunk.message?.thinking ?? "") + (chunk.thinking ?? ""),
  content: (chunk.message?.content ?? "") + (chunk.response ?? ""),
  toolCalls: [...(chunk.message?.tool_calls ?? []), ...(chunk.tool_calls ?? [])]
})

/** One NDJSON object: its deltas, and at `done: true` usage, the finish and `End`. */
const step = (context: ProviderHttp.CallContext) => (state: State, value: unknown): Step => {
  const { provider } = context
  const object = record(value)
  if (object !== undefined && object["error"] != null) return [state, [failureOf(provider, object)]]
  const decoded = decodeChunk(value)
  if (Result.isFailure(decoded)) {
    const message = `${provider}: malformed NDJSON object: ${decoded.failure.message}`
    return [state, [new ProviderError.StreamInterrupted({ provider, message })]]
  }
  const chunk = decoded.success
  const model = chunk.model ?? context.model
  const id = state.id ?? `ollama-${hash(`${model}|${chunk.created_at ?? ""}`)}`
  const created = Math.floor((Date.parse(chunk.created_at ?? "") || 0) / 1000)
  const start: ReadonlyArray<StreamEvent.StreamEvent> = state.id === undefined
    ? [{ _tag: "ResponseStart", id, model, created }]
    : []
  const { reasoning, content, toolCalls } = partsOf(chunk)
  const thinking: ReadonlyArray<StreamEvent.StreamEvent> = reasoning
    ? [{ _tag: "ReasoningDelta", choice: 0, text: reasoning }]
    : []
  const text: ReadonlyArray<StreamEvent.StreamEvent> = content
    ? [{ _tag: "TextDelta", choice: 0, text: content }]
    : []
  const calls = toolCalls.flatMap((call, i): ReadonlyArray<StreamEvent.StreamEvent> => {
    const index = state.calls + i
    const callId = call.id ?? `call_${hash(`${id}|${index}`)}_${index}`
    return [
      { _tag: "ToolCallStart", choice: 0, index, id: callId, name: call.function.name },
      { _tag: "ToolCallDelta", choice: 0, index, arguments: argumentsText(call.function.arguments) }
    ]
  })
  const next: State = { id, calls: state.calls + toolCalls.length }
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
  StreamMachine.decode(Ndjson.body(context.provider), machine(context))(bytes)

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
