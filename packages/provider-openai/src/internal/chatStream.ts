/**
 * The Chat Completions stream (`chat.completion.chunk` SSE ending in `data: [DONE]`) as a state
 * machine over parsed chunks. Choices interleave by `index`; tool calls arrive in pieces keyed by
 * their own `index` (absent on some hosts: then by id, or the call in progress); usage may come on a
 * final chunk with `choices: []`, on the finish chunk, inside a choice, in `x_groq`, or on every
 * chunk (running totals): each is a `UsageReport`, the last one standing, so usage a stream reported
 * before it broke is kept. An `error` object (or an `event: error`) inside the 200 stream fails it
 * after whatever it carried. A stream that closes without `[DONE]` is complete only if its choices
 * had finished: closed after the headers, a role chunk or some text, it is `StreamInterrupted`
 * (retryable), never an empty answer.
 * Reference: https://platform.openai.com/docs/api-reference/chat-streaming
 */
import { Stream } from "effect"
import { InBand, JsonValue, ProviderError, type ProviderHttp, Sse, type StreamEvent, StreamMachine } from "@switchyard/core"
import type { Host } from "../Hosts.ts"
import * as Decode from "./chatDecode.ts"

/** The `data: [DONE]` line. */
const Done: unique symbol = Symbol.for("@switchyard/provider-openai/chat/Done")

export interface Input {
  readonly event: string
  readonly data: Decode.Json | typeof Done | undefined
}

interface ChoiceState {
  readonly finished: boolean
  /** Tool call index → id, in the order they started. */
  readonly calls: ReadonlyMap<number, string>
  /** The call that un-indexed pieces belong to. */
  readonly current: number | undefined
}

export interface State {
  readonly started: boolean
  readonly choices: ReadonlyMap<number, ChoiceState>
}

type Step<S> = readonly [S, ReadonlyArray<StreamEvent.StreamEvent>]

const newChoice: ChoiceState = { finished: false, calls: new Map(), current: undefined }

/** Which call a tool-call piece belongs to. */
const callIndex = (choice: ChoiceState, call: Decode.Json, position: number): number => {
  const index = call["index"]
  if (typeof index === "number") return index
  const id = JsonValue.string(call["id"])
  if (id !== undefined) {
    for (const [i, known] of choice.calls) if (known === id) return i
    return choice.calls.size === 0 ? position : Math.max(...choice.calls.keys()) + 1
  }
  return choice.current ?? position
}

/** One tool-call piece: its call started if new and made current, and its arguments. */
const toolCallPiece = (choice: ChoiceState, index: number, call: Decode.Json, position: number): Step<ChoiceState> => {
  const fn = JsonValue.record(call["function"]) ?? {}
  const i = callIndex(choice, call, position)
  const started = choice.calls.has(i)
  const id = JsonValue.string(call["id"]) ?? `call_${index}_${i}`
  const args = JsonValue.string(fn["arguments"])
  return [
    { ...choice, calls: started ? choice.calls : new Map(choice.calls).set(i, id), current: i },
    [
      ...(started ? [] : [{ _tag: "ToolCallStart", choice: index, index: i, id, name: JsonValue.string(fn["name"]) ?? "" } as const]),
      ...(args !== undefined && args !== "" ? [{ _tag: "ToolCallDelta", choice: index, index: i, arguments: args } as const] : [])
    ]
  ]
}

const deltaEvents = (choice: ChoiceState, index: number, delta: Decode.Json): Step<ChoiceState> => {
  const out: Array<StreamEvent.StreamEvent> = []
  const { reasoning, text } = Decode.contentPieces(delta["content"])
  const allReasoning = Decode.reasoningOf(delta) + reasoning
  if (allReasoning !== "") out.push({ _tag: "ReasoningDelta", choice: index, text: allReasoning })
  if (text !== "") out.push({ _tag: "TextDelta", choice: index, text })
  const refusal = JsonValue.string(delta["refusal"])
  if (refusal !== undefined && refusal !== "") out.push({ _tag: "RefusalDelta", choice: index, text: refusal })
  let next = choice
  JsonValue.array(delta["tool_calls"]).forEach((piece, position) => {
    const call = JsonValue.record(piece)
    if (call === undefined) return
    const [after, events] = toolCallPiece(next, index, call, position)
    next = after
    out.push(...events)
  })
  return [next, out]
}

