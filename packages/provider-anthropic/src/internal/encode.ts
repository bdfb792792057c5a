/**
 * The canonical request as an Anthropic Messages body. System messages become `system`; tool results
 * become `tool_result` blocks of a user turn; consecutive turns of one role are merged (the API
 * wants them alternating). What has no equivalent is refused with a `BadRequest` naming the
 * feature, never dropped.
 * Reference: https://docs.anthropic.com/en/api/messages
 */
import type { Effect } from "effect"
import { ChatRequest, type ProviderError, ProviderHttp } from "@switchyard/core"

type Block = Record<string, unknown>
interface Turn {
  readonly role: "user" | "assistant"
  readonly content: Array<Block>
}

/** Refused: the feature cannot be expressed in the Messages API. */
const { Untranslatable } = ProviderHttp

/**
 * The `max_tokens` sent when the client sets none (the API requires one): 4096 for the Claude 3
 * models whose limit it is, 8192 for later models (every current model accepts it).
 */
export const defaultMaxTokens = (model: string): number => (/claude-3-(haiku|sonnet|opus)/.test(model) ? 4096 : 8192)

/** Thinking budgets for OpenAI's `reasoning_effort` levels. */
const thinkingBudget: Readonly<Record<string, number>> = { low: 1024, medium: 4096, high: 16384, xhigh: 32768 }

const dataUrl = (url: string) => /^data:([^;,]+);base64,(.*)$/s.exec(url)

const image = (url: string): Block => {
  const data = dataUrl(url)
  return data === null
    ? { type: "image", source: { type: "url", url } }
    : { type: "image", source: { type: "base64", media_type: data[1], data: data[2] } }
}

const userBlocks = (content: string | ReadonlyArray<ChatRequest.ContentPart>, at: string): Array<Block> => {
  if (typeof content === "string") return [{ type: "text", text: content }]
  return content.map((part, i): Block => {
    switch (part.type) {
      case "text":
        return { type: "text", text: part.text }
      case "image_url":
        return image(part.image_url.url)
      case "file": {
        const data = dataUrl(part.file.file_data ?? "")
        if (data?.[1] === "application/pdf") {
          return { type: "document", source: { type: "base64", media_type: "application/pdf", data: data[2] } }
        }
        throw new Untranslatable("only PDF files given as base64 data can be sent to Anthropic", `${at}.content[${i}]`)
      }
      case "input_audio":
        throw new Untranslatable("audio input is not supported by Anthropic", `${at}.content[${i}]`)
    }
  })
}

const toolInput = (args: string, at: string): unknown => {
  try {
    return args.trim() === "" ? {} : JSON.parse(args)
  } catch {
    throw new Untranslatable("tool call arguments are not valid JSON", at)
  }
}

