/**
 * The OpenAI Responses API (`POST /v1/responses`) as it sends it, from a `Script`: the SSE stream of
 * typed events (`event: <type>` + `data: {"type": <type>, "sequence_number": n, ...}`): `response.created`,
 * `response.in_progress`, output items (reasoning summary, message text, function calls) each
 * added, streamed and done, then `response.completed` (or `response.incomplete`, or `error` +
 * `response.failed`), with no `[DONE]`; and the JSON response object. Errors share Chat Completions'
 * body (`error` below).
 *
 * Format: https://platform.openai.com/docs/api-reference/responses-streaming (event types and fields)
 * and https://platform.openai.com/docs/api-reference/responses/object (response object, `usage` with
 * `input_tokens_details.cached_tokens` and `output_tokens_details.reasoning_tokens`).
 */
import type { RecordedRequest } from "./MockUpstream.ts"
import { error as chatError, type ErrorFields } from "./OpenAiChatWire.ts"
import * as Reply from "./Reply.ts"
import { type Resolved, resolve, type Script } from "./Script.ts"
import * as Json from "./internal/json.ts"
import { hex, mockId, sseFrame } from "./internal/wire.ts"

export const route = "POST /v1/responses"

export interface StreamOptions {
  /** End after the pieces with an `error` event and `response.failed` instead of completing. */
  readonly error?: ErrorFields | undefined
}

/** Error bodies are the same as Chat Completions'. */
export const error = chatError

const ids = (r: Resolved) => {
  const seed = r.text.join("") + r.toolCalls.map((c) => c.name).join(",")
  return {
    id: r.id ?? `resp_${mockId(seed, 50, hex)}`,
    model: r.model ?? "gpt-5-mini-2025-08-07",
    reasoning: `rs_${mockId(`${seed}rs`, 50, hex)}`,
    message: `msg_${mockId(`${seed}msg`, 50, hex)}`,
    item: (index: number) => `fc_${mockId(`${seed}fc${index}`, 50, hex)}`,
    callId: (index: number) => r.toolCalls[index]?.id ?? `call_${mockId(`${seed}call${index}`, 24)}`
  }
}

type Item = Readonly<Record<string, unknown>>

/** The finished output items. */
const outputItems = (r: Resolved): ReadonlyArray<Item> => {
  const id = ids(r)
  return [
    ...(r.reasoning.length > 0
      ? [{ id: id.reasoning, type: "reasoning", summary: [{ type: "summary_text", text: r.reasoning.join("") }] }]
      : []),
    ...(r.text.length > 0
      ? [{
        id: id.message,
        type: "message",
        status: "completed",
        content: [{ type: "output_text", annotations: [], logprobs: [], text: r.text.join("") }],
        role: "assistant"
      }]
      : []),
    ...r.toolCalls.map((call, index) => ({
      id: id.item(index),
      type: "function_call",
      status: "completed",
      arguments: call.arguments,
      call_id: id.callId(index),
      name: call.name
    }))
  ]
}

const usageObject = (r: Resolved) => ({
  input_tokens: r.usage.inputTokens,
  input_tokens_details: { cached_tokens: r.usage.cachedInputTokens },
  output_tokens: r.usage.outputTokens,
  output_tokens_details: { reasoning_tokens: r.usage.reasoningTokens ?? 0 },
  total_tokens: r.usage.inputTokens + r.usage.outputTokens
})

type Status = "in_progress" | "completed" | "incomplete" | "failed"

const responseObject = (r: Resolved, status: Status, extra: Item = {}) => {
  const id = ids(r)
  const done = status !== "in_progress"
  const incomplete = status === "incomplete"
    ? { reason: r.rawFinishReason ?? (r.finishReason === "content_filter" ? "content_filter" : "max_output_tokens") }
    : null
  return {
    id: id.id,
    object: "response",
    created_at: r.created,
    status,
    background: false,
    error: null,
    incomplete_details: incomplete,
    instructions: null,
    max_output_tokens: null,
    model: id.model,
    output: done && status !== "failed" ? outputItems(r) : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: true,
    temperature: 1,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage: done && status !== "failed" ? usageObject(r) : null,
    user: null,
    metadata: {},
    ...extra
  }
}

const finalStatus = (r: Resolved): "completed" | "incomplete" =>
  r.finishReason === "length" || r.finishReason === "content_filter" ? "incomplete" : "completed"

