/**
 * The OpenAI Responses dialect on the client side: the request (`POST /v1/responses`) as OpenAI's
 * SDKs send it, translated into the canonical one once what it refers to is resolved (function tools
 * only: hosted tools are refused, naming them), and canonical answers and stream events rendered as
 * the Responses API sends them, so OpenAI's SDKs (and their stream helpers that assemble the final
 * response, checking every item id and index) work unmodified against any provider.
 *
 * Output items: reasoning becomes a `reasoning` item with one `summary_text` part, text and refusals
 * the `output_text` / `refusal` parts of a `message` item, each tool call a `function_call` item.
 * Streamed, a message or reasoning item is closed when an item of another kind opens; function calls
 * stay open until the end (their argument deltas may come in any order), then close in output order.
 */
import type { ChatResponse, FinishReason, StreamEvent, Usage } from "@switchyard/core"
import type * as ErrorBody from "./ErrorBody.ts"
import type * as ResponsesRequest from "./internal/responsesRequest.ts"
import type * as StreamEnd from "./StreamEnd.ts"

export {
  Item,
  knownFields,
  resolveStored,
  ResponsesRequest,
  type StoredResponses,
  toChatRequest
} from "./internal/responsesRequest.ts"

/** The Responses API's usage object. */
export const usage = (u: Usage.Usage | undefined) =>
  u === undefined ? null : {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.inputTokens + u.outputTokens,
    ...(u.source === "estimated" ? { estimated: true } : {})
  }

/** The request's settings as a response object repeats them. */
export type Echo = Readonly<Record<string, unknown>>

export const echoOf = (request: ResponsesRequest.ResponsesRequest): Echo => ({
  instructions: request.instructions ?? null,
  max_output_tokens: request.max_output_tokens ?? null,
  metadata: request.metadata ?? {},
  parallel_tool_calls: request.parallel_tool_calls ?? true,
  previous_response_id: request.previous_response_id ?? null,
  reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
  // Kept for later references unless the request said not to (see `resolveStored`).
  store: request.store !== false,
  temperature: request.temperature ?? null,
  text: { format: request.text?.format ?? { type: "text" } },
  tool_choice: request.tool_choice ?? "auto",
  tools: request.tools ?? [],
  top_p: request.top_p ?? null,
  truncation: "disabled",
  user: request.user ?? null
})

type Status = "in_progress" | "completed" | "incomplete"

const statusOf = (reason: FinishReason.FinishReason | undefined): "completed" | "incomplete" =>
  reason === "length" || reason === "content_filter" ? "incomplete" : "completed"

const incompleteDetails = (reason: FinishReason.FinishReason | undefined) =>
  reason === "length" ? { reason: "max_output_tokens" } : reason === "content_filter" ? { reason: "content_filter" } : null

interface Header {
  readonly id: string
  readonly model: string
  readonly createdAt: number
  readonly echo: Echo
}

const responseObject = (
  header: Header,
  status: Status,
  output: ReadonlyArray<unknown>,
  finish: FinishReason.FinishReason | undefined,
  u: Usage.Usage | undefined
) => ({
  id: header.id,
  object: "response" as const,
  created_at: header.createdAt,
  status,
  background: false,
  error: null,
  incomplete_details: status === "incomplete" ? incompleteDetails(finish) : null,
  model: header.model,
  output,
  ...header.echo,
  usage: status === "in_progress" ? null : usage(u)
})

// -------------------------------------------------------------------------------------------------
// output items

type PartKind = "output_text" | "refusal"

interface MessagePart {
  readonly kind: PartKind
  readonly text: string
}

const part = (p: MessagePart) =>
  p.kind === "output_text"
    ? { type: "output_text", annotations: [], logprobs: [], text: p.text }
    : { type: "refusal", refusal: p.text }

const messageItem = (id: string, status: string, parts: ReadonlyArray<MessagePart>) => ({
  id,
  type: "message",
  status,
  role: "assistant",
  content: parts.map(part)
})

const reasoningItem = (id: string, text: string | undefined) => ({
  id,
  type: "reasoning",
  summary: text === undefined ? [] : [{ type: "summary_text", text }]
})

const callItem = (id: string, status: string, call: { callId: string; name: string; arguments: string }) => ({
  id,
  type: "function_call",
  status,
  arguments: call.arguments,
  call_id: call.callId,
  name: call.name
})

