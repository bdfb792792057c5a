/**
 * Anthropic answers to the canonical model: content blocks, stop reasons and usage, shared by the
 * whole message and the stream.
 * Reference: https://docs.anthropic.com/en/api/messages (response), .../messages-streaming
 */
import { Effect } from "effect"
import {
  type ChatResponse,
  FinishReason,
  JsonValue,
  ProviderError,
  type ProviderHttp,
  StreamAccumulator,
  type StreamEvent,
  Usage
} from "@switchyard/core"

const { array, number, record, string } = JsonValue

export const finishReason = FinishReason.fromTable({
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
  pause_turn: "other"
})

/** Usage counters as Anthropic names them; a later report overrides the fields it carries. */
export type Counters = Readonly<Record<"input" | "output" | "cacheRead" | "cacheWrite" | "thinking", number | undefined>>

export const noCounters: Counters = {
  input: undefined,
  output: undefined,
  cacheRead: undefined,
  cacheWrite: undefined,
  thinking: undefined
}

const countersOf = (u: JsonValue.JsonObject): Counters => ({
  input: number(u["input_tokens"]),
  output: number(u["output_tokens"]),
  cacheRead: number(u["cache_read_input_tokens"]),
  cacheWrite: number(u["cache_creation_input_tokens"]),
  thinking: number(record(u["output_tokens_details"])?.["thinking_tokens"])
})

/**
 * Merges a usage object into what was known. With `iterations` (server-side compaction, tool loops
 * billed per iteration) the totals are the sum of the iterations; otherwise the later values win.
 */
export const mergeUsage = (known: Counters, raw: unknown): Counters => {
  const u = record(raw)
  if (u === undefined) return known
  const iterations = array(u["iterations"]).flatMap((i) => {
    const r = record(i)
    return r === undefined ? [] : [countersOf(r)]
  })
  const next = iterations.length > 0
    ? iterations.reduce<Counters>((sum, c) => ({
      input: (sum.input ?? 0) + (c.input ?? 0),
      output: (sum.output ?? 0) + (c.output ?? 0),
      cacheRead: (sum.cacheRead ?? 0) + (c.cacheRead ?? 0),
      cacheWrite: (sum.cacheWrite ?? 0) + (c.cacheWrite ?? 0),
      thinking: c.thinking === undefined ? sum.thinking : (sum.thinking ?? 0) + c.thinking
    }), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, thinking: undefined })
    : countersOf(u)
  return {
    input: next.input ?? known.input,
    output: next.output ?? known.output,
    cacheRead: next.cacheRead ?? known.cacheRead,
    cacheWrite: next.cacheWrite ?? known.cacheWrite,
    thinking: next.thinking ?? known.thinking
  }
}

/**
 * Canonical usage: Anthropic's `input_tokens` excludes cache reads and writes, so they are added;
 * thinking tokens are part of `output_tokens` and reported only where `output_tokens_details` is sent.
 */
export const usageOf = (c: Counters): Usage.Usage | undefined =>
  c.input === undefined && c.output === undefined
    ? undefined
    : Usage.make({
      inputTokens: (c.input ?? 0) + (c.cacheRead ?? 0) + (c.cacheWrite ?? 0),
      outputTokens: c.output ?? 0,
      cachedInputTokens: c.cacheRead ?? 0,
      cacheWriteTokens: c.cacheWrite ?? 0,
      reasoningTokens: c.thinking
    })

/**
 * The input part of the counters, as `message_start` gives it (its `output_tokens` is a placeholder):
 * the provider's own input and cache counts with no output yet, so a stream that breaks before
 * `message_delta` has still reported what it was billed for input. Undefined until input is known.
 */
export const inputUsageOf = (c: Counters): Usage.Usage | undefined =>
  c.input === undefined ? undefined : usageOf({ ...c, output: 0, thinking: undefined })

export const responseStart = (message: JsonValue.JsonObject, context: ProviderHttp.CallContext): StreamEvent.StreamEvent => ({
  _tag: "ResponseStart",
  id: string(message["id"]) ?? "",
  model: string(message["model"]) ?? context.model,
  created: 0
})

export const finish = (raw: string | undefined): StreamEvent.StreamEvent => ({
  _tag: "Finish",
  choice: 0,
  reason: raw === undefined ? "stop" : finishReason(raw),
  raw: raw ?? null
})

/** The events of one whole content block; server tools (run by Anthropic) are not client tool calls. */
const blockEvents = (block: JsonValue.JsonObject, index: number): ReadonlyArray<StreamEvent.StreamEvent> => {
  switch (block["type"]) {
    case "text":
      return [{ _tag: "TextDelta", choice: 0, text: string(block["text"]) ?? "" }]
    case "thinking":
      return [{ _tag: "ReasoningDelta", choice: 0, text: string(block["thinking"]) ?? "" }]
    case "tool_use":
      return [
        { _tag: "ToolCallStart", choice: 0, index, id: string(block["id"]) ?? `toolu_${index}`, name: string(block["name"]) ?? "" },
        { _tag: "ToolCallDelta", choice: 0, index, arguments: JSON.stringify(block["input"] ?? {}) }
      ]
    default:
      return []
  }
}

export const decodeResponse = (
  body: unknown,
  context: ProviderHttp.CallContext
): Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError> => {
  const message = record(body)
  if (message === undefined || message["type"] === "error") {
    return Effect.fail(
      new ProviderError.ServerError({ provider: context.provider, message: `${context.provider}: unexpected Messages API body`, body: JSON.stringify(body) })
    )
  }
  const usage = usageOf(mergeUsage(noCounters, message["usage"]))
  return Effect.succeed(StreamAccumulator.assemble([
    responseStart(message, context),
    ...array(message["content"]).flatMap((b, i) => {
      const block = record(b)
      return block === undefined ? [] : blockEvents(block, i)
    }),
    finish(string(message["stop_reason"])),
    ...(usage === undefined ? [] : [{ _tag: "UsageReport", usage } as const])
  ]))
}

/** A token count's answer, `{"input_tokens": n}`: the count. Anything else is a `ServerError`. */
export const decodeCount = (body: unknown, context: ProviderHttp.CallContext): Effect.Effect<number, ProviderError.ProviderError> => {
  const count = number(record(body)?.["input_tokens"])
  return count !== undefined && Number.isInteger(count) && count >= 0
    ? Effect.succeed(count)
    : Effect.fail(
      new ProviderError.ServerError({
        provider: context.provider,
        message: `${context.provider}: unexpected token count body (no \`input_tokens\`)`,
        body: JSON.stringify(body)
      })
    )
}
