/**
 * Gemini `GenerateContentResponse`s to canonical events, for the whole answer and for the stream
 * (where every SSE chunk is one such response and the stream simply ends: no terminator).
 *
 * - Parts with `thought: true` are reasoning, never answer text.
 * - Function calls arrive whole and without ids, so ids are made stable from the response id
 *   (`call_<responseId>_<candidate>_<n>`, unique across the turns of a conversation). A call followed
 *   by a `functionResponse` in the same model turn was run by Google (MCP, built-in tools), so it is
 *   not handed to the client; calls are therefore emitted when the answer ends.
 * - `finishReason` is `STOP` even when the turn ends in a function call: that is `tool_calls`. A finish
 *   reason may come before the last chunk (a server-side call finishes, then text follows): the last
 *   one seen counts.
 * - A prompt blocked before any candidate (`promptFeedback.blockReason`) is a `content_filter` finish.
 * - `usageMetadata` is cumulative and only the last one counts; input includes
 *   `toolUsePromptTokenCount`, output includes `thoughtsTokenCount` (reported beside candidates).
 * Reference: https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 */
import { FinishReason, JsonValue, type ProviderHttp, type StreamEvent, Usage } from "@switchyard/core"

const { array, number, record, string } = JsonValue

/** https://ai.google.dev/api/generate-content#FinishReason */
const finishReason = FinishReason.fromTable({
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  IMAGE_PROHIBITED_CONTENT: "content_filter",
  IMAGE_RECITATION: "content_filter",
  MALFORMED_FUNCTION_CALL: "error",
  UNEXPECTED_TOOL_CALL: "error",
  TOO_MANY_TOOL_CALLS: "error",
  MISSING_THOUGHT_SIGNATURE: "error",
  MALFORMED_RESPONSE: "error",
  LANGUAGE: "other",
  IMAGE_OTHER: "other",
  NO_IMAGE: "other",
  OTHER: "other"
})

interface PendingCall {
  readonly name: string
  readonly args: unknown
  readonly id: string | undefined
}

interface Candidate {
  finishReason: string | undefined
  readonly calls: Array<PendingCall>
}

/** What an answer has said so far; mutable, one per call. */
export interface State {
  responseId: string | undefined
  readonly candidates: Map<number, Candidate>
  usage: JsonValue.JsonObject | undefined
  blockReason: string | undefined
}

export const initial = (): State => ({ responseId: undefined, candidates: new Map(), usage: undefined, blockReason: undefined })

/** Canonical usage of `usageMetadata`. */
const usageOf = (u: JsonValue.JsonObject): Usage.Usage => {
  const thoughts = number(u["thoughtsTokenCount"]) ?? 0
  return Usage.make({
    inputTokens: (number(u["promptTokenCount"]) ?? 0) + (number(u["toolUsePromptTokenCount"]) ?? 0),
    outputTokens: (number(u["candidatesTokenCount"]) ?? 0) + thoughts,
    cachedInputTokens: number(u["cachedContentTokenCount"]) ?? 0,
    reasoningTokens: thoughts
  })
}

const candidateState = (state: State, index: number): Candidate => {
  let candidate = state.candidates.get(index)
  if (candidate === undefined) {
    candidate = { finishReason: undefined, calls: [] }
    state.candidates.set(index, candidate)
  }
  return candidate
}

/** The events one response (or stream chunk) adds; calls, usage and finish wait for `end`. */
export const observe = (
  state: State,
  body: JsonValue.JsonObject,
  context: ProviderHttp.CallContext
): Array<StreamEvent.StreamEvent> => {
  const out: Array<StreamEvent.StreamEvent> = []
  if (state.responseId === undefined) {
    state.responseId = string(body["responseId"]) ?? ""
    out.push({ _tag: "ResponseStart", id: state.responseId, model: string(body["modelVersion"]) ?? context.model, created: 0 })
  }
  array(body["candidates"]).forEach((raw, position) => {
    const c = record(raw)
    if (c === undefined) return
    const index = number(c["index"]) ?? position
    const candidate = candidateState(state, index)
    for (const p of array(record(c["content"])?.["parts"])) {
      const part = record(p)
      if (part === undefined) continue
      const text = string(part["text"])
      const call = record(part["functionCall"])
      const response = record(part["functionResponse"])
      if (text !== undefined && text !== "") {
        out.push({ _tag: part["thought"] === true ? "ReasoningDelta" : "TextDelta", choice: index, text })
      } else if (call !== undefined) {
        candidate.calls.push({ name: string(call["name"]) ?? "", args: call["args"] ?? {}, id: string(call["id"]) })
      } else if (response !== undefined) {
        const ran = candidate.calls.findIndex((pending) => pending.name === string(response["name"]))
        if (ran >= 0) candidate.calls.splice(ran, 1)
      }
    }
    candidate.finishReason = string(c["finishReason"]) ?? candidate.finishReason
  })
  const usage = record(body["usageMetadata"])
  if (usage !== undefined) state.usage = usage
  state.blockReason = string(record(body["promptFeedback"])?.["blockReason"]) ?? state.blockReason
  return out
}

/** Whether the answer has ended (a finish reason or a blocked prompt), as opposed to being cut. */
export const isFinished = (state: State): boolean =>
  state.blockReason !== undefined || [...state.candidates.values()].some((c) => c.finishReason !== undefined)

const callId = (state: State, choice: number, n: number) =>
  state.responseId ? `call_${state.responseId}_${choice}_${n}` : `call_${choice}_${n}`

/** The client's tool calls, usage and finish of every candidate, once the answer has ended. */
export const end = (state: State): Array<StreamEvent.StreamEvent> => {
  const out: Array<StreamEvent.StreamEvent> = []
  if (state.blockReason !== undefined && state.candidates.size === 0) {
    out.push({ _tag: "Finish", choice: 0, reason: "content_filter", raw: state.blockReason })
  }
  for (const [index, candidate] of state.candidates) {
    candidate.calls.forEach((call, n) => {
      out.push(
        { _tag: "ToolCallStart", choice: index, index: n, id: call.id ?? callId(state, index, n), name: call.name },
        { _tag: "ToolCallDelta", choice: index, index: n, arguments: JSON.stringify(call.args) }
      )
    })
    const raw = candidate.finishReason ?? null
    const reason = raw === null ? "stop" : raw === "STOP" && candidate.calls.length > 0 ? "tool_calls" : finishReason(raw)
    out.push({ _tag: "Finish", choice: index, reason, raw })
  }
  if (state.usage !== undefined) out.push({ _tag: "UsageReport", usage: usageOf(state.usage) })
  return out
}