/** `resp_…` for a request id; item ids share its random part. */
export const responseId = (requestId: string) => `resp_${requestId.replace(/^req_/, "")}`

const itemId = (responseId: string, prefix: string, index: number) => `${prefix}_${responseId.replace(/^resp_/, "")}${index}`

/** The `response` object of a whole answer (choice 0). */
export const response = (answer: ChatResponse.ChatResponse, header: Header) => {
  const choice = answer.choices[0]
  const status = statusOf(choice?.finishReason)
  const calls = choice?.toolCalls ?? []
  const parts: Array<MessagePart> = [
    ...(choice?.content ? [{ kind: "output_text" as const, text: choice.content }] : []),
    ...(choice?.refusal === undefined ? [] : [{ kind: "refusal" as const, text: choice.refusal }])
  ]
  const items: Array<(index: number) => unknown> = [
    ...(choice?.reasoning === undefined ? [] : [(i: number) => reasoningItem(itemId(header.id, "rs", i), choice.reasoning)]),
    // A message even when empty, unless the answer is only tool calls.
    ...(parts.length > 0 || calls.length === 0
      ? [(i: number) => messageItem(itemId(header.id, "msg", i), status, parts.length > 0 ? parts : [{ kind: "output_text", text: "" }])]
      : []),
    ...calls.map((call) => (i: number) => callItem(itemId(header.id, "fc", i), "completed", { callId: call.id, name: call.name, arguments: call.arguments }))
  ]
  return responseObject(header, status, items.map((make, i) => make(i)), choice?.finishReason, answer.usage)
}

// -------------------------------------------------------------------------------------------------
// streaming

type OpenItem =
  | { readonly kind: "message"; readonly id: string; readonly index: number; readonly parts: ReadonlyArray<MessagePart> }
  | { readonly kind: "reasoning"; readonly id: string; readonly index: number; readonly text: string }
  | {
    readonly kind: "call"
    readonly id: string
    readonly index: number
    readonly callId: string
    readonly name: string
    readonly arguments: string
  }

export interface StreamState extends Header {
  /** The `sequence_number` of the next event. */
  readonly sequence: number
  /** Whether `response.created` and `response.in_progress` were sent. */
  readonly started: boolean
  /** Output items in output order; `done` are the finished ones, as `response.completed` lists them. */
  readonly done: ReadonlyArray<unknown>
  /** The open items by output index. */
  readonly open: ReadonlyMap<number, OpenItem>
  /** The output index of the open message or reasoning item. */
  readonly current: number | undefined
  /** A canonical tool call index → its item's output index. */
  readonly calls: ReadonlyMap<number, number>
  /** The number of output items so far. */
  readonly next: number
  readonly finish: FinishReason.FinishReason | undefined
  readonly usage: Usage.Usage | undefined
}

export const initialStreamState = (header: Header): StreamState => ({
  ...header,
  sequence: 0,
  started: false,
  done: [],
  open: new Map(),
  current: undefined,
  calls: new Map(),
  next: 0,
  finish: undefined,
  usage: undefined
})

/** A stream that broke after its first byte: the error to end it with. */
export interface Failed {
  readonly _tag: "Failed"
  readonly error: ErrorBody.HttpError
}

/** An SSE frame: `event: <type>` and its `data`, which repeats the type and carries the sequence number. */
export interface Frame {
  readonly event: string
  readonly data: Readonly<Record<string, unknown>>
}

export const frameText = (frame: Frame): string => `event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`

/** The frames of one step, numbered from the state's sequence on. */
class Frames {
  state: StreamState
  readonly frames: Array<Frame> = []
  constructor(state: StreamState) {
    this.state = state
  }
  emit(type: string, fields: Readonly<Record<string, unknown>>) {
    this.frames.push({ event: type, data: { type, ...fields, sequence_number: this.state.sequence } })
    this.state = { ...this.state, sequence: this.state.sequence + 1 }
  }
  update(f: (s: StreamState) => StreamState) {
    this.state = f(this.state)
  }
  result(): readonly [StreamState, ReadonlyArray<Frame>] {
    return [this.state, this.frames]
  }
}

