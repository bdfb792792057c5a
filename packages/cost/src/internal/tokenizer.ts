/**
 * Token counting (`bpe.ts`, over `gpt-tokenizer`'s rank files; its chat and tool rules from
 * `gpt-tokenizer`). OpenAI models are counted with their own encoding; every other model is counted
 * with `o200k_base` as a stand-in for its vendor's tokenizer (see docs/cost.md). An encoding's ranks
 * are read on first use and kept (`o200k_base`: 4.1 MiB). Text is ordinary text: a special
 * token's spelling in it (`<|endoftext|>`) is counted as the provider counts what a client sends.
 *
 * Counting is bounded, because request text is the client's: BPE costs grow with the square of a run
 * without whitespace (1 MB of `A` took minutes), so text is counted in pieces of at most
 * `PIECE_CHARS`, and each request counts at most `EXACT_CHARS` exactly; beyond that, counts are
 * extrapolated from evenly spaced samples. A request's count costs milliseconds, whatever it holds.
 */
import { Effect } from "effect"
import { modelToEncodingMap } from "gpt-tokenizer/mapping"
import {
  type ChatCompletionFunctionDefinition,
  type ChatMessage,
  computeChatCompletionTokenCount
} from "gpt-tokenizer/functionCalling"
import * as ChatRequest from "@switchyard/core/ChatRequest"
import * as Bpe from "./bpe.ts"

/** The encodings this package loads. */
export type Encoding = "o200k_base" | "cl100k_base" | "o200k_harmony"

/** How a model's tokens are counted. */
export interface Tokenizer {
  readonly encoding: Encoding
  /** `true` when the encoding is the model's own (an OpenAI model), `false` for a stand-in. */
  readonly exact: boolean
}

export type CountTokens = (text: string) => number

/** The longest piece handed to the BPE at once; cut at whitespace where the piece has some. */
const PIECE_CHARS = 256
/** Where a piece without whitespace in its second half is cut instead (runs are quadratic). */
const RUN_CHARS = 64
/** Characters of one request counted exactly; the rest is sampled. */
const EXACT_CHARS = 4096
/** Characters per sample window when a text is extrapolated. */
const SAMPLE_CHARS = 256
/** Tokens per character assumed when nothing has been counted yet (dense text: lean high). */
const FALLBACK_RATIO = 0.5

const isSpace = (code: number) => code === 32 || code === 10 || code === 13 || code === 9

/** Counts `text` piece by piece, so no run without whitespace reaches the BPE longer than a piece. */
const countPieces = (text: string, count: CountTokens): number => {
  if (text.length <= RUN_CHARS) return count(text)
  let total = 0
  let start = 0
  while (start < text.length) {
    let end = Math.min(start + PIECE_CHARS, text.length)
    if (end < text.length) {
      let cut = end
      while (cut > start + PIECE_CHARS / 2 && !isSpace(text.charCodeAt(cut))) cut--
      end = cut > start + PIECE_CHARS / 2 ? cut : Math.min(end, start + RUN_CHARS)
    }
    total += count(text.slice(start, end))
    start = end
  }
  return total
}

/**
 * A counter for one request: exact while `exactChars` last, then extrapolated from samples of each
 * longer text (or, once nothing is left for samples, from the ratio seen so far). Linear in the
 * text's length with a small constant, and at most `exactChars` (plus one sample) through the BPE.
 */
export const bounded = (count: CountTokens, exactChars: number = EXACT_CHARS): CountTokens => {
  const seen = { chars: 0, tokens: 0, left: exactChars }
  const exact = (text: string) => {
    const n = countPieces(text, count)
    seen.chars += text.length
    seen.tokens += n
    seen.left -= text.length
    return n
  }
  return (text) => {
    if (text.length <= seen.left) return exact(text)
    const windows = Math.max(1, Math.floor(Math.max(seen.left, SAMPLE_CHARS) / SAMPLE_CHARS))
    if (seen.left >= SAMPLE_CHARS || seen.chars === 0) {
      const stride = text.length / windows
      let sampled = 0
      let tokens = 0
      for (let i = 0; i < windows; i++) {
        const window = text.slice(Math.floor(i * stride), Math.floor(i * stride) + SAMPLE_CHARS)
        sampled += window.length
        tokens += exact(window)
      }
      return Math.ceil((tokens / sampled) * text.length)
    }
    const ratio = seen.chars === 0 ? FALLBACK_RATIO : seen.tokens / seen.chars
    return Math.ceil(ratio * text.length)
  }
}

/** The ranks each encoding counts with: `o200k_harmony` adds special tokens to `o200k_base`'s, no others. */
const rankFiles: Record<Encoding, Bpe.RankFile> = {
  o200k_base: "o200k_base",
  o200k_harmony: "o200k_base",
  cl100k_base: "cl100k_base"
}

/**
 * Each rank file's counter, made on first use and kept for the process, as a module import would be
 * (the ranks never change; a gateway rebuilt on a config reload does not read them again).
 */
