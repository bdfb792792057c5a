/**
 * One representative answer, whole and streamed: reasoning, text, then two tool calls (numbered as
 * Anthropic numbers content blocks, from 1), stopped for the calls, with usage.
 */
import type { ChatResponse, StreamEvent } from "@switchyard/core"
import { Usage } from "@switchyard/core"
import type { StreamEnd } from "@switchyard/translate"

export const usage = Usage.make({ inputTokens: 120, outputTokens: 40, cachedInputTokens: 20, cacheWriteTokens: 10, reasoningTokens: 7 })

export const answer: ChatResponse.ChatResponse = {
  id: "abc123",
  model: "claude-test",
  created: 1_700_000_000,
  choices: [{
    index: 0,
    content: "Checking both cities.",
    reasoning: "The user wants two forecasts.",
    toolCalls: [
      { id: "call_1", name: "weather", arguments: "{\"city\":\"Paris\"}" },
      { id: "call_2", name: "weather", arguments: "{\"city\":\"Oslo\"}" }
    ],
    finishReason: "tool_calls",
    rawFinishReason: "tool_use"
  }],
  usage
}

/** The same answer as a provider streams it, arguments split across deltas. */
export const events: ReadonlyArray<StreamEvent.StreamEvent> = [
  { _tag: "ResponseStart", id: "abc123", model: "claude-test", created: 1_700_000_000 },
  { _tag: "ReasoningDelta", choice: 0, text: "The user wants " },
  { _tag: "ReasoningDelta", choice: 0, text: "two forecasts." },
  { _tag: "TextDelta", choice: 0, text: "Checking " },
  { _tag: "TextDelta", choice: 0, text: "both cities." },
  { _tag: "ToolCallStart", choice: 0, index: 1, id: "call_1", name: "weather" },
  { _tag: "ToolCallDelta", choice: 0, index: 1, arguments: "{\"city\":" },
  { _tag: "ToolCallDelta", choice: 0, index: 1, arguments: "\"Paris\"}" },
  { _tag: "ToolCallStart", choice: 0, index: 2, id: "call_2", name: "weather" },
  { _tag: "ToolCallDelta", choice: 0, index: 2, arguments: "{\"city\":\"Oslo\"}" },
  { _tag: "Finish", choice: 0, reason: "tool_calls", raw: "tool_use" },
  { _tag: "UsageReport", usage }
]

/** Runs a dialect's stream encoder over `inputs`, as `Stream.mapAccum` does: every output, in order. */
export const encode = <S, I, O>(
  step: (state: S, input: I) => readonly [S, ReadonlyArray<O>],
  initial: S,
  inputs: ReadonlyArray<I>
): Array<O> => {
  const out: Array<O> = []
  let state = initial
  for (const input of inputs) {
    const [next, emitted] = step(state, input)
    state = next
    out.push(...emitted)
  }
  return out
}

export const finished = (): ReadonlyArray<StreamEvent.StreamEvent | StreamEnd.End> => [...events, { _tag: "End" }]
