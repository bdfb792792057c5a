/**
 * OpenAI Chat Completions as the API sends it, from a `Script`: the JSON answer, the SSE stream
 * (`data: {chunk}` frames ending with `data: [DONE]`), and error bodies. Also the format of the many
 * OpenAI-compatible hosts (DeepSeek, Groq, vLLM, ...), whose reasoning text rides in `reasoning_content`
 * or `reasoning`.
 *
 * Format: https://platform.openai.com/docs/api-reference/chat/streaming (chunk object,
 * `stream_options.include_usage`: a last chunk with `choices: []` and the usage, other chunks
 * `"usage": null`) and the SDK's recorded streams (openai/openai-python `tests/lib/chat`): a first
 * chunk with the role, tool calls whose id and name come only in their first delta, the finish reason
 * in a chunk with an empty delta.
 */
import type { RecordedRequest } from "./MockUpstream.ts"
import * as Reply from "./Reply.ts"
import { type Resolved, resolve, type Script } from "./Script.ts"
import * as Json from "./internal/json.ts"
import { mockId, sseFrame } from "./internal/wire.ts"

export const route = "POST /v1/chat/completions"

export interface StreamOptions {
  /** Send the usage chunk before `[DONE]`, as `stream_options.include_usage: true` asks. */
  readonly includeUsage?: boolean | undefined
  /** The delta field for reasoning: `reasoning_content` (DeepSeek; the default) or `reasoning` (Groq, OpenRouter). */
  readonly reasoningField?: "reasoning_content" | "reasoning" | undefined
  /** End the stream after the pieces with an in-band `data: {"error": ...}` frame instead of finishing. */
  readonly error?: ErrorFields | undefined
}

export interface ErrorFields {
  readonly message?: string | undefined
  readonly type?: string | undefined
  readonly code?: string | null | undefined
  readonly param?: string | null | undefined
}

const ids = (r: Resolved, seed: string) => ({
  id: r.id ?? `chatcmpl-${mockId(seed, 29)}`,
  model: r.model ?? "gpt-4o-mini-2024-07-18",
  fingerprint: `fp_${mockId(seed + "fp", 10, "0123456789abcdef")}`,
  callId: (index: number) => r.toolCalls[index]?.id ?? `call_${mockId(`${seed}call${index}`, 24)}`
})

const seedOf = (r: Resolved) => r.text.join("") + r.toolCalls.map((c) => c.name).join(",")

const usageObject = (r: Resolved) => ({
  prompt_tokens: r.usage.inputTokens,
  completion_tokens: r.usage.outputTokens,
  total_tokens: r.usage.inputTokens + r.usage.outputTokens,
  prompt_tokens_details: {
    cached_tokens: r.usage.cachedInputTokens,
    audio_tokens: 0,
    ...(r.usage.cacheWriteTokens > 0 ? { cache_write_tokens: r.usage.cacheWriteTokens } : {})
  },
  completion_tokens_details: {
    reasoning_tokens: r.usage.reasoningTokens ?? 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0
  }
})

const finishReasonOf = (r: Resolved): string => r.rawFinishReason ?? r.finishReason

/** The non-streamed answer (`object: "chat.completion"`), indented as the API sends it. */
export const json = (script: Script): Reply.Reply => {
  const r = resolve(script)
  const id = ids(r, seedOf(r))
  const text = r.text.join("")
  const body = {
    id: id.id,
    object: "chat.completion",
    created: r.created,
    model: id.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: text.length > 0 || r.toolCalls.length === 0 ? text : null,
        ...(r.reasoning.length > 0 ? { reasoning_content: r.reasoning.join("") } : {}),
        ...(r.toolCalls.length > 0
          ? {
            tool_calls: r.toolCalls.map((call, index) => ({
              id: id.callId(index),
              type: "function",
              function: { name: call.name, arguments: call.arguments }
            }))
          }
          : {}),
        refusal: null,
        annotations: []
      },
      logprobs: null,
      finish_reason: finishReasonOf(r)
    }],
    usage: usageObject(r),
    service_tier: "default",
    system_fingerprint: id.fingerprint
  }
  return Reply.json(JSON.stringify(body, null, 2))
}

