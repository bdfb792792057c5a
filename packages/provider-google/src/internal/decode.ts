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
  readonly finishReason: string | undefined
  readonly calls: ReadonlyArray<PendingCall>
}

/** What an answer has said so far. */
export interface State {
  readonly responseId: string | undefined
  readonly candidates: ReadonlyMap<number, Candidate>
  readonly usage: JsonValue.JsonObject | undefined
  readonly blockReason: string | undefined
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

const noCandidate: Candidate = { finishReason: undefined, calls: [] }

/** A part's calls: a function call waits; a `functionResponse` drops the first waiting call of its name (run by Google). */
const partCalls = (calls: ReadonlyArray<PendingCall>, part: JsonValue.JsonObject): ReadonlyArray<PendingCall> => {
  const call = record(part["functionCall"])
  const response = record(part["functionResponse"])
  if (call !== undefined) return [...calls, { name: string(call["name"]) ?? "", args: call["args"] ?? {}, id: string(call["id"]) }]
  if (response === undefined) return calls
  const ran = calls.findIndex((pending) => pending.name === string(response["name"]))
  return ran < 0 ? calls : calls.filter((_, n) => n !== ran)
}

/** One candidate of a response: its text and reasoning now, its calls and finish reason kept for `end`. */
const candidateEvents = (
  candidate: Candidate,
  index: number,
  c: JsonValue.JsonObject
): readonly [Candidate, ReadonlyArray<StreamEvent.StreamEvent>] => {
  const out: Array<StreamEvent.StreamEvent> = []
  let calls = candidate.calls
  for (const p of array(record(c["content"])?.["parts"])) {
    const part = record(p)
    if (part === undefined) continue
    const text = string(part["text"])
    if (text !== undefined && text !== "") {
      out.push({ _tag: part["thought"] === true ? "ReasoningDelta" : "TextDelta", choice: index, text })
    } else {
      calls = partCalls(calls, part)
    }
  }
  return [{ finishReason: string(c["finishReason"]) ?? candidate.finishReason, calls }, out]
}

/** The next state and the events one response (or stream chunk) adds; calls, usage and finish wait for `end`. */
export const observe = (
  state: State,
  body: JsonValue.JsonObject,
  context: ProviderHttp.CallContext
): readonly [State, ReadonlyArray<StreamEvent.StreamEvent>] => {
  const responseId = state.responseId ?? string(body["responseId"]) ?? ""
  const out: Array<StreamEvent.StreamEvent> = state.responseId === undefined
    ? [{ _tag: "ResponseStart", id: responseId, model: string(body["modelVersion"]) ?? context.model, created: 0 }]
    : []
  const candidates = new Map(state.candidates)
  array(body["candidates"]).forEach((raw, position) => {
    const c = record(raw)
    if (c === undefined) return
    const index = number(c["index"]) ?? position
    const [candidate, events] = candidateEvents(candidates.get(index) ?? noCandidate, index, c)
    candidates.set(index, candidate)
    out.push(...events)
  })
  return [{
    responseId,
    candidates,
    usage: record(body["usageMetadata"]) ?? state.usage,
    blockReason: string(record(body["promptFeedback"])?.["blockReason"]) ?? state.blockReason
  }, out]
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
