/**
 * Ollama's native chat API (`POST /api/chat`) as it sends it, from a `Script`: newline-delimited JSON
 * (`application/x-ndjson`, one compact object per line, `"done": false` until a last line with
 * `"done": true`, `done_reason` and the counts), the non-streamed object, and errors (`{"error": "..."}`,
 * also sent as a line mid-stream).
 *
 * Format: https://github.com/ollama/ollama/blob/main/docs/api.md ("Generate a chat completion",
 * streaming with tools: tool calls arrive whole in one line, `arguments` as an object), the Go types in
 * `api/types.go` (field order; `tool_calls[].function.index`, `message.thinking`) and
 * https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx (errors while streaming).
 * Ollama streams unless the request says `"stream": false`.
 */
import type { RecordedRequest } from "./MockUpstream.ts"
import * as Reply from "./Reply.ts"
import { type Resolved, resolve, type Script } from "./Script.ts"
import * as Json from "./internal/json.ts"
import { mockId, parseArguments } from "./internal/wire.ts"

export const route = "POST /api/chat"

export interface StreamOptions {
  /** End the stream after the pieces with an `{"error": ...}` line instead of the `done` line. */
  readonly error?: string | undefined
}

const doneReasons = { stop: "stop", length: "length", tool_calls: "stop", content_filter: "stop" } as const

/** `created_at` of the n-th line: RFC 3339 with nanoseconds, 25 ms apart. */
const createdAt = (r: Resolved, n: number): string => {
  const ms = r.created * 1000 + 412 + n * 25
  const nanos = String(193_357 + n).padStart(6, "0")
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, millis: string) => `.${millis}${nanos}Z`)
}

const toolCalls = (r: Resolved) =>
  r.toolCalls.map((call, index) => ({
    id: call.id ?? `call_${mockId(`${call.name}${index}`, 8, "abcdefghijklmnopqrstuvwxyz0123456789")}`,
    function: { index, name: call.name, arguments: parseArguments(call) }
  }))

const metrics = (r: Resolved) => ({
  total_duration: 1_203_411_500,
  load_duration: 41_295_167,
  prompt_eval_count: r.usage.inputTokens,
  prompt_eval_duration: 24_573_166,
  eval_count: r.usage.outputTokens,
  eval_duration: 115_959_084
})

const modelOf = (r: Resolved) => r.model ?? "llama3.2"

/** The non-streamed answer: one object with the whole message and `"done": true`. */
export const json = (script: Script): Reply.Reply => {
  const r = resolve(script)
  return Reply.make({
    headers: { "content-type": "application/json; charset=utf-8" },
    body: Json.compact({
      model: modelOf(r),
      created_at: createdAt(r, 0),
      message: {
        role: "assistant",
        content: r.text.join(""),
        ...(r.reasoning.length > 0 ? { thinking: r.reasoning.join("") } : {}),
        ...(r.toolCalls.length > 0 ? { tool_calls: toolCalls(r) } : {})
      },
      done: true,
      done_reason: r.rawFinishReason ?? doneReasons[r.finishReason],
      ...metrics(r)
    })
  })
}

/** The NDJSON stream; the `done: true` line is marked terminal. */
export const stream = (script: Script, options: StreamOptions = {}): Reply.Reply => {
  const r = resolve(script)
  const line = (n: number, message: unknown) => ({
    model: modelOf(r),
    created_at: createdAt(r, n),
    message,
    done: false
  })
  const messages: ReadonlyArray<unknown> = [
    ...r.reasoning.map((thinking) => ({ role: "assistant", content: "", thinking })),
    ...r.text.map((content) => ({ role: "assistant", content })),
    ...(r.toolCalls.length > 0 ? [{ role: "assistant", content: "", tool_calls: toolCalls(r) }] : [])
  ]
  const lines = messages.map((m, n) => ({ data: Json.compact(line(n, m)) + "\n" }))
  const last = options.error !== undefined
    ? { data: Json.compact({ error: options.error }) + "\n" }
    : {
      data: Json.compact({
        model: modelOf(r),
        created_at: createdAt(r, messages.length),
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: r.rawFinishReason ?? doneReasons[r.finishReason],
        ...metrics(r)
      }) + "\n",
      terminal: true
    }
  return Reply.make({
    headers: { "content-type": "application/x-ndjson" },
    body: [...lines, last],
    framing: "ndjson"
  })
}

/** An error answer: `{"error": "..."}`; a 404 says the model is not pulled. */
export const error = (status: number, message?: string): Reply.Reply =>
  Reply.make({
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: Json.compact({
      error: message ??
        (status === 404
          ? `model "mock-model" not found, try pulling it first`
          : "an error was encountered while running the model")
    })
  })

/** A request-aware reply: NDJSON unless the body says `"stream": false`; echoes the requested model. */
export const answer = (script: Script, options: StreamOptions = {}) => (request: RecordedRequest): Reply.Reply => {
  const body = (request.json ?? {}) as { readonly model?: unknown; readonly stream?: unknown }
  const scripted = { ...script, model: script.model ?? (typeof body.model === "string" ? body.model : undefined) }
  return body.stream === false ? json(scripted) : stream(scripted, options)
}
