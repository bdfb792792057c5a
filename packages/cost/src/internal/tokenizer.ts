/**
 * Token counting with `gpt-tokenizer`. OpenAI models are counted with their own encoding; every
 * other model is counted with `o200k_base` as a stand-in for its vendor's tokenizer (see
 * docs/cost.md). Encodings are loaded on first use (each is megabytes of ranks) and kept.
 */
import { Effect } from "effect"
import { modelToEncodingMap } from "gpt-tokenizer/mapping"
import {
  type ChatCompletionFunctionDefinition,
  type ChatMessage,
  computeChatCompletionTokenCount
} from "gpt-tokenizer/functionCalling"
import * as ChatRequest from "@switchyard/core/ChatRequest"

/** The encodings this package loads. */
export type Encoding = "o200k_base" | "cl100k_base" | "o200k_harmony"

/** How a model's tokens are counted. */
export interface Tokenizer {
  readonly encoding: Encoding
  /** `true` when the encoding is the model's own (an OpenAI model), `false` for a stand-in. */
  readonly exact: boolean
}

type CountTokens = (text: string) => number

const loaders: Record<Encoding, () => Promise<CountTokens>> = {
  o200k_base: () => import("gpt-tokenizer/encoding/o200k_base").then((m) => (text: string) => m.countTokens(text)),
  cl100k_base: () => import("gpt-tokenizer/encoding/cl100k_base").then((m) => (text: string) => m.countTokens(text)),
  o200k_harmony: () =>
    import("gpt-tokenizer/encoding/o200k_harmony").then((m) => (text: string) => m.countTokens(text))
}

/** A loader per encoding that imports it once. */
export const makeLoader = (): Effect.Effect<(encoding: Encoding) => Effect.Effect<CountTokens>> =>
  Effect.sync(() => {
    const loaded = new Map<Encoding, Promise<CountTokens>>()
    return (encoding: Encoding) =>
      Effect.promise(() => {
        const existing = loaded.get(encoding)
        if (existing !== undefined) return existing
        const promise = loaders[encoding]()
        loaded.set(encoding, promise)
        return promise
      })
  })

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
 * Prompt tokens of a chat request: OpenAI's counting rule for chat messages and function definitions
 * (3 tokens per message, 1 per name, 3 to prime the reply, tools rendered as TypeScript
 * declarations), plus images at their fixed token price. Audio and file parts are not counted, nor
 * an assistant turn's `reasoning_content` (most providers do not take it back as input).
 */
export const countRequest = (request: ChatRequest.ChatRequest, count: CountTokens): number => {
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
  const text = computeChatCompletionTokenCount(
    { messages, ...(functions.length === 0 ? {} : { functions }) },
    count
  )
  return text + request.messages.reduce((sum, message) => sum + imagesIn(message), 0)
}