const counters = new Map<Bpe.RankFile, Promise<CountTokens>>()

const counterOf = (file: Bpe.RankFile): Promise<CountTokens> => {
  const existing = counters.get(file)
  if (existing !== undefined) return existing
  const made = Bpe.load(file).then((ranks) => Bpe.counter(file, ranks))
  counters.set(file, made)
  // A read that failed (a file the system would not open just then) is tried again by the next count.
  made.catch(() => counters.delete(file))
  return made
}

/** The counter of an encoding, its rank file read on first use. */
export const load = (encoding: Encoding): Effect.Effect<CountTokens> => Effect.promise(() => counterOf(rankFiles[encoding]))

const known: Readonly<Record<string, string>> = modelToEncodingMap

/** OpenAI model names, also behind a router prefix such as `openai/gpt-oss-120b`. */
const openAiName = /^(?:openai\/)?((?:gpt-|chatgpt-|codex-|o\d)[\w.:-]*)$/i

/** The tokenizer for a model: its own encoding for OpenAI models, `o200k_base` for the rest. */
export const tokenizerFor = (model: string): Tokenizer => {
  const match = openAiName.exec(model.trim())
  if (match === null) return { encoding: "o200k_base", exact: false }
  const name = match[1]!.toLowerCase()
  const mapped = known[name]
  if (mapped === "o200k_base" || mapped === "cl100k_base" || mapped === "o200k_harmony") {
    return { encoding: mapped, exact: true }
  }
  if (name.startsWith("gpt-oss")) return { encoding: "o200k_harmony", exact: true }
  if (/^gpt-(?:3\.5|4)(?:-|$)/.test(name)) {
    return { encoding: "cl100k_base", exact: true }
  }
  return { encoding: "o200k_base", exact: true }
}

/**
 * Tokens an image costs on OpenAI models: 85 at `detail: "low"`, else 765 (85 base + 4 tiles × 170,
 * a 1024×1024 image at high detail).
 */
const imageTokens = (detail: string | undefined): number => (detail === "low" ? 85 : 765)

const toolCallText = (message: ChatRequest.Message): string =>
  message.role === "assistant" && message.tool_calls !== undefined
    ? message.tool_calls.map((call) => `${call.function.name}${call.function.arguments}`).join("")
    : ""

const imagesIn = (message: ChatRequest.Message): number =>
  message.role === "user" && typeof message.content !== "string"
    ? message.content.reduce(
      (sum, part) => sum + (part.type === "image_url" ? imageTokens(part.image_url.detail) : 0),
      0
    )
    : 0

const messageText = (message: ChatRequest.Message): string =>
  ChatRequest.contentText(message.content) + toolCallText(message)

/** JSON Schema parameters as the library's narrower type; it renders any shape it does not know as `any`. */
const asParameters = (schema: Readonly<Record<string, unknown>>) =>
  schema as unknown as NonNullable<ChatCompletionFunctionDefinition["parameters"]>

/**
 * Messages and tool definitions: OpenAI's rendering of the tools (TypeScript declarations) where the
 * library can render the schemas, else the JSON of each definition (a schema with `null` where a
 * schema belongs, say, which the renderer cannot walk).
 */
const withTools = (
  messages: Array<ChatMessage>,
  functions: Array<ChatCompletionFunctionDefinition>,
  count: CountTokens
): number => {
  try {
    return computeChatCompletionTokenCount({ messages, functions }, count)
  } catch {
    return computeChatCompletionTokenCount({ messages }, count) +
      functions.reduce((sum, f) => sum + count(JSON.stringify(f)), 0)
  }
}

/**
 * Prompt tokens of a chat request: OpenAI's counting rule for chat messages and function definitions
 * (3 tokens per message, 1 per name, 3 to prime the reply, tools rendered as TypeScript
 * declarations), plus images at their fixed token price. Audio and file parts are not counted, nor
 * an assistant turn's `reasoning_content` (most providers do not take it back as input). Counted
 * with a `bounded` counter, so the cost is linear in the request whatever it holds.
 */
export const countRequest = (request: ChatRequest.ChatRequest, countTokens: CountTokens): number => {
  const count = bounded(countTokens)
  const messages: Array<ChatMessage> = request.messages.map((message) => ({
    role: message.role,
    content: messageText(message),
    ...("name" in message && message.name !== undefined ? { name: message.name } : {})
  }))
  const functions = (request.tools ?? []).map((tool): ChatCompletionFunctionDefinition => ({
    name: tool.function.name,
    ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
    ...(tool.function.parameters === undefined ? {} : { parameters: asParameters(tool.function.parameters) })
  }))
  const text = functions.length === 0
    ? computeChatCompletionTokenCount({ messages }, count)
    : withTools(messages, functions, count)
  return text + request.messages.reduce((sum, message) => sum + imagesIn(message), 0)
}
