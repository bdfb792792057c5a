/**
 * Anthropic Messages as the API sends it, from a `Script`: the JSON message, the SSE stream
 * (`event:` + `data:` frames: `message_start`, content blocks with `ping` after the first block opens,
 * `message_delta` with the stop reason and usage, `message_stop`), and error bodies
 * (`{"type": "error", "error": {"type", "message"}, "request_id"}`).
 *
 * Format: https://docs.anthropic.com/en/api/messages-streaming (event flow, `thinking_delta` and
 * `signature_delta`, `input_json_delta` whose first `partial_json` is empty, the `error` event) and
 * https://docs.anthropic.com/en/api/errors (error types per status, 529 `overloaded_error`).
 * Usage: `input_tokens` excludes cache reads and writes, which are reported apart.
 */
import type { RecordedRequest } from "./MockUpstream.ts"
import * as Reply from "./Reply.ts"
import { type Resolved, resolve, type Script } from "./Script.ts"
import * as Json from "./internal/json.ts"
import { mockId, parseArguments, sseFrame } from "./internal/wire.ts"

export const route = "POST /v1/messages"

export interface ErrorFields {
  readonly type?: string | undefined
  readonly message?: string | undefined
}

export interface StreamOptions {
  /** End the stream after the pieces with an `event: error` frame instead of `message_delta`/`message_stop`. */
  readonly error?: ErrorFields | undefined
}

const stopReasons = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal"
} as const

const stopReasonOf = (r: Resolved): string => r.rawFinishReason ?? stopReasons[r.finishReason]

const seedOf = (r: Resolved) => r.text.join("") + r.toolCalls.map((c) => c.name).join(",")

