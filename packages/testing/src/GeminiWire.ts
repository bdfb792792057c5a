/**
 * Google Gemini (`generateContent`, `streamGenerateContent?alt=sse`) as the API sends it, from a
 * `Script`: the JSON answer (indented), the SSE stream (`data: {chunk}` frames ended by CRLF pairs,
 * Google's `": "` one-line JSON, no terminal marker: the last chunk carries `finishReason`), and error
 * bodies (`{"error": {"code", "message", "status", "details"}}`).
 *
 * Format: https://ai.google.dev/api/generate-content (GenerateContentResponse, `usageMetadata`:
 * `candidatesTokenCount` excludes `thoughtsTokenCount`, `cachedContentTokenCount` is part of
 * `promptTokenCount`; thought parts carry `"thought": true`; function calls come whole, with `args`
 * as an object) and https://ai.google.dev/gemini-api/docs/troubleshooting (status names per code;
 * a 429 may carry a `google.rpc.RetryInfo` detail with `retryDelay`).
 */
import type { RecordedRequest } from "./MockUpstream.ts"
import * as Reply from "./Reply.ts"
import { type Resolved, resolve, type Script } from "./Script.ts"
import * as Json from "./internal/json.ts"
import { mockId, parseArguments, sseFrame } from "./internal/wire.ts"

/** Both `:generateContent` and `:streamGenerateContent` live under this prefix. */
export const route = "POST /v1beta/models/*"

export interface ErrorFields {
  readonly message?: string | undefined
  /** The `google.rpc.Code` name; derived from the HTTP status by default. */
  readonly status?: string | undefined
  readonly details?: ReadonlyArray<unknown> | undefined
  /** Adds a `google.rpc.RetryInfo` detail, e.g. `"37s"`. */
  readonly retryDelay?: string | undefined
}

const finishReasons = {
  stop: "STOP",
  length: "MAX_TOKENS",
  tool_calls: "STOP",
  content_filter: "SAFETY"
} as const

const finishReasonOf = (r: Resolved): string => r.rawFinishReason ?? finishReasons[r.finishReason]

const ids = (r: Resolved) => ({
  id: r.id ?? mockId(r.text.join("") + r.toolCalls.map((c) => c.name).join(","), 23),
  model: r.model ?? "gemini-2.5-flash"
})

const usageMetadata = (r: Resolved, candidates: number) => {
  const thoughts = r.usage.reasoningTokens ?? 0
  return {
    promptTokenCount: r.usage.inputTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: r.usage.inputTokens + candidates + thoughts,
    ...(r.usage.cachedInputTokens > 0 ? { cachedContentTokenCount: r.usage.cachedInputTokens } : {}),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: r.usage.inputTokens }],
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {})
  }
}

const candidate = (parts: ReadonlyArray<unknown>, finishReason: string | undefined) => ({
  content: { parts, role: "model" },
  ...(finishReason === undefined ? {} : { finishReason }),
  index: 0
})

/** The parts of the answer, one per streamed piece (thoughts, text, function calls). */
const pieceParts = (r: Resolved): ReadonlyArray<unknown> => [
  ...r.reasoning.map((text) => ({ text, thought: true })),
  ...r.text.map((text) => ({ text })),
  ...r.toolCalls.map((call) => ({ functionCall: { name: call.name, args: parseArguments(call) } }))
]

/** The non-streamed answer, indented, with one part per kind. */
export const json = (script: Script): Reply.Reply => {
  const r = resolve(script)
  const id = ids(r)
  const parts = [
    ...(r.reasoning.length > 0 ? [{ text: r.reasoning.join(""), thought: true }] : []),
    ...(r.text.length > 0 ? [{ text: r.text.join("") }] : []),
    ...r.toolCalls.map((call) => ({ functionCall: { name: call.name, args: parseArguments(call) } }))
  ]
  return Reply.make({
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: Json.pretty({
      candidates: [candidate(parts, finishReasonOf(r))],
      usageMetadata: usageMetadata(r, r.usage.outputTokens - (r.usage.reasoningTokens ?? 0)),
      modelVersion: id.model,
      responseId: id.id
    })
  })
}

