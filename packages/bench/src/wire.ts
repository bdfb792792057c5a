/**
 * The OpenAI Chat Completions bytes the benchmark's mock upstream sends (the shapes of
 * `@switchyard/testing`'s `OpenAiChatWire`: a pretty-printed `chat.completion`, or SSE
 * `chat.completion.chunk` frames — role chunk, content chunks, finish chunk, the usage chunk with
 * `choices: []` when `stream_options.include_usage` is asked, then `data: [DONE]`), the request bodies
 * the load generator sends, and the checks that an answer arrived intact.
 */

export const MODEL = "gpt-4o-mini"
export const CONTENT_CHUNKS = 20

/** The 20 content pieces; their concatenation is the answer's text. */
export const PIECES: ReadonlyArray<string> = Array.from({ length: CONTENT_CHUNKS }, (_, i) => (i === 0 ? "Token" : ` token${String(i).padStart(2, "0")}`))
export const TEXT = PIECES.join("")

const ID = "chatcmpl-BenchA1b2C3d4E5f6G7h8I9j0KlMnO"
const CREATED = 1767225600
const UPSTREAM_MODEL = "gpt-4o-mini-2024-07-18"
const FINGERPRINT = "fp_0123456789"
const USAGE = {
  prompt_tokens: 12,
  completion_tokens: CONTENT_CHUNKS,
  total_tokens: 12 + CONTENT_CHUNKS,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
}

/** The request bodies the clients send (the same to every target). */
export const requestBody = (stream: boolean): string =>
  JSON.stringify({
    model: MODEL,
    messages: [{ role: "user", content: "Say the benchmark sentence." }],
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {})
  })

/** The non-streamed answer, indented as the API sends it. */
export const completionJson = (): string =>
  JSON.stringify(
    {
      id: ID,
      object: "chat.completion",
      created: CREATED,
      model: UPSTREAM_MODEL,
      choices: [{
        index: 0,
        message: { role: "assistant", content: TEXT, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop"
      }],
      usage: USAGE,
      service_tier: "default",
      system_fingerprint: FINGERPRINT
    },
    null,
    2
  )

const frame = (data: string) => `data: ${data}\n\n`

/**
 * Group `i` of a streamed answer's SSE frames, with `piece` as its content: the first group carries
 * the role chunk too, the last the finish chunk, the usage chunk (when asked) and `[DONE]`.
 */
export const streamGroup = (i: number, includeUsage: boolean, piece: string): string => {
  const chunk = (choices: ReadonlyArray<unknown>, usage?: unknown) =>
    JSON.stringify({
      id: ID,
      object: "chat.completion.chunk",
      created: CREATED,
      model: UPSTREAM_MODEL,
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {})
    })
  const delta = (d: unknown, finishReason: string | null = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }]
  const role = i === 0 ? frame(chunk(delta({ role: "assistant", content: "", refusal: null }))) : ""
  const ending = i === CONTENT_CHUNKS - 1
    ? frame(chunk(delta({}, "stop"))) + (includeUsage ? frame(chunk([], USAGE)) : "") + frame("[DONE]")
    : ""
  return role + frame(chunk(delta({ content: piece }))) + ending
}

/**
 * The SSE frames of a streamed answer, grouped in the order they are written:
 * `[role + first content]`, then one group per further content chunk, the last group carrying the
 * finish chunk, the usage chunk (when asked) and `[DONE]`. A delay is put between groups.
 */
export const streamGroups = (includeUsage: boolean): ReadonlyArray<string> =>
  PIECES.map((piece, i) => streamGroup(i, includeUsage, piece))

/**
 * A content piece stamped with when it was written: its index and the monotonic clock in ns
 * (`process.hrtime`, the same clock in every process of the machine), as `<i>@<ns>|`.
 */
export const stampedPiece = (i: number): string => `${i}@${process.hrtime.bigint()}|`

/**
 * Reads stamped pieces out of a stream's text as it arrives: the returned function takes the next
 * text and returns the stamps it completed (a stamp split across reads is read once it is whole).
 */
export const stampReader = () => {
  const stamp = /(\d+)@(\d+)\|/g
  let text = ""
  // Where the last stamp read ended: the next search starts there (a failed `exec` resets `lastIndex`).
  let from = 0
  return (next: string): ReadonlyArray<{ readonly index: number; readonly ns: bigint }> => {
    text += next
    stamp.lastIndex = from
    const found: Array<{ index: number; ns: bigint }> = []
    for (let m = stamp.exec(text); m !== null; m = stamp.exec(text)) {
      found.push({ index: Number(m[1]), ns: BigInt(m[2]!) })
      from = stamp.lastIndex
    }
    return found
  }
}

export const streamBytes = (includeUsage: boolean): string => streamGroups(includeUsage).join("")

export interface Check {
  readonly ok: boolean
  readonly detail: string
  readonly contentChunks: number
}

/** A streamed answer: every content chunk in order, the text intact, `[DONE]` last. */
export const checkStream = (body: string): Check => {
  const frames = body.split(/\r?\n\r?\n/).map((f) => f.trim()).filter((f) => f.length > 0)
  let contentChunks = 0
  let text = ""
  let done = false
  let afterDone = 0
  for (const f of frames) {
    const data = f.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n")
    if (data === "") continue
    if (done) {
      afterDone++
      continue
    }
    if (data === "[DONE]") {
      done = true
      continue
    }
    try {
      const parsed = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }> }
      const content = parsed.choices?.[0]?.delta?.content
      if (typeof content === "string" && content.length > 0) {
        contentChunks++
        text += content
      }
    } catch {
      return { ok: false, detail: `unparsable frame ${JSON.stringify(data.slice(0, 80))}`, contentChunks }
    }
  }
  const problems = [
    ...(contentChunks === CONTENT_CHUNKS ? [] : [`${contentChunks}/${CONTENT_CHUNKS} content chunks`]),
    ...(text === TEXT ? [] : ["text differs"]),
    ...(done ? [] : ["no [DONE]"]),
    ...(afterDone === 0 ? [] : ["frames after [DONE]"])
  ]
  return { ok: problems.length === 0, detail: problems.length === 0 ? "ok" : problems.join(", "), contentChunks }
}

/** A non-streamed answer: a `chat.completion` with the text. */
export const checkJson = (body: string): Check => {
  try {
    const parsed = JSON.parse(body) as { object?: string; choices?: Array<{ message?: { content?: string } }> }
    const ok = parsed.object === "chat.completion" && parsed.choices?.[0]?.message?.content === TEXT
    return { ok, detail: ok ? "ok" : `unexpected body ${body.slice(0, 120)}`, contentChunks: ok ? 1 : 0 }
  } catch {
    return { ok: false, detail: `not JSON: ${body.slice(0, 120)}`, contentChunks: 0 }
  }
}
