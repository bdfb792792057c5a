/**
 * Embeddings answers as the upstreams send them: OpenAI's `POST /v1/embeddings` (a `list` of
 * `embedding` objects, floats or base64 float32, `usage.prompt_tokens`), Ollama's `POST /api/embed`
 * (`embeddings`, `prompt_eval_count`) and Gemini's `models/<id>:batchEmbedContents`
 * (`embeddings[].values`). `echo*` responders answer whatever was asked: one vector per input, of the
 * requested `dimensions`, made by `vectorFor` so a test can compute the expected values.
 */
import type { RecordedRequest } from "./MockUpstream.ts"
import * as Reply from "./Reply.ts"
import * as Json from "./internal/json.ts"

export const openAiRoute = "POST /v1/embeddings"
export const ollamaRoute = "POST /api/embed"
/** Gemini's `models/*` prefix (the same as `GeminiWire.route`): register embeddings on it. */
export const geminiRoute = "POST /v1beta/models/*"

/**
 * A deterministic vector for a text: multiples of 1/16 in [-0.5, 0.5], exact in float32, so a vector
 * that went through base64 compares equal.
 */
export const vectorFor = (text: string, dimensions = 8): Array<number> => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return Array.from({ length: dimensions }, (_, i) => (((h >>> (i % 24)) + i * 7) % 17 - 8) / 16)
}

/** A vector as float32 little-endian bytes in base64 (what `encoding_format: "base64"` returns). */
export const base64 = (vector: ReadonlyArray<number>): string =>
  Buffer.from(new Float32Array(vector).buffer).toString("base64")

export interface OpenAiOptions {
  readonly vectors: ReadonlyArray<ReadonlyArray<number>>
  readonly model?: string | undefined
  /** `usage.prompt_tokens` (and `total_tokens`); the usage object is left out when `null`. */
  readonly promptTokens?: number | null | undefined
  /** Send the vectors as base64 float32 text. */
  readonly base64?: boolean | undefined
}

/** OpenAI's answer. */
export const openAi = (options: OpenAiOptions): Reply.Reply =>
  Reply.make({
    headers: { "content-type": "application/json" },
    body: Json.compact({
      object: "list",
      data: options.vectors.map((vector, index) => ({
        object: "embedding",
        index,
        embedding: options.base64 === true ? base64(vector) : vector
      })),
      model: options.model ?? "text-embedding-3-small",
      ...(options.promptTokens === null
        ? {}
        : { usage: { prompt_tokens: options.promptTokens ?? 5, total_tokens: options.promptTokens ?? 5 } })
    })
  })

export interface OllamaOptions {
  readonly vectors: ReadonlyArray<ReadonlyArray<number>>
  readonly model?: string | undefined
  readonly promptEvalCount?: number | undefined
}

/** Ollama's `/api/embed` answer. */
export const ollama = (options: OllamaOptions): Reply.Reply =>
  Reply.make({
    headers: { "content-type": "application/json; charset=utf-8" },
    body: Json.compact({
      model: options.model ?? "nomic-embed-text",
      embeddings: options.vectors,
      total_duration: 14_143_917,
      load_duration: 1_019_500,
      prompt_eval_count: options.promptEvalCount ?? 8
    })
  })

/** Gemini's `batchEmbedContents` answer (no token counts). */
export const gemini = (vectors: ReadonlyArray<ReadonlyArray<number>>): Reply.Reply =>
  Reply.make({
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: Json.pretty({ embeddings: vectors.map((values) => ({ values })) })
  })

/** The texts of an OpenAI- or Ollama-shaped request's `input`. */
const inputTexts = (json: unknown): Array<string> => {
  const input = (json as { input?: unknown } | undefined)?.input
  if (typeof input === "string") return [input]
  return Array.isArray(input) ? input.map((item) => (typeof item === "string" ? item : JSON.stringify(item))) : []
}

const dimensionsOf = (json: unknown, fallback: number): number => {
  const dimensions = (json as { dimensions?: unknown } | undefined)?.dimensions
  return typeof dimensions === "number" ? dimensions : fallback
}

/** Answers an OpenAI request with `vectorFor` each input, `dimensions` long (8 by default), 2 tokens per input. */
export const echoOpenAi = (options: { readonly model?: string | undefined } = {}) => (request: RecordedRequest): Reply.Reply => {
  const texts = inputTexts(request.json)
  const dimensions = dimensionsOf(request.json, 8)
  return openAi({
    vectors: texts.map((text) => vectorFor(text, dimensions)),
    model: options.model ?? (request.json as { model?: string } | undefined)?.model,
    promptTokens: texts.length * 2
  })
}

/** Answers an Ollama request with `vectorFor` each input, `dimensions` long (8 by default). */
export const echoOllama = (request: RecordedRequest): Reply.Reply => {
  const texts = inputTexts(request.json)
  return ollama({
    vectors: texts.map((text) => vectorFor(text, dimensionsOf(request.json, 8))),
    model: (request.json as { model?: string } | undefined)?.model,
    promptEvalCount: texts.length * 2
  })
}

/** Answers a `batchEmbedContents` request with `vectorFor` each text, `outputDimensionality` long (8 by default). */
export const echoGemini = (request: RecordedRequest): Reply.Reply => {
  const requests = (request.json as { requests?: ReadonlyArray<{ content?: { parts?: ReadonlyArray<{ text?: string }> }; outputDimensionality?: number }> } | undefined)
    ?.requests ?? []
  return gemini(requests.map((r) => vectorFor(r.content?.parts?.map((p) => p.text ?? "").join("") ?? "", r.outputDimensionality ?? 8)))
}