/** The SSE stream: one `data:` frame per chunk, then `data: [DONE]` (marked terminal). */
export const stream = (script: Script, options: StreamOptions = {}): Reply.Reply => {
  const r = resolve(script)
  const id = ids(r, seedOf(r))
  const includeUsage = options.includeUsage ?? false
  const reasoningField = options.reasoningField ?? "reasoning_content"
  const chunk = (choices: ReadonlyArray<unknown>, usage?: unknown) => ({
    id: id.id,
    object: "chat.completion.chunk",
    created: r.created,
    model: id.model,
    service_tier: "default",
    system_fingerprint: id.fingerprint,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {})
  })
  const delta = (d: unknown, finishReason: string | null = null) => [
    { index: 0, delta: d, logprobs: null, finish_reason: finishReason }
  ]
  const toolStart = (index: number) => ({
    index,
    id: id.callId(index),
    type: "function",
    function: { name: r.toolCalls[index]!.name, arguments: "" }
  })
  const toolsFirst = r.text.length === 0 && r.reasoning.length === 0 && r.toolCalls.length > 0
  const frames: Array<unknown> = [
    chunk(delta({
      role: "assistant",
      content: r.text.length > 0 && r.reasoning.length === 0 ? "" : null,
      ...(toolsFirst ? { tool_calls: [toolStart(0)] } : {}),
      refusal: null
    })),
    ...r.reasoning.map((piece) => chunk(delta({ content: null, [reasoningField]: piece }))),
    ...r.text.map((piece) => chunk(delta({ content: piece }))),
    ...r.toolCalls.flatMap((call, index) => [
      ...(toolsFirst && index === 0 ? [] : [chunk(delta({ tool_calls: [toolStart(index)] }))]),
      ...call.pieces.map((piece) => chunk(delta({ tool_calls: [{ index, function: { arguments: piece } }] })))
    ])
  ]
  const ending = options.error !== undefined
    ? [sseFrame(Json.compact({ error: errorObject(500, options.error) }))]
    : [
      sseFrame(Json.compact(chunk(delta({}, finishReasonOf(r))))),
      ...(includeUsage ? [sseFrame(Json.compact(chunk([], usageObject(r))))] : []),
      sseFrame("[DONE]", { terminal: true })
    ]
  return Reply.make({
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    body: [...frames.map((f) => sseFrame(Json.compact(f))), ...ending],
    framing: "sse"
  })
}

const defaults: Readonly<Record<number, { type: string; code: string | null; message: string }>> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: {
    type: "invalid_request_error",
    code: "invalid_api_key",
    message: "Incorrect API key provided: sk-mock***. You can find your API key at https://platform.openai.com/account/api-keys."
  },
  403: {
    type: "invalid_request_error",
    code: "unsupported_country_region_territory",
    message: "Country, region, or territory not supported"
  },
  404: {
    type: "invalid_request_error",
    code: "model_not_found",
    message: "The model `mock-model` does not exist or you do not have access to it."
  },
  429: {
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for gpt-4o-mini in organization org-mock on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms."
  },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!"
  },
  503: { type: "server_error", code: null, message: "The engine is currently overloaded, please try again later" }
}

const errorObject = (status: number, fields: ErrorFields) => {
  const d = defaults[status] ?? defaults[status >= 500 ? 500 : 400]!
  return {
    message: fields.message ?? d.message,
    type: fields.type ?? d.type,
    param: fields.param ?? null,
    code: fields.code === undefined ? d.code : fields.code
  }
}

/**
 * An error answer: `{"error": {"message", "type", "param", "code"}}` with the status's usual type and
 * code (429 `requests`/`rate_limit_exceeded`, 401 `invalid_api_key`, ...). `retryAfter` (seconds)
 * adds a `Retry-After` header; without it, a 429 carries none.
 */
export const error = (
  status: number,
  fields: ErrorFields & { readonly retryAfter?: number | undefined } = {}
): Reply.Reply =>
  Reply.make({
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-request-id": `req_${mockId(`${status}${fields.message ?? ""}`, 32, "0123456789abcdef")}`,
      ...(fields.retryAfter === undefined ? {} : { "retry-after": String(fields.retryAfter) })
    },
    body: Json.spaced({ error: errorObject(status, fields) })
  })

/**
 * A request-aware reply: SSE when the request body has `stream: true` (with the usage chunk when it
 * asks `stream_options.include_usage`), else JSON; the model echoes the request's unless scripted.
 */
export const answer = (script: Script, options: Omit<StreamOptions, "includeUsage"> = {}) =>
(request: RecordedRequest): Reply.Reply => {
  const body = (request.json ?? {}) as {
    readonly model?: unknown
    readonly stream?: unknown
    readonly stream_options?: { readonly include_usage?: unknown } | null
  }
  const scripted = { ...script, model: script.model ?? (typeof body.model === "string" ? body.model : undefined) }
  return body.stream === true
    ? stream(scripted, { ...options, includeUsage: body.stream_options?.include_usage === true })
    : json(scripted)
}