/** One choice of a chunk: its deltas, and its finish the first time one comes. */
const choiceEvents = (choices: ReadonlyMap<number, ChoiceState>, c: Decode.Json): Step<ReadonlyMap<number, ChoiceState>> => {
  const index = typeof c["index"] === "number" ? c["index"] : 0
  const delta = JsonValue.record(c["delta"]) ?? JsonValue.record(c["message"]) ?? {}
  const [choice, out] = deltaEvents(choices.get(index) ?? newChoice, index, delta)
  const finish = Decode.finishOf(c)
  const finishing = finish !== undefined && !choice.finished
  const next = finishing ? { ...choice, finished: true } : choice
  return [
    choices.get(index) === next ? choices : new Map(choices).set(index, next),
    finishing ? [...out, { _tag: "Finish", choice: index, reason: Decode.finishReason(finish), raw: finish }] : out
  ]
}

/** The stream machine of one call. */
export const machine = (host: Host, context: ProviderHttp.CallContext): StreamMachine.Machine<State, Input> => {
  const { provider } = context

  const chunk = (state: State, input: Input, body: Decode.Json): readonly [State, ReadonlyArray<StreamMachine.Output>] => {
    const out: Array<StreamMachine.Output> = state.started ? [] : [Decode.responseStart(body, context)]
    let choices = state.choices
    for (const raw of JsonValue.array(body["choices"])) {
      const c = JsonValue.record(raw)
      if (c === undefined) continue
      const [after, events] = choiceEvents(choices, c)
      choices = after
      out.push(...events)
    }
    const usage = Decode.usageIn(host, body)
    if (usage !== undefined) out.push({ _tag: "UsageReport", usage })
    if (input.event === "error" || body["error"] != null) out.push(Decode.inBandError(host, provider, body))
    return [{ started: true, choices }, out]
  }

  /** `[DONE]`: choices the host never finished (some send no `finish_reason`) stopped normally. */
  const done = (state: State): Array<StreamMachine.Output> => [
    ...[...state.choices].flatMap(([index, choice]) =>
      choice.finished ? [] : [{ _tag: "Finish", choice: index, reason: "stop", raw: null } as const]
    ),
    StreamMachine.End
  ]

  const step = (state: State, input: Input): readonly [State, ReadonlyArray<StreamMachine.Output>] => {
    if (input.data === Done) return [state, done(state)]
    if (input.data === undefined) {
      return [state, [new ProviderError.StreamInterrupted({ provider, message: `${provider}: a stream chunk is not a JSON object` })]]
    }
    return chunk(state, input, input.data)
  }

  const end = (state: State): ReadonlyArray<StreamMachine.Output> => {
    const finished = state.choices.size > 0 && [...state.choices.values()].every((c) => c.finished)
    return finished
      ? []
      : [new ProviderError.StreamInterrupted({ provider, message: `${provider}: stream ended before [DONE]` })]
  }

  return { initial: () => ({ started: false, choices: new Map() }), step, end }
}

/** SSE bytes to canonical events. */
export const decodeStream = (host: Host) =>
<R>(
  bytes: Stream.Stream<Uint8Array, ProviderError.ProviderError, R>,
  context: ProviderHttp.CallContext
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError, R> => {
  const { provider } = context
  const parse = ({ data, event }: Sse.SseEvent): ReadonlyArray<Input> | InBand.Failure<ProviderError.ProviderError> => {
    if (data.trim() === "[DONE]") return [{ event, data: Done }]
    const parsed = Sse.parseJson(provider, data)
    return parsed instanceof InBand.Failure ? parsed : [{ event, data: JsonValue.record(parsed) }]
  }
  return StreamMachine.decode(Sse.providerBody(provider, parse), machine(host, context))(bytes)
}
