/**
 * Assembles canonical stream events into a `ChatResponse`, as a pure `step(state, event)`. Used to
 * answer a non-streaming client from a streamed upstream, to check adapters, and to count what was
 * already delivered when a stream breaks.
 */
import type { ChatResponse, Choice } from "./ChatResponse.ts"
import type { FinishReason } from "./FinishReason.ts"
import type { StreamEvent } from "./StreamEvent.ts"
import type { Usage } from "./Usage.ts"

interface ToolCallState {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

interface ChoiceState {
  readonly content: string
  readonly reasoning: string
  readonly refusal: string
  readonly toolCalls: ReadonlyMap<number, ToolCallState>
  readonly finishReason: FinishReason | undefined
  readonly rawFinishReason: string | null
}

export interface State {
  readonly id: string
  readonly model: string
  readonly created: number
  readonly choices: ReadonlyMap<number, ChoiceState>
  readonly usage: Usage | undefined
}

export const empty: State = { id: "", model: "", created: 0, choices: new Map(), usage: undefined }

const emptyChoice: ChoiceState = {
  content: "",
  reasoning: "",
  refusal: "",
  toolCalls: new Map(),
  finishReason: undefined,
  rawFinishReason: null
}

const updateChoice = (state: State, index: number, f: (choice: ChoiceState) => ChoiceState): State => {
  const choices = new Map(state.choices)
  choices.set(index, f(state.choices.get(index) ?? emptyChoice))
  return { ...state, choices }
}

const updateToolCall = (
  choice: ChoiceState,
  index: number,
  f: (call: ToolCallState) => ToolCallState
): ChoiceState => {
  const toolCalls = new Map(choice.toolCalls)
  toolCalls.set(index, f(choice.toolCalls.get(index) ?? { id: "", name: "", arguments: "" }))
  return { ...choice, toolCalls }
}

export const step = (state: State, event: StreamEvent): State => {
  switch (event._tag) {
    case "ResponseStart":
      return { ...state, id: event.id, model: event.model, created: event.created }
    case "TextDelta":
      return updateChoice(state, event.choice, (c) => ({ ...c, content: c.content + event.text }))
    case "ReasoningDelta":
      return updateChoice(state, event.choice, (c) => ({ ...c, reasoning: c.reasoning + event.text }))
    case "RefusalDelta":
      return updateChoice(state, event.choice, (c) => ({ ...c, refusal: c.refusal + event.text }))
    case "ToolCallStart":
      return updateChoice(
        state,
        event.choice,
        (c) => updateToolCall(c, event.index, (t) => ({ ...t, id: event.id, name: event.name }))
      )
    case "ToolCallDelta":
      return updateChoice(
        state,
        event.choice,
        (c) => updateToolCall(c, event.index, (t) => ({ ...t, arguments: t.arguments + event.arguments }))
      )
    case "Finish":
      return updateChoice(state, event.choice, (c) => ({ ...c, finishReason: event.reason, rawFinishReason: event.raw }))
    case "UsageReport":
      return { ...state, usage: event.usage }
  }
}

const toChoice = (index: number, c: ChoiceState): Choice => ({
  index,
  content: c.content.length > 0 || c.toolCalls.size === 0 ? c.content : null,
  ...(c.reasoning.length > 0 ? { reasoning: c.reasoning } : {}),
  ...(c.refusal.length > 0 ? { refusal: c.refusal } : {}),
  toolCalls: [...c.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, t]) => t),
  finishReason: c.finishReason ?? "other",
  rawFinishReason: c.rawFinishReason
})

/** The response assembled so far; choices in index order. */
export const toResponse = (state: State): ChatResponse => ({
  id: state.id,
  model: state.model,
  created: state.created,
  choices: [...state.choices.entries()].sort(([a], [b]) => a - b).map(([i, c]) => toChoice(i, c)),
  ...(state.usage === undefined ? {} : { usage: state.usage })
})

/** Assembles a whole list of events. */
export const assemble = (events: Iterable<StreamEvent>): ChatResponse => {
  let state = empty
  for (const event of events) state = step(state, event)
  return toResponse(state)
}