const turns = (messages: ReadonlyArray<ChatRequest.Message>): { system: string; turns: Array<Turn> } => {
  const system: Array<string> = []
  const out: Array<Turn> = []
  const push = (role: Turn["role"], content: Array<Block>) => {
    const last = out[out.length - 1]
    if (last?.role === role) last.content.push(...content)
    else out.push({ role, content })
  }
  messages.forEach((message, i) => {
    const at = `messages[${i}]`
    switch (message.role) {
      case "system":
      case "developer":
        system.push(ChatRequest.contentText(message.content))
        return
      case "user":
        return push("user", userBlocks(message.content, at))
      case "tool":
        return push("user", [{ type: "tool_result", tool_use_id: message.tool_call_id, content: ChatRequest.contentText(message.content) }])
      case "assistant": {
        const text = ChatRequest.contentText(message.content)
        const calls = (message.tool_calls ?? []).map((call, j): Block => ({
          type: "tool_use",
          id: call.id,
          name: call.function.name,
          input: toolInput(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`)
        }))
        return push("assistant", [...(text === "" ? [] : [{ type: "text", text }]), ...calls])
      }
    }
  })
  return { system: system.join("\n\n"), turns: out }
}

const toolChoice = (request: ChatRequest.ChatRequest): Block | undefined => {
  const choice = request.tool_choice
  const parallel = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {}
  if (choice === undefined) return request.parallel_tool_calls === false ? { type: "auto", ...parallel } : undefined
  if (choice === "none") return { type: "none" }
  if (choice === "auto") return { type: "auto", ...parallel }
  if (choice === "required") return { type: "any", ...parallel }
  return { type: "tool", name: choice.function.name, ...parallel }
}

/**
 * The Messages body; for a token count (`count`), the same without `max_tokens` (whose limit on the
 * thinking budget is then not checked) and without `stream` (the caller passes the prompt only, see
 * `ProviderHttp.countable`).
 */
const body = (request: ChatRequest.ChatRequest, stream: boolean, count = false): Block => {
  const used = ChatRequest.firstUsed(request, ["n", "logprobs", "top_logprobs", "logit_bias", "presence_penalty", "frequency_penalty", "seed"])
  if (used !== undefined) throw new Untranslatable(`${used.feature} has no equivalent in the Anthropic Messages API`, used.param)
  if (request.temperature != null && request.temperature > 1) {
    throw new Untranslatable("Anthropic accepts a temperature between 0 and 1", "temperature")
  }
  const { system, turns: messages } = turns(request.messages)
  const maxTokens = ChatRequest.maxOutputTokens(request) ?? defaultMaxTokens(request.model)
  const budget = request.reasoning_effort === undefined ? undefined : thinkingBudget[request.reasoning_effort]
  if (!count && budget !== undefined && budget >= maxTokens) {
    throw new Untranslatable(
      `reasoning_effort "${request.reasoning_effort}" needs a thinking budget of ${budget} tokens, more than max_tokens ${maxTokens}`,
      "max_tokens"
    )
  }
  const format = request.response_format
  const jsonInstruction = format?.type === "json_object" ? "Respond with a single JSON object and nothing else." : ""
  const systemText = [system, jsonInstruction].filter((s) => s !== "").join("\n\n")
  const stop = request.stop == null ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop
  const choice = toolChoice(request)
  return {
    model: request.model,
    ...(count ? {} : { max_tokens: maxTokens }),
    messages,
    ...(systemText === "" ? {} : { system: systemText }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { top_p: request.top_p }),
    ...(stop === undefined ? {} : { stop_sequences: stop }),
    ...(request.tools === undefined ? {} : {
      tools: request.tools.map((tool) => ({
        name: tool.function.name,
        ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
        input_schema: tool.function.parameters ?? { type: "object", properties: {} }
      }))
    }),
    ...(choice === undefined ? {} : { tool_choice: choice }),
    ...(format?.type === "json_schema"
      ? { output_format: { type: "json_schema", schema: format.json_schema.schema ?? { type: "object" } } }
      : {}),
    ...(budget === undefined ? {} : { thinking: { type: "enabled", budget_tokens: budget } }),
    ...(request.user === undefined ? {} : { metadata: { user_id: request.user } }),
    ...(stream && !count ? { stream: true } : {})
  }
}

/** `anthropic-version` on every call; the structured-outputs beta when the request uses it. */
const headers = (request: ChatRequest.ChatRequest): Record<string, string> => ({
  "anthropic-version": "2023-06-01",
  ...(request.response_format?.type === "json_schema" ? { "anthropic-beta": "structured-outputs-2025-11-13" } : {})
})

export const encode = (
  request: ChatRequest.ChatRequest,
  stream: boolean,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> =>
  ProviderHttp.encodeWith("Anthropic", context, () => ({ path: "/messages", body: body(request, stream), headers: headers(request) }))

/**
 * The token count of a request (`POST /messages/count_tokens`): the Messages body of its prompt
 * (model, messages, system, tools, tool choice, output format, thinking), without `max_tokens`.
 * Reference: https://docs.anthropic.com/en/api/messages-count-tokens
 */
export const encodeCount = (
  request: ChatRequest.ChatRequest,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> => {
  const prompt = ProviderHttp.countable(request)
  return ProviderHttp.encodeWith("Anthropic", context, () => ({
    path: "/messages/count_tokens",
    body: body(prompt, false, true),
    headers: headers(prompt)
  }))
}
