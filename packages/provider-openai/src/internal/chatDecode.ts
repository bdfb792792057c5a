/**
 * Chat Completions answers to the canonical model, read leniently: every OpenAI-compatible host
 * adds, renames or nulls fields, so values are read by shape rather than decoded against one schema.
 * Usage, finish reasons and in-band errors are shared by the stream and the whole response.
 */
import { Effect } from "effect"
import {
  type ChatResponse,
  ErrorClassifier,
  FinishReason,
  JsonValue,
  ProviderError,
  type ProviderHttp,
  StreamAccumulator,
  type StreamEvent,
  Usage
} from "@switchyard/core"
import type { Host } from "../Hosts.ts"

export type Json = JsonValue.JsonObject

const { array, number, record, string } = JsonValue

export const finishReason = FinishReason.fromTable({
  stop: "stop",
  eos: "stop",
  end_turn: "stop",
  stop_sequence: "stop",
  length: "length",
  max_tokens: "length",
  model_length: "length",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
  content_filter: "content_filter",
  error: "error"
})

/**
 * The canonical usage of a `usage` object (or Groq's `x_groq.usage`). Input includes cached tokens
 * (`prompt_tokens_details.cached_tokens`, or DeepSeek's `prompt_cache_hit_tokens`). Output includes
 * reasoning: when a host reports reasoning outside `completion_tokens` (xAI: `total_tokens` is
 * prompt + completion + reasoning), the two are added.
 */
export const usageOf = (host: Host, raw: unknown): Usage.Usage | undefined => {
  const u = record(raw)
  if (u === undefined) return undefined
  const prompt = number(u["prompt_tokens"]) ?? number(u["input_tokens"])
  const completion = number(u["completion_tokens"]) ?? number(u["output_tokens"])
  if (prompt === undefined && completion === undefined) return undefined
  const promptDetails = record(u["prompt_tokens_details"])
  const completionDetails = record(u["completion_tokens_details"])
  const reasoning = number(completionDetails?.["reasoning_tokens"])
  const total = number(u["total_tokens"])
  const outside = reasoning !== undefined && reasoning > 0 && (total === undefined
    ? host.reasoningOutsideCompletion
    : total === (prompt ?? 0) + (completion ?? 0) + reasoning)
  return Usage.make({
    inputTokens: prompt ?? 0,
    outputTokens: (completion ?? 0) + (outside ? reasoning : 0),
    cachedInputTokens: number(promptDetails?.["cached_tokens"]) ?? number(u["prompt_cache_hit_tokens"]) ?? 0,
    cacheWriteTokens: number(promptDetails?.["cache_write_tokens"]) ?? 0,
    reasoningTokens: reasoning
  })
}

/**
 * The usage a chunk or body carries, wherever the host put it: top-level `usage` (OpenAI's last
 * chunk with `choices: []`, or the finish chunk), else Groq's `x_groq.usage`, else inside a choice
 * (Moonshot's `choices[0].usage` on the finish chunk). A `usage: null` is no report.
 */
export const usageIn = (host: Host, body: Json): Usage.Usage | undefined =>
  usageOf(host, body["usage"]) ??
    usageOf(host, record(body["x_groq"])?.["usage"]) ??
    array(body["choices"]).reduce<Usage.Usage | undefined>((found, c) => found ?? usageOf(host, record(c)?.["usage"]), undefined)

/** A choice's finish reason; `null`, absent and `""` (some local servers) all mean not finished. */
export const finishOf = (choice: Json): string | undefined => {
  const raw = string(choice["finish_reason"])
  return raw === undefined || raw.trim() === "" ? undefined : raw
}

/**
 * An `error` object sent with status 200 (inside a stream, or as a whole body), classified by the one
 * classifier. Its status is the embedded one when the host gives it (`status_code`, a numeric `code`).
 */