const start = (f: Frames) => {
  if (f.state.started) return
  f.update((s) => ({ ...s, started: true }))
  f.emit("response.created", { response: responseObject(f.state, "in_progress", [], undefined, undefined) })
  f.emit("response.in_progress", { response: responseObject(f.state, "in_progress", [], undefined, undefined) })
}

const setOpen = (f: Frames, item: OpenItem) => f.update((s) => ({ ...s, open: new Map([...s.open, [item.index, item]]) }))

/** The item at `index` finished: its closing events, then `output_item.done`. */
const closeItem = (f: Frames, index: number, status: string) => {
  const item = f.state.open.get(index)
  if (item === undefined) return
  const base = { item_id: item.id, output_index: index }
  let done: unknown
  switch (item.kind) {
    case "message": {
      const last = item.parts.length - 1
      if (last >= 0) closePart(f, item, last)
      done = messageItem(item.id, status, item.parts)
      break
    }
    case "reasoning": {
      const summary = { ...base, summary_index: 0 }
      f.emit("response.reasoning_summary_text.done", { ...summary, text: item.text })
      f.emit("response.reasoning_summary_part.done", { ...summary, part: { type: "summary_text", text: item.text } })
      done = reasoningItem(item.id, item.text)
      break
    }
    case "call":
      f.emit("response.function_call_arguments.done", { ...base, arguments: item.arguments })
      done = callItem(item.id, "completed", item)
      break
  }
  f.emit("response.output_item.done", { output_index: index, item: done })
  f.update((s) => {
    const open = new Map(s.open)
    open.delete(index)
    return { ...s, open, done: [...s.done, done], current: s.current === index ? undefined : s.current }
  })
}

const closePart = (f: Frames, item: Extract<OpenItem, { kind: "message" }>, contentIndex: number) => {
  const p = item.parts[contentIndex]!
  const base = { item_id: item.id, output_index: item.index, content_index: contentIndex }
  if (p.kind === "output_text") f.emit("response.output_text.done", { ...base, text: p.text, logprobs: [] })
  else f.emit("response.refusal.done", { ...base, refusal: p.text })
  f.emit("response.content_part.done", { ...base, part: part(p) })
}

/** Opens a new output item (closing the open message or reasoning item first); returns its index. */
const openItem = (f: Frames, make: (index: number) => OpenItem, added: (item: OpenItem) => unknown, current: boolean): OpenItem => {
  if (f.state.current !== undefined) closeItem(f, f.state.current, "completed")
  const item = make(f.state.next)
  f.update((s) => ({ ...s, next: s.next + 1, ...(current ? { current: item.index } : {}) }))
  setOpen(f, item)
  f.emit("response.output_item.added", { output_index: item.index, item: added(item) })
  return item
}

const text = (f: Frames, kind: PartKind, delta: string) => {
  if (delta === "") return
  const current = f.state.current === undefined ? undefined : f.state.open.get(f.state.current)
  let item = current?.kind === "message"
    ? current
    : openItem(
      f,
      (index) => ({ kind: "message", id: itemId(f.state.id, "msg", index), index, parts: [] }),
      (it) => messageItem(it.id, "in_progress", []),
      true
    ) as Extract<OpenItem, { kind: "message" }>
  const last = item.parts[item.parts.length - 1]
  if (last?.kind !== kind) {
    if (last !== undefined) closePart(f, item, item.parts.length - 1)
    item = { ...item, parts: [...item.parts, { kind, text: "" }] }
    f.emit("response.content_part.added", {
      item_id: item.id,
      output_index: item.index,
      content_index: item.parts.length - 1,
      part: part({ kind, text: "" })
    })
  }
  const contentIndex = item.parts.length - 1
  const grown = item.parts[contentIndex]!
  item = { ...item, parts: [...item.parts.slice(0, contentIndex), { kind, text: grown.text + delta }] }
  setOpen(f, item)
  const base = { item_id: item.id, output_index: item.index, content_index: contentIndex, delta }
  f.emit(kind === "output_text" ? "response.output_text.delta" : "response.refusal.delta", kind === "output_text" ? { ...base, logprobs: [] } : base)
}

