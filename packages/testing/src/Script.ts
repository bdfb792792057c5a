/**
 * A provider answer described once, in plain terms: text pieces, reasoning pieces, tool calls with
 * their argument pieces, a finish reason and usage. The wire builders (`OpenAiChatWire`, `AnthropicWire`,
 * `GeminiWire`, `OllamaWire`, `OpenAiResponsesWire`) render it in each provider's own bytes, and `MockProvider`
 * plays it as canonical events, so a test states what the model said and never hand-writes frames.
 *
 * Usage follows Switchyard's convention (`Usage.ts`): `inputTokens` counts every billed input token,
 * cache reads and writes included; `outputTokens` includes reasoning. Builders convert it to each
 * provider's own counting, so an adapter that decodes the bytes correctly gets the same numbers back.
 */
import { type ChatResponse, StreamAccumulator, type StreamEvent, Usage } from "@switchyard/core"

/** A tool call the model makes. */
export interface ToolCall {
  /** The provider's call id; builders invent one in the provider's style when absent. */
  readonly id?: string | undefined
  readonly name: string
  /**
   * The JSON arguments, whole or in the pieces a stream delivers them in. Providers that send
   * arguments as an object (Gemini, Ollama) parse the joined pieces, so they must form valid JSON there.
   */
  readonly arguments: string | ReadonlyArray<string>
}

/** The token counts of an answer, in Switchyard's convention. */
export interface ScriptUsage {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cachedInputTokens?: number | undefined
  readonly cacheWriteTokens?: number | undefined
  readonly reasoningTokens?: number | undefined
}

export interface Script {
  /** The response id; builders invent one in the provider's style when absent. */
  readonly id?: string | undefined
  /** The model that answers; request-aware builders echo the requested model when absent. */
  readonly model?: string | undefined
  /** Unix seconds; defaults to 2026-01-01T00:00:00Z so bytes are reproducible. */
  readonly created?: number | undefined
  readonly text?: string | ReadonlyArray<string> | undefined
  readonly reasoning?: string | ReadonlyArray<string> | undefined
  readonly toolCalls?: ReadonlyArray<ToolCall> | undefined
  /** Defaults to `tool_calls` when the script has tool calls, else `stop`. */
  readonly finishReason?: "stop" | "length" | "tool_calls" | "content_filter" | undefined
  /** The provider's own finish string, sent verbatim instead of the mapped one (`stop_sequence`, ...). */
  readonly rawFinishReason?: string | undefined
  /** Defaults to 10 input tokens and one output token per streamed piece. */
  readonly usage?: ScriptUsage | undefined
}

/** A tool call with its pieces resolved. */
export interface ResolvedToolCall {
  readonly id: string | undefined
  readonly name: string
  readonly pieces: ReadonlyArray<string>
  /** The pieces joined. */
  readonly arguments: string
}

/** A script with every default applied (ids stay optional: each provider has its own style). */
export interface Resolved {
  readonly id: string | undefined
  readonly model: string | undefined
  readonly created: number
  readonly text: ReadonlyArray<string>
  readonly reasoning: ReadonlyArray<string>
  readonly toolCalls: ReadonlyArray<ResolvedToolCall>
  readonly finishReason: "stop" | "length" | "tool_calls" | "content_filter"
  readonly rawFinishReason: string | undefined
  readonly usage: Usage.Usage
}

/** 2026-01-01T00:00:00Z. */
export const defaultCreated = 1_767_225_600

const pieces = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? [value] : value

/** Applies the defaults. */
export const resolve = (script: Script): Resolved => {
  const text = pieces(script.text)
  const reasoning = pieces(script.reasoning)
  const toolCalls = (script.toolCalls ?? []).map((call): ResolvedToolCall => {
    const argumentPieces = pieces(call.arguments)
    return { id: call.id, name: call.name, pieces: argumentPieces, arguments: argumentPieces.join("") }
  })
  const streamed = text.length + reasoning.length + toolCalls.reduce((n, call) => n + call.pieces.length, 0)
  const usage = script.usage ?? {
    inputTokens: 10,
    outputTokens: Math.max(1, streamed),
    ...(reasoning.length > 0 ? { reasoningTokens: reasoning.length } : {})
  }
  return {
    id: script.id,
    model: script.model,
    created: script.created ?? defaultCreated,
    text,
    reasoning,
    toolCalls,
    finishReason: script.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    rawFinishReason: script.rawFinishReason,
    usage: Usage.make(usage)
  }
}

/** The script as canonical stream events: start, reasoning, text, tool calls, finish, usage. */
export const events = (script: Script): ReadonlyArray<StreamEvent.StreamEvent> => {
  const r = resolve(script)
  return [
    { _tag: "ResponseStart", id: r.id ?? "mock-response", model: r.model ?? "mock-model", created: r.created },
    ...r.reasoning.map((text) => ({ _tag: "ReasoningDelta" as const, choice: 0, text })),
    ...r.text.map((text) => ({ _tag: "TextDelta" as const, choice: 0, text })),
    ...r.toolCalls.flatMap((call, index): ReadonlyArray<StreamEvent.StreamEvent> => [
      { _tag: "ToolCallStart", choice: 0, index, id: call.id ?? `call_mock_${index}`, name: call.name },
      ...call.pieces.map((piece) => ({ _tag: "ToolCallDelta" as const, choice: 0, index, arguments: piece }))
    ]),
    { _tag: "Finish", choice: 0, reason: r.finishReason, raw: r.rawFinishReason ?? r.finishReason },
    { _tag: "UsageReport", usage: r.usage }
  ]
}

/** The canonical answer the script describes: what a correct adapter assembles from the builders' bytes. */
export const response = (script: Script): ChatResponse.ChatResponse => StreamAccumulator.assemble(events(script))