/** The stream's chunk objects: one per piece; the last carries the finish reason and final usage. */
const chunkObjects = (r: Resolved): ReadonlyArray<unknown> => {
  const id = ids(r)
  const finalCandidates = r.usage.outputTokens - (r.usage.reasoningTokens ?? 0)
  const parts = pieceParts(r)
  const all = parts.length > 0 ? parts : [{ text: "" }]
  return all.map((part, i) => {
    const last = i === all.length - 1
    return {
      candidates: [candidate([part], last ? finishReasonOf(r) : undefined)],
      usageMetadata: usageMetadata(r, last ? finalCandidates : Math.min(i + 1, finalCandidates)),
      modelVersion: id.model,
      responseId: id.id
    }
  })
}

/**
 * The `alt=sse` stream. It has no terminal marker; the chunk with `finishReason` is marked terminal,
 * so `Fault.dropTerminal` cuts the stream before the model finished.
 */
export const stream = (script: Script): Reply.Reply => {
  const objects = chunkObjects(resolve(script))
  return Reply.make({
    headers: { "content-type": "text/event-stream", "x-content-type-options": "nosniff" },
    body: objects.map((o, i) => sseFrame(Json.google(o), { eol: "\r\n", terminal: i === objects.length - 1 })),
    framing: "sse"
  })
}

/** `streamGenerateContent` without `alt=sse`: the chunks as one JSON array. */
export const streamArray = (script: Script): Reply.Reply =>
  Reply.make({
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: "[" + chunkObjects(resolve(script)).map((o) => JSON.stringify(o, null, 2)).join(",\r\n") + "]"
  })

const statusNames: Readonly<Record<number, { status: string; message: string }>> = {
  400: { status: "INVALID_ARGUMENT", message: "Request contains an invalid argument." },
  401: { status: "UNAUTHENTICATED", message: "Request had invalid authentication credentials." },
  403: { status: "PERMISSION_DENIED", message: "Method doesn't allow unregistered callers." },
  404: { status: "NOT_FOUND", message: "models/mock-model is not found for API version v1beta." },
  429: {
    status: "RESOURCE_EXHAUSTED",
    message: "You exceeded your current quota, please check your plan and billing details."
  },
  500: {
    status: "INTERNAL",
    message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
  },
  503: { status: "UNAVAILABLE", message: "The model is overloaded. Please try again later." },
  504: { status: "DEADLINE_EXCEEDED", message: "Deadline expired before operation could complete." }
}

/** An error answer, indented, with the status's `google.rpc.Code` name (429 `RESOURCE_EXHAUSTED`, ...). */
export const error = (status: number, fields: ErrorFields = {}): Reply.Reply => {
  const d = statusNames[status] ?? statusNames[status >= 500 ? 500 : 400]!
  const details = [
    ...(fields.details ?? []),
    ...(fields.retryDelay === undefined
      ? []
      : [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: fields.retryDelay }])
  ]
  return Reply.make({
    status,
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: Json.pretty({
      error: {
        code: status,
        message: fields.message ?? d.message,
        status: fields.status ?? d.status,
        ...(details.length > 0 ? { details } : {})
      }
    })
  })
}

/** The model named in a Gemini path: `/v1beta/models/gemini-2.5-flash:generateContent` → `gemini-2.5-flash`. */
export const modelOf = (path: string): string | undefined => /\/models\/([^/:]+)/.exec(path)?.[1]

/**
 * A request-aware reply: the SSE stream for `:streamGenerateContent?alt=sse`, the JSON array for
 * `:streamGenerateContent` without it, else the JSON answer; echoes the model from the path.
 */
export const answer = (script: Script) => (request: RecordedRequest): Reply.Reply => {
  const scripted = { ...script, model: script.model ?? modelOf(request.path) }
  if (!request.path.endsWith(":streamGenerateContent")) return json(scripted)
  return request.query["alt"] === "sse" ? stream(scripted) : streamArray(scripted)
}