const reasoning = (f: Frames, delta: string) => {
  if (delta === "") return
  const current = f.state.current === undefined ? undefined : f.state.open.get(f.state.current)
  let item: OpenItem
  if (current?.kind === "reasoning") {
    item = current
  } else {
    item = openItem(
      f,
      (index) => ({ kind: "reasoning", id: itemId(f.state.id, "rs", index), index, text: "" }),
      (it) => reasoningItem(it.id, undefined),
      true
    )
    f.emit("response.reasoning_summary_part.added", {
      item_id: item.id,
      output_index: item.index,
      summary_index: 0,
      part: { type: "summary_text", text: "" }
    })
  }
  if (item.kind !== "reasoning") return
  setOpen(f, { ...item, text: item.text + delta })
  f.emit("response.reasoning_summary_text.delta", { item_id: item.id, output_index: item.index, summary_index: 0, delta })
}

const startCall = (f: Frames, toolIndex: number, callId: string, name: string) => {
  const item = openItem(
    f,
    (index) => ({ kind: "call", id: itemId(f.state.id, "fc", index), index, callId, name, arguments: "" }),
    (it) => callItem(it.id, "in_progress", it as Extract<OpenItem, { kind: "call" }>),
    false
  )
  f.update((s) => ({ ...s, calls: new Map([...s.calls, [toolIndex, item.index]]) }))
  return item
}

const callDelta = (f: Frames, toolIndex: number, delta: string) => {
  const known = f.state.calls.get(toolIndex)
  const found = known === undefined ? undefined : f.state.open.get(known)
  // A delta without a start (no adapter sends one): the call gets a made-up id and no name.
  const item = found ?? startCall(f, toolIndex, `call_${toolIndex}`, "")
  if (item.kind !== "call" || delta === "") return
  setOpen(f, { ...item, arguments: item.arguments + delta })
  f.emit("response.function_call_arguments.delta", { item_id: item.id, output_index: item.index, delta })
}

/** The end of a finished stream: every open item closed in output order, then the final response. */
const finish = (f: Frames) => {
  start(f)
  const status = statusOf(f.state.finish)
  for (const index of [...f.state.open.keys()].sort((a, b) => a - b)) {
    closeItem(f, index, status === "incomplete" && f.state.open.get(index)?.kind === "message" ? "incomplete" : "completed")
  }
  f.emit(`response.${status}`, { response: responseObject(f.state, status, f.state.done, f.state.finish, f.state.usage) })
}

/**
 * One canonical event to Responses frames (only choice 0 exists in this dialect); the end of a
 * finished stream to the closing frames and `response.completed` (or `response.incomplete`); a broken
 * stream to an `error` frame, after which nothing is sent.
 */
export const step = (
  state: StreamState,
  event: StreamEvent.StreamEvent | StreamEnd.End | Failed
): readonly [StreamState, ReadonlyArray<Frame>] => {
  if ("choice" in event && event.choice !== 0) return [state, []]
  const f = new Frames(state)
  switch (event._tag) {
    case "Failed":
      f.emit("error", errorFields(event.error))
      return f.result()
    case "End":
      finish(f)
      return f.result()
    case "ResponseStart":
      f.update((s) => (s.started ? s : { ...s, model: event.model || s.model, createdAt: event.created || s.createdAt }))
      start(f)
      return f.result()
    case "UsageReport":
      return [{ ...state, usage: event.usage }, []]
    case "Finish":
      return [{ ...state, finish: event.reason }, []]
  }
  start(f)
  switch (event._tag) {
    case "TextDelta":
      text(f, "output_text", event.text)
      break
    case "RefusalDelta":
      text(f, "refusal", event.text)
      break
    case "ReasoningDelta":
      reasoning(f, event.text)
      break
    case "ToolCallStart":
      if (!f.state.calls.has(event.index)) startCall(f, event.index, event.id, event.name)
      break
    case "ToolCallDelta":
      callDelta(f, event.index, event.arguments)
      break
  }
  return f.result()
}

// -------------------------------------------------------------------------------------------------
// errors

/** The fields of the `error` event: OpenAI's `code`, `message`, `param`, plus Switchyard's category. */
const errorFields = (error: ErrorBody.HttpError) => ({
  code: error.body.code ?? error.body.type,
  message: error.body.message,
  param: null,
  error_type: error.body.type,
  provider: error.body.provider,
  retryable: error.body.retryable
})
