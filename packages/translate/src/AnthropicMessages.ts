/**
 * The Anthropic Messages dialect on the client side: the request as Anthropic's SDKs send it,
 * translated into the canonical one (what has no equivalent refused with a 400 naming it), and
 * canonical answers, stream events and errors rendered as Anthropic's API sends them, so Anthropic's
 * SDKs (and their stream helpers that assemble the final message) work unmodified against any
 * provider. A stream that breaks ends with an `error` event only: `message_delta` and `message_stop`
 * mean a finished answer.
 */
import type { ChatResponse, FinishReason, StreamEvent, Usage } from "@switchyard/core"
import type * as ErrorBody from "./ErrorBody.ts"
import type * as StreamEnd from "./StreamEnd.ts"

export { CountTokensRequest, MessagesRequest, toChatRequest } from "./internal/messagesRequest.ts"

const stopReason = (reason: FinishReason.FinishReason | undefined): string => {
  switch (reason) {
    case "length":
      return "max_tokens"
    case "tool_calls":
      return "tool_use"
    case "content_filter":
      return "refusal"
    default:
      return "end_turn"
  }
}

/** Anthropic counts cache reads and writes outside `input_tokens`. */
export const usage = (u: Usage.Usage | undefined) => ({
  input_tokens: u === undefined ? 0 : u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens,
  output_tokens: u?.outputTokens ?? 0,
  cache_creation_input_tokens: u?.cacheWriteTokens ?? 0,
  cache_read_input_tokens: u?.cachedInputTokens ?? 0
})

const parseArguments = (text: string): unknown => {
  try {
    return JSON.parse(text === "" ? "{}" : text)
  } catch {
    return { _raw_arguments: text }
  }
}

export const messageId = (id: string) => (id.startsWith("msg_") ? id : `msg_${id}`)

/** A `message` object for a whole answer (choice 0). */
export const message = (response: ChatResponse.ChatResponse) => {
  const choice = response.choices[0]
  return {
    id: messageId(response.id),
    type: "message" as const,
    role: "assistant" as const,
    model: response.model,
    content: [
      ...(choice?.reasoning === undefined ? [] : [{ type: "thinking", thinking: choice.reasoning, signature: "" }]),
      ...(choice?.content ? [{ type: "text", text: choice.content }] : []),
      ...(choice?.toolCalls ?? []).map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: parseArguments(c.arguments) }))
    ],
    stop_reason: stopReason(choice?.finishReason),
    stop_sequence: null,
    usage: usage(response.usage)
  }
}

// -------------------------------------------------------------------------------------------------
// streaming

type BlockKind = "text" | "thinking" | { readonly tool: number }

export interface StreamState {
  readonly id: string
  readonly model: string
  readonly started: boolean
  /** Index of the next content block. */
  readonly next: number
  readonly open: BlockKind | undefined
  readonly stop: FinishReason.FinishReason | undefined
  readonly usage: Usage.Usage | undefined
}

/** The state before the first event; `usage` is what `message_start` says until a route reports its own. */
export const initialStreamState = (fallback: { id: string; model: string; usage?: Usage.Usage | undefined }): StreamState => ({
  id: fallback.id,
  model: fallback.model,
  started: false,
  next: 0,
  open: undefined,
  stop: undefined,
  usage: fallback.usage
})

/** An SSE frame as Anthropic writes it: `event:` line then `data:` line. */
export interface Frame {
  readonly event: string
  readonly data: unknown
}

const sameBlock = (a: BlockKind | undefined, b: BlockKind) =>
  a !== undefined && (typeof a === "string" || typeof b === "string" ? a === b : a.tool === b.tool)

const start = (state: StreamState): [StreamState, Array<Frame>] =>
  state.started ? [state, []] : [{ ...state, started: true }, [{
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id: messageId(state.id),
        type: "message",
        role: "assistant",
        model: state.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(state.usage)
      }
    }
  }]]

const close = (state: StreamState): [StreamState, Array<Frame>] =>
  state.open === undefined
    ? [state, []]
    : [{ ...state, open: undefined }, [{ event: "content_block_stop", data: { type: "content_block_stop", index: state.next - 1 } }]]

