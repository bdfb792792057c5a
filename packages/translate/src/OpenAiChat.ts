/**
 * The OpenAI Chat Completions dialect on the client side: the request (the canonical one, with
 * OpenRouter's fallback `models`), and canonical answers, stream events, usage and errors rendered
 * exactly as the official SDKs expect them. Streams are `chat.completion.chunk` SSE ending in
 * `data: [DONE]`; usage is sent only when the client asked for it.
 */
import { Schema } from "effect"
import { ChatRequest, type ChatResponse, type StreamEvent, type Usage } from "@switchyard/core"
import * as ErrorBody from "./ErrorBody.ts"
import type * as StreamEnd from "./StreamEnd.ts"

/** The Chat Completions body with the fallback model list. */
export const RoutedChatRequest = Schema.Struct({
  ...ChatRequest.ChatRequest.fields,
  models: Schema.optionalKey(Schema.Array(ChatRequest.ModelName).check(Schema.isMaxLength(16)))
})

/** OpenAI's usage object, with Switchyard's extra counts where OpenAI has no field. */
export const usage = (u: Usage.Usage) => ({
  prompt_tokens: u.inputTokens,
  completion_tokens: u.outputTokens,
  total_tokens: u.inputTokens + u.outputTokens,
  prompt_tokens_details: { cached_tokens: u.cachedInputTokens, cache_write_tokens: u.cacheWriteTokens },
  completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
  ...(u.source === "estimated" ? { estimated: true } : {})
})

const toolCalls = (choice: ChatResponse.Choice) =>
  choice.toolCalls.map((call) => ({
    id: call.id,
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments }
  }))

/** A `chat.completion` object. */
export const completion = (response: ChatResponse.ChatResponse) => ({
  id: response.id,
  object: "chat.completion" as const,
  created: response.created,
  model: response.model,
  choices: response.choices.map((choice) => ({
    index: choice.index,
    message: {
      role: "assistant" as const,
      content: choice.content,
      refusal: choice.refusal ?? null,
      ...(choice.reasoning === undefined ? {} : { reasoning_content: choice.reasoning }),
      ...(choice.toolCalls.length > 0 ? { tool_calls: toolCalls(choice) } : {})
    },
    logprobs: null,
    finish_reason: choice.finishReason === "other" || choice.finishReason === "error" ? "stop" : choice.finishReason
  })),
  ...(response.usage === undefined ? {} : { usage: usage(response.usage) })
})

// -------------------------------------------------------------------------------------------------
// streaming

export interface ChunkState {
  readonly id: string
  readonly model: string
  readonly created: number
  /** Choices whose first chunk (carrying `role`) was sent. */
  readonly opened: ReadonlySet<number>
  /**
   * `choice:index` of each tool call → its OpenAI index. OpenAI numbers a choice's tool calls from 0
   * and SDKs index arrays with it; other providers number content blocks (Anthropic's first tool call
   * after a text block is index 1), so calls are renumbered in the order they start.
   */
  readonly toolSlots: ReadonlyMap<string, number>
  readonly usage: Usage.Usage | undefined
  /** Whether the client asked for the usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean
}

export const initialChunkState = (
  fallback: { id: string; model: string; created: number },
  includeUsage: boolean
): ChunkState => ({
  ...fallback,
  includeUsage,
  opened: new Set(),
  toolSlots: new Map(),
  usage: undefined
})

type Delta = Record<string, unknown>

const chunk = (state: ChunkState, choice: number, delta: Delta, finishReason: string | null = null) => ({
  id: state.id,
  object: "chat.completion.chunk" as const,
  created: state.created,
  model: state.model,
  choices: [{ index: choice, delta, logprobs: null, finish_reason: finishReason }]
})

/** Adds `role` to the first delta of a choice, as OpenAI does. */
const open = (state: ChunkState, choice: number, delta: Delta): [ChunkState, Delta] =>
  state.opened.has(choice)
    ? [state, delta]
    : [{ ...state, opened: new Set([...state.opened, choice]) }, { role: "assistant", ...delta }]

/**
 * One canonical event to the `chat.completion.chunk` objects it becomes (zero or one); the end of a
 * finished stream to the usage chunk when the client asked for it.
 */
export const step = (
  state: ChunkState,
  event: StreamEvent.StreamEvent | StreamEnd.End
): readonly [ChunkState, ReadonlyArray<unknown>] => {
  const emit = (choice: number, delta: Delta, finishReason: string | null = null) => {
    const [next, opened] = open(state, choice, delta)
    return [next, [chunk(next, choice, opened, finishReason)]] as const
  }
  switch (event._tag) {
    case "ResponseStart":
      return [{ ...state, id: event.id || state.id, model: event.model || state.model, created: event.created || state.created }, []]
    case "TextDelta":
      return emit(event.choice, { content: event.text })
    case "ReasoningDelta":
      return emit(event.choice, { reasoning_content: event.text })
    case "RefusalDelta":
      return emit(event.choice, { refusal: event.text })
    case "ToolCallStart": {
      const key = `${event.choice}:${event.index}`
      const slot = state.toolSlots.get(key) ??
        [...state.toolSlots.keys()].filter((k) => k.startsWith(`${event.choice}:`)).length
      const [next, chunks] = emit(event.choice, {
        tool_calls: [{ index: slot, id: event.id, type: "function", function: { name: event.name, arguments: "" } }]
      })
      return [{ ...next, toolSlots: new Map([...next.toolSlots, [key, slot]]) }, chunks]
    }
    case "ToolCallDelta": {
      const slot = state.toolSlots.get(`${event.choice}:${event.index}`) ?? event.index
      return emit(event.choice, { tool_calls: [{ index: slot, function: { arguments: event.arguments } }] })
    }
    case "Finish":
      return emit(event.choice, {}, event.reason === "other" || event.reason === "error" ? "stop" : event.reason)
    case "UsageReport":
      return [{ ...state, usage: event.usage }, []]
    case "End":
      return [state, usageChunk(state)]
  }
}

/** The final usage chunk (`choices: []`), sent when the client asked with `stream_options.include_usage`. */
const usageChunk = (state: ChunkState) =>
  !state.includeUsage || state.usage === undefined
    ? []
    : [{ id: state.id, object: "chat.completion.chunk", created: state.created, model: state.model, choices: [], usage: usage(state.usage) }]

/** A chunk (or any JSON value) as an SSE `data:` frame. */
export const frameText = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`

/** The frame that ends a finished stream. */
export const doneText = "data: [DONE]\n\n"

/** The SSE frame sent when a stream fails after it started: the error body OpenAI's SDKs raise. */
export const errorText = (error: ErrorBody.HttpError): string => frameText(ErrorBody.renderOpenAi(error))