export const inBandError = (host: Host, provider: string, body: Json): ProviderError.ProviderError => {
  const error = record(body["error"])
  const status = number(error?.["status_code"]) ?? number(error?.["code"]) ?? number(error?.["status"])
  return ErrorClassifier.classify(
    { provider, status: status !== undefined && status >= 400 && status < 600 ? status : undefined, body: JSON.stringify(body) },
    host.errorRules
  )
}

/** Text of a content value: a string, or (Mistral) an array of parts. Thinking parts are reasoning. */
export const contentPieces = (content: unknown): { readonly text: string; readonly reasoning: string } => {
  if (typeof content === "string") return { text: content, reasoning: "" }
  let text = ""
  let reasoning = ""
  for (const part of array(content)) {
    const p = record(part)
    if (p === undefined) continue
    if (p["type"] === "thinking") {
      for (const inner of array(p["thinking"])) reasoning += string(record(inner)?.["text"]) ?? ""
      reasoning += string(p["thinking"]) ?? ""
    } else {
      text += string(p["text"]) ?? ""
    }
  }
  return { text, reasoning }
}

/** Reasoning text of a message or delta, under any of the names hosts use. */
export const reasoningOf = (m: Json): string =>
  string(m["reasoning_content"]) ?? string(m["reasoning"]) ?? ""

export const responseStart = (body: Json, context: ProviderHttp.CallContext): StreamEvent.StreamEvent => ({
  _tag: "ResponseStart",
  id: string(body["id"]) ?? "",
  model: string(body["model"]) ?? context.model,
  created: Math.trunc(number(body["created"]) ?? 0)
})

/** The events of one whole choice (`message` of a non-streamed answer). */
const choiceEvents = (choice: Json): ReadonlyArray<StreamEvent.StreamEvent> => {
  const index = number(choice["index"]) ?? 0
  const message = record(choice["message"]) ?? {}
  const { reasoning, text } = contentPieces(message["content"])
  const allReasoning = reasoningOf(message) + reasoning
  const refusal = string(message["refusal"]) ?? ""
  const calls = array(message["tool_calls"]).flatMap((call, i) => {
    const c = record(call)
    const fn = record(c?.["function"])
    if (c === undefined || fn === undefined) return []
    const id = string(c["id"]) ?? `call_${i}`
    return [
      { _tag: "ToolCallStart", choice: index, index: i, id, name: string(fn["name"]) ?? "" } as const,
      { _tag: "ToolCallDelta", choice: index, index: i, arguments: string(fn["arguments"]) ?? "" } as const
    ]
  })
  const raw = finishOf(choice) ?? null
  return [
    ...(allReasoning === "" ? [] : [{ _tag: "ReasoningDelta", choice: index, text: allReasoning } as const]),
    ...(text === "" ? [] : [{ _tag: "TextDelta", choice: index, text } as const]),
    ...(refusal === "" ? [] : [{ _tag: "RefusalDelta", choice: index, text: refusal } as const]),
    ...calls,
    { _tag: "Finish", choice: index, reason: raw === null ? "stop" : finishReason(raw), raw }
  ]
}

/** Decodes a non-streamed `chat.completion`; an `error` body sent with 200 is its classified error. */
export const decodeResponse = (host: Host) =>
(
  body: unknown,
  context: ProviderHttp.CallContext
): Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError> => {
  const json = record(body)
  if (json === undefined) {
    return Effect.fail(
      new ProviderError.ServerError({ provider: context.provider, message: `${context.provider}: response is not a JSON object` })
    )
  }
  if (json["error"] != null && json["choices"] == null) return Effect.fail(inBandError(host, context.provider, json))
  const choices = array(json["choices"]).flatMap((c) => {
    const choice = record(c)
    return choice === undefined ? [] : choiceEvents(choice)
  })
  const usage = usageIn(host, json)
  return Effect.succeed(StreamAccumulator.assemble([
    responseStart(json, context),
    ...choices,
    ...(usage === undefined ? [] : [{ _tag: "UsageReport", usage } as const])
  ]))
}