/** Opens a block of `kind` unless it is the open one; returns its index. */
const ensure = (state: StreamState, kind: BlockKind, contentBlock: unknown): [StreamState, Array<Frame>, number] => {
  const [s1, begun] = start(state)
  if (sameBlock(s1.open, kind)) return [s1, begun, s1.next - 1]
  const [s2, closed] = close(s1)
  const index = s2.next
  return [{ ...s2, open: kind, next: index + 1 }, [...begun, ...closed, {
    event: "content_block_start",
    data: { type: "content_block_start", index, content_block: contentBlock }
  }], index]
}

const delta = (index: number, d: unknown): Frame => ({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: d } })

/**
 * One canonical event to Anthropic frames (only choice 0 exists in this dialect); the end of a
 * finished stream to the closing frames.
 */
export const step = (
  state: StreamState,
  event: StreamEvent.StreamEvent | StreamEnd.End
): readonly [StreamState, ReadonlyArray<Frame>] => {
  if ("choice" in event && event.choice !== 0) return [state, []]
  switch (event._tag) {
    case "End":
      return [state, finish(state)]
    case "ResponseStart":
      return [{ ...state, id: event.id || state.id, model: event.model || state.model }, []]
    case "UsageReport":
      return [{ ...state, usage: event.usage }, []]
    case "Finish":
      return [{ ...state, stop: event.reason }, []]
    case "TextDelta":
    case "RefusalDelta": {
      const [next, frames, index] = ensure(state, "text", { type: "text", text: "" })
      return [next, [...frames, delta(index, { type: "text_delta", text: event.text })]]
    }
    case "ReasoningDelta": {
      const [next, frames, index] = ensure(state, "thinking", { type: "thinking", thinking: "", signature: "" })
      return [next, [...frames, delta(index, { type: "thinking_delta", thinking: event.text })]]
    }
    case "ToolCallStart": {
      const [next, frames] = ensure(state, { tool: event.index }, { type: "tool_use", id: event.id, name: event.name, input: {} })
      return [next, frames]
    }
    case "ToolCallDelta": {
      const [next, frames, index] = ensure(state, { tool: event.index }, { type: "tool_use", id: `toolu_${event.index}`, name: "", input: {} })
      return [next, [...frames, delta(index, { type: "input_json_delta", partial_json: event.arguments })]]
    }
  }
}

/** The closing frames: the open block's stop, `message_delta` with stop reason and usage, `message_stop`. */
const finish = (state: StreamState): ReadonlyArray<Frame> => {
  const [s1, begun] = start(state)
  const [s2, closed] = close(s1)
  return [
    ...begun,
    ...closed,
    { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: stopReason(s2.stop), stop_sequence: null }, usage: usage(s2.usage) } },
    { event: "message_stop", data: { type: "message_stop" } }
  ]
}

export const frameText = (frame: Frame): string => `event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`

// -------------------------------------------------------------------------------------------------
// errors

const errorType = (status: number): string => {
  switch (status) {
    case 400:
      return "invalid_request_error"
    case 401:
      return "authentication_error"
    case 403:
      return "permission_error"
    case 404:
      return "not_found_error"
    case 405:
      return "invalid_request_error"
    case 413:
      return "request_too_large"
    case 422:
      return "invalid_request_error"
    case 429:
      return "rate_limit_error"
    case 503:
    case 529:
      return "overloaded_error"
    default:
      return "api_error"
  }
}

/** Anthropic's `{"type": "error", "error": {type, message}}`, plus Switchyard's category and attempts. */
export const renderError: ErrorBody.Render = (error) => ({
  type: "error",
  error: {
    type: errorType(error.status),
    message: error.body.message,
    category: error.body.type,
    provider: error.body.provider,
    retryable: error.body.retryable,
    ...(error.body.attempts === undefined ? {} : { attempts: error.body.attempts })
  }
})

/** The SSE `error` event sent when a stream fails after it started. */
export const errorFrame = (error: ErrorBody.HttpError): Frame => ({ event: "error", data: renderError(error) })