/** The event payloads between `response.in_progress` and the final event, in order. */
const itemEvents = (r: Resolved): ReadonlyArray<Item> => {
  const id = ids(r)
  const events: Array<Item> = []
  const items = outputItems(r)
  let output_index = 0
  if (r.reasoning.length > 0) {
    const item_id = id.reasoning
    const text = r.reasoning.join("")
    const base = { item_id, output_index, summary_index: 0 }
    events.push(
      { type: "response.output_item.added", output_index, item: { id: item_id, type: "reasoning", summary: [] } },
      { type: "response.reasoning_summary_part.added", ...base, part: { type: "summary_text", text: "" } },
      ...r.reasoning.map((delta) => ({ type: "response.reasoning_summary_text.delta", ...base, delta })),
      { type: "response.reasoning_summary_text.done", ...base, text },
      { type: "response.reasoning_summary_part.done", ...base, part: { type: "summary_text", text } },
      { type: "response.output_item.done", output_index, item: items[output_index]! }
    )
    output_index++
  }
  if (r.text.length > 0) {
    const item_id = id.message
    const text = r.text.join("")
    const base = { item_id, output_index, content_index: 0 }
    const part = (t: string) => ({ type: "output_text", annotations: [], logprobs: [], text: t })
    events.push(
      {
        type: "response.output_item.added",
        output_index,
        item: { id: item_id, type: "message", status: "in_progress", content: [], role: "assistant" }
      },
      { type: "response.content_part.added", ...base, part: part("") },
      ...r.text.map((delta) => ({ type: "response.output_text.delta", ...base, delta, logprobs: [] })),
      { type: "response.output_text.done", ...base, text, logprobs: [] },
      { type: "response.content_part.done", ...base, part: part(text) },
      { type: "response.output_item.done", output_index, item: items[output_index]! }
    )
    output_index++
  }
  r.toolCalls.forEach((call, index) => {
    const item_id = id.item(index)
    events.push(
      {
        type: "response.output_item.added",
        output_index,
        item: {
          id: item_id,
          type: "function_call",
          status: "in_progress",
          arguments: "",
          call_id: id.callId(index),
          name: call.name
        }
      },
      ...call.pieces.map((delta) => ({ type: "response.function_call_arguments.delta", item_id, output_index, delta })),
      { type: "response.function_call_arguments.done", item_id, output_index, arguments: call.arguments },
      { type: "response.output_item.done", output_index, item: items[output_index]! }
    )
    output_index++
  })
  return events
}

/** The SSE stream; the final `response.completed` / `response.incomplete` / `response.failed` is marked terminal. */
export const stream = (script: Script, options: StreamOptions = {}): Reply.Reply => {
  const r = resolve(script)
  const status = finalStatus(r)
  const failure = options.error === undefined ? undefined : chatErrorObject(options.error)
  const payloads: ReadonlyArray<Item> = [
    { type: "response.created", response: responseObject(r, "in_progress") },
    { type: "response.in_progress", response: responseObject(r, "in_progress") },
    ...itemEvents(r),
    ...(failure === undefined
      ? [{ type: `response.${status}`, response: responseObject(r, status) }]
      : [
        { type: "error", error: failure },
        {
          type: "response.failed",
          response: responseObject(r, "failed", { error: { code: failure.code, message: failure.message } })
        }
      ])
  ]
  return Reply.make({
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    body: payloads.map(({ type, ...rest }, sequence_number) =>
      sseFrame(Json.compact({ type, sequence_number, ...rest }), {
        event: String(type),
        terminal: sequence_number === payloads.length - 1
      })
    ),
    framing: "sse"
  })
}

const chatErrorObject = (fields: ErrorFields) => ({
  type: fields.type ?? "server_error",
  code: fields.code ?? "server_error",
  message: fields.message ?? "The server had an error while processing your request. Sorry about that!",
  param: fields.param ?? null
})

/** The non-streamed response object, indented. */
export const json = (script: Script): Reply.Reply => {
  const r = resolve(script)
  return Reply.json(JSON.stringify(responseObject(r, finalStatus(r)), null, 2))
}

/** A request-aware reply: SSE when the body has `stream: true`, else JSON; echoes the requested model. */
export const answer = (script: Script, options: StreamOptions = {}) => (request: RecordedRequest): Reply.Reply => {
  const body = (request.json ?? {}) as { readonly model?: unknown; readonly stream?: unknown }
  const scripted = { ...script, model: script.model ?? (typeof body.model === "string" ? body.model : undefined) }
  return body.stream === true ? stream(scripted, options) : json(scripted)
}