const ids = (r: Resolved) => {
  const seed = seedOf(r)
  return {
    id: r.id ?? `msg_01${mockId(seed, 22)}`,
    model: r.model ?? "claude-sonnet-4-5-20250929",
    toolId: (index: number) => r.toolCalls[index]?.id ?? `toolu_01${mockId(`${seed}tool${index}`, 22)}`,
    signature: mockId(`${seed}signature`, 64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  }
}

/** Anthropic counts uncached input apart from cache reads and writes. */
const inputParts = (r: Resolved) => ({
  input_tokens: Math.max(0, r.usage.inputTokens - r.usage.cachedInputTokens - r.usage.cacheWriteTokens),
  cache_creation_input_tokens: r.usage.cacheWriteTokens,
  cache_read_input_tokens: r.usage.cachedInputTokens
})

const usageObject = (r: Resolved, outputTokens: number) => ({
  ...inputParts(r),
  cache_creation: { ephemeral_5m_input_tokens: r.usage.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
  output_tokens: outputTokens,
  service_tier: "standard"
})

/** The non-streamed message. */
export const json = (script: Script): Reply.Reply => {
  const r = resolve(script)
  const id = ids(r)
  const content = [
    ...(r.reasoning.length > 0 ? [{ type: "thinking", thinking: r.reasoning.join(""), signature: id.signature }] : []),
    ...(r.text.length > 0 ? [{ type: "text", text: r.text.join("") }] : []),
    ...r.toolCalls.map((call, index) => ({
      type: "tool_use",
      id: id.toolId(index),
      name: call.name,
      input: parseArguments(call)
    }))
  ]
  return Reply.make({
    headers: { "content-type": "application/json", "request-id": `req_011C${mockId(id.id, 20)}` },
    body: Json.compact({
      model: id.model,
      id: id.id,
      type: "message",
      role: "assistant",
      content,
      stop_reason: stopReasonOf(r),
      stop_sequence: null,
      usage: usageObject(r, r.usage.outputTokens)
    })
  })
}

interface Frame {
  readonly event: string
  readonly data: string
}

const frame = (data: { readonly type: string; readonly [key: string]: unknown }): Frame => ({
  event: data.type,
  data: Json.compact(data)
})

const ping: Frame = { event: "ping", data: Json.spaced({ type: "ping" }) }

/** The SSE stream; `message_stop` is marked terminal. */
export const stream = (script: Script, options: StreamOptions = {}): Reply.Reply => {
  const r = resolve(script)
  const id = ids(r)
  const blocks: Array<ReadonlyArray<Frame>> = []
  const block = (start: unknown, deltas: ReadonlyArray<unknown>) => {
    const index = blocks.length
    blocks.push([
      frame({ type: "content_block_start", index, content_block: start }),
      ...deltas.map((delta) => frame({ type: "content_block_delta", index, delta })),
      frame({ type: "content_block_stop", index })
    ])
  }
  if (r.reasoning.length > 0) {
    block({ type: "thinking", thinking: "", signature: "" }, [
      ...r.reasoning.map((thinking) => ({ type: "thinking_delta", thinking })),
      { type: "signature_delta", signature: id.signature }
    ])
  }
  if (r.text.length > 0) {
    block({ type: "text", text: "" }, r.text.map((text) => ({ type: "text_delta", text })))
  }
  r.toolCalls.forEach((call, index) =>
    block(
      { type: "tool_use", id: id.toolId(index), name: call.name, input: {} },
      ["", ...call.pieces].map((partial_json) => ({ type: "input_json_delta", partial_json }))
    )
  )
  const [first, ...rest] = blocks
  const content: ReadonlyArray<Frame> = first === undefined
    ? [ping]
    : [first[0]!, ping, ...first.slice(1), ...rest.flat()]
  const start = frame({
    type: "message_start",
    message: {
      model: id.model,
      id: id.id,
      type: "message",
      role: "assistant",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageObject(r, 1)
    }
  })
  const ending = options.error !== undefined
    ? [{ event: "error", data: Json.compact({ type: "error", error: errorObject(529, options.error) }) }]
    : [
      frame({
        type: "message_delta",
        delta: { stop_reason: stopReasonOf(r), stop_sequence: null },
        usage: { ...inputParts(r), output_tokens: r.usage.outputTokens }
      }),
      frame({ type: "message_stop" })
    ]
  const frames = [start, ...content, ...ending]
  return Reply.make({
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "request-id": `req_011C${mockId(id.id, 20)}`
    },
    body: frames.map((f, i) =>
      sseFrame(f.data, { event: f.event, terminal: options.error === undefined && i === frames.length - 1 })
    ),
    framing: "sse"
  })
}

const errorTypes: Readonly<Record<number, { type: string; message: string }>> = {
  400: { type: "invalid_request_error", message: "Invalid request" },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  403: { type: "permission_error", message: "Your API key does not have permission to use the specified resource." },
  404: { type: "not_found_error", message: "model: mock-model" },
  413: { type: "request_too_large", message: "Request exceeds the maximum allowed number of bytes." },
  429: {
    type: "rate_limit_error",
    message: "This request would exceed the rate limit for your organization of 50 requests per minute."
  },
  500: { type: "api_error", message: "Internal server error" },
  529: { type: "overloaded_error", message: "Overloaded" }
}

const errorObject = (status: number, fields: ErrorFields) => {
  const d = errorTypes[status] ?? errorTypes[status >= 500 ? 500 : 400]!
  return { type: fields.type ?? d.type, message: fields.message ?? d.message }
}

/**
 * An error answer with the status's usual type (429 `rate_limit_error`, 529 `overloaded_error`, ...).
 * `retryAfter` (seconds) adds a `Retry-After` header; 408, 409, 429 and 5xx also carry `x-should-retry: true`.
 */
export const error = (
  status: number,
  fields: ErrorFields & { readonly retryAfter?: number | undefined } = {}
): Reply.Reply => {
  const requestId = `req_011C${mockId(`${status}${fields.message ?? ""}`, 20)}`
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500
  return Reply.make({
    status,
    headers: {
      "content-type": "application/json",
      "request-id": requestId,
      ...(retryable ? { "x-should-retry": "true" } : {}),
      ...(fields.retryAfter === undefined ? {} : { "retry-after": String(fields.retryAfter) })
    },
    body: Json.spaced({ type: "error", error: errorObject(status, fields), request_id: requestId })
  })
}

/** A request-aware reply: SSE when the body has `stream: true`, else JSON; echoes the requested model. */
export const answer = (script: Script, options: StreamOptions = {}) => (request: RecordedRequest): Reply.Reply => {
  const body = (request.json ?? {}) as { readonly model?: unknown; readonly stream?: unknown }
  const scripted = { ...script, model: script.model ?? (typeof body.model === "string" ? body.model : undefined) }
  return body.stream === true ? stream(scripted, options) : json(scripted)
}
