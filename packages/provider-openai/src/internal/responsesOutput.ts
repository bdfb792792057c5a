/**
 * What of a Responses API output has been emitted so far, and the canonical events for what is new.
 * Deltas append; `*.done` events, finished output items and the final response object only fill in
 * what the deltas did not already deliver. The stream machine and the non-streamed decoder both go
 * through here, so a streamed and a whole response give the same answer.
 */
import { Schema } from "effect"
import type { StreamEvent } from "@switchyard/core"
import { FunctionCallItem, MessageItem, type OutputItem, ReasoningItem } from "./responsesWire.ts"

/** The three text channels of a choice. */
export type Channel = "text" | "refusal" | "reasoning"

interface Call {
  readonly index: number
  readonly arguments: string
}

export interface Emitted {
  /** Text emitted per `channel:part`. */
  readonly parts: ReadonlyMap<string, string>
  /** Tool calls per output item, with the arguments emitted so far. */
  readonly calls: ReadonlyMap<string, Call>
  /** The reasoning part that emitted last: a new part starts a new paragraph. */
  readonly lastReasoning: string | undefined
  /** Output positions of the items seen, by item id, for events that carry only `item_id`. */
  readonly positions: ReadonlyMap<string, number>
}

export type Step = readonly [Emitted, ReadonlyArray<StreamEvent.StreamEvent>]

export const empty: Emitted = { parts: new Map(), calls: new Map(), lastReasoning: undefined, positions: new Map() }

/** Remembers where an item with an id sits in `output`. */
export const locate = (state: Emitted, id: string | undefined, outputIndex: number): Emitted =>
  id === undefined || state.positions.get(id) === outputIndex
    ? state
    : { ...state, positions: new Map(state.positions).set(id, outputIndex) }

/** The key of an output item: its position in `output` (from the event, else from its id), else its id. */
export const itemKey = (state: Emitted, position: {
  readonly output_index?: number | null | undefined
  readonly item_id?: string | null | undefined
}): string => {
  const index = position.output_index ?? (position.item_id == null ? undefined : state.positions.get(position.item_id))
  return index !== undefined ? `#${index}` : `id:${position.item_id ?? ""}`
}

/** Runs steps one after the other, collecting their events. */
export const sequence = (state: Emitted, steps: ReadonlyArray<(state: Emitted) => Step>): Step =>
  steps.reduce<Step>(([current, events], f) => {
    const [next, more] = f(current)
    return [next, [...events, ...more]]
  }, [state, []])

const delta = (channel: Channel, text: string): StreamEvent.StreamEvent =>
  channel === "text"
    ? { _tag: "TextDelta", choice: 0, text }
    : channel === "refusal"
    ? { _tag: "RefusalDelta", choice: 0, text }
    : { _tag: "ReasoningDelta", choice: 0, text }

/** What is left of `full` once `emitted` was sent (nothing when they disagree). */
const remainder = (emitted: string, full: string): string =>
  full.startsWith(emitted) ? full.slice(emitted.length) : ""

export const appendText = (state: Emitted, channel: Channel, part: string, text: string): Step => {
  if (text.length === 0) return [state, []]
  const key = `${channel}:${part}`
  const parts = new Map(state.parts).set(key, (state.parts.get(key) ?? "") + text)
  if (channel !== "reasoning") return [{ ...state, parts }, [delta(channel, text)]]
  const paragraph = state.lastReasoning !== undefined && state.lastReasoning !== part ? "\n\n" : ""
  return [{ ...state, parts, lastReasoning: part }, [delta(channel, paragraph + text)]]
}

export const completeText = (state: Emitted, channel: Channel, part: string, full: string): Step =>
  appendText(state, channel, part, remainder(state.parts.get(`${channel}:${part}`) ?? "", full))

export const startCall = (state: Emitted, item: string, id: string, name: string): Step => {
  if (state.calls.has(item)) return [state, []]
  const index = state.calls.size
  const calls = new Map(state.calls).set(item, { index, arguments: "" })
  return [{ ...state, calls }, [{ _tag: "ToolCallStart", choice: 0, index, id, name }]]
}

/** Argument text for a started call; text for a call not started yet waits for its finished item. */
export const appendArguments = (state: Emitted, item: string, text: string): Step => {
  const call = state.calls.get(item)
  if (call === undefined || text.length === 0) return [state, []]
  const calls = new Map(state.calls).set(item, { index: call.index, arguments: call.arguments + text })
  return [{ ...state, calls }, [{ _tag: "ToolCallDelta", choice: 0, index: call.index, arguments: text }]]
}

export const completeArguments = (state: Emitted, item: string, full: string): Step =>
  appendArguments(state, item, remainder(state.calls.get(item)?.arguments ?? "", full))

const isMessage = Schema.is(MessageItem)
const isFunctionCall = Schema.is(FunctionCallItem)
const isReasoning = Schema.is(ReasoningItem)

/** Fills in whatever of a finished output item was not emitted yet. */
export const completeItem = (state: Emitted, item: string, output: OutputItem): Step => {
  if (isFunctionCall(output)) {
    return sequence(state, [
      (s) => startCall(s, item, output.call_id, output.name),
      (s) => completeArguments(s, item, output.arguments ?? "")
    ])
  }
  if (isMessage(output)) {
    return sequence(
      state,
      output.content.map((part, i) => (s: Emitted) =>
        "text" in part && typeof part.text === "string"
          ? completeText(s, "text", `${item}:${i}`, part.text)
          : "refusal" in part && typeof part.refusal === "string"
          ? completeText(s, "refusal", `${item}:${i}`, part.refusal)
          : [s, []]
      )
    )
  }
  if (isReasoning(output)) {
    const parts = (prefix: string, texts: ReadonlyArray<{ readonly text: string }>) =>
      texts.map((part, i) => (s: Emitted) => completeText(s, "reasoning", `${item}:${prefix}${i}`, part.text))
    return sequence(state, [...parts("s", output.summary ?? []), ...parts("c", output.content ?? [])])
  }
  return [state, []]
}

/** Fills in a whole `output` array, items keyed by position. */
export const completeOutput = (state: Emitted, output: ReadonlyArray<OutputItem>): Step =>
  sequence(state, output.map((item, i) => (s: Emitted) => completeItem(s, `#${i}`, item)))
