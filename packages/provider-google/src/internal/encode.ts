/**
 * The canonical request as a Gemini `generateContent` body: system messages become
 * `systemInstruction`, turns become `contents` with roles `user` / `model` and `parts`, tools become
 * `functionDeclarations` (the JSON Schema passed as `parametersJsonSchema`), tool results become
 * `functionResponse` parts named after the call they answer. What has no equivalent is refused with a
 * `BadRequest` naming the feature, never dropped.
 * Reference: https://ai.google.dev/api/generate-content
 */
import type { Effect } from "effect"
import { ChatRequest, type ProviderError, ProviderHttp } from "@switchyard/core"

type Part = Record<string, unknown>
interface Content {
  readonly role: "user" | "model"
  readonly parts: Array<Part>
}

const { Untranslatable } = ProviderHttp

/** Thinking budgets for OpenAI's `reasoning_effort` levels (`none` turns thinking off). */
const thinkingBudget: Readonly<Record<string, number>> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768 }

const mimeByExtension: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  pdf: "application/pdf"
}

const dataUrl = (url: string) => /^data:([^;,]+);base64,(.*)$/s.exec(url)

const media = (url: string, fallbackMime: string): Part => {
  const data = dataUrl(url)
  if (data !== null) return { inlineData: { mimeType: data[1], data: data[2] } }
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase()
  return { fileData: { fileUri: url, mimeType: (extension && mimeByExtension[extension]) ?? fallbackMime } }
}

const parseJson = (text: string, at: string): unknown => {
  try {
    return text.trim() === "" ? {} : JSON.parse(text)
  } catch {
    throw new Untranslatable("tool call arguments are not valid JSON", at)
  }
}

const userParts = (content: string | ReadonlyArray<ChatRequest.ContentPart>, at: string): Array<Part> => {
  if (typeof content === "string") return [{ text: content }]
  return content.map((part, i): Part => {
    switch (part.type) {
      case "text":
        return { text: part.text }
      case "image_url":
        return media(part.image_url.url, "image/jpeg")
      case "input_audio":
        return { inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } }
      case "file": {
        if (part.file.file_data !== undefined) return media(part.file.file_data, "application/pdf")
        throw new Untranslatable("files must be given as data URLs for Gemini (file ids are OpenAI's)", `${at}.content[${i}]`)
      }
    }
  })
}

const contents = (messages: ReadonlyArray<ChatRequest.Message>) => {
  const system: Array<string> = []
  const out: Array<Content> = []
  /** Tool call id → function name: Gemini names a function response by the function, not the call. */
  const callNames = new Map<string, string>()
  const push = (role: Content["role"], parts: Array<Part>) => {
    const last = out[out.length - 1]
    if (last?.role === role) last.parts.push(...parts)
    else out.push({ role, parts })
  }
  messages.forEach((message, i) => {
    const at = `messages[${i}]`
    switch (message.role) {
      case "system":
      case "developer":
        system.push(ChatRequest.contentText(message.content))
        return
      case "user":
        return push("user", userParts(message.content, at))
      case "assistant": {
        const text = ChatRequest.contentText(message.content)
        const calls = (message.tool_calls ?? []).map((call, j): Part => {
          callNames.set(call.id, call.function.name)
          return { functionCall: { name: call.function.name, args: parseJson(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`) } }
        })
        return push("model", [...(text === "" ? [] : [{ text }]), ...calls])
      }
      case "tool": {
        const name = callNames.get(message.tool_call_id)
        if (name === undefined) {
          throw new Untranslatable(`no earlier tool call has the id "${message.tool_call_id}"`, `${at}.tool_call_id`)
        }
        const text = ChatRequest.contentText(message.content)
        let result: unknown
        try {
          result = JSON.parse(text)
        } catch {
          result = text
        }
        const response = typeof result === "object" && result !== null && !Array.isArray(result) ? result : { result }
        return push("user", [{ functionResponse: { name, response } }])
      }
    }
  })
  return { system: system.join("\n\n"), contents: out }
}

const toolConfig = (choice: ChatRequest.ToolChoice | undefined): Part | undefined => {
  if (choice === undefined) return undefined
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } }
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } }
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } }
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } }
}

const body = (request: ChatRequest.ChatRequest): Part => {
  const used = ChatRequest.firstUsed(request, ["logit_bias", "logprobs", "top_logprobs"])
  if (used !== undefined) throw new Untranslatable(`${used.feature} has no equivalent in the Gemini API`, used.param)
  if (request.parallel_tool_calls === false) {
    throw new Untranslatable("turning parallel tool calls off has no equivalent in the Gemini API", "parallel_tool_calls")
  }
  const { contents: turns, system } = contents(request.messages)
  const format = request.response_format
  const stop = request.stop == null ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop
  const budget = request.reasoning_effort === undefined ? undefined : thinkingBudget[request.reasoning_effort]
  const limit = ChatRequest.maxOutputTokens(request)
  const generationConfig: Part = {
    ...(limit === undefined ? {} : { maxOutputTokens: limit }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
    ...(stop === undefined ? {} : { stopSequences: stop }),
    ...(request.n == null ? {} : { candidateCount: request.n }),
    ...(request.seed == null ? {} : { seed: request.seed }),
    ...(request.presence_penalty == null ? {} : { presencePenalty: request.presence_penalty }),
    ...(request.frequency_penalty == null ? {} : { frequencyPenalty: request.frequency_penalty }),
    ...(format?.type === "json_object" ? { responseMimeType: "application/json" } : {}),
    ...(format?.type === "json_schema"
      ? { responseMimeType: "application/json", responseJsonSchema: format.json_schema.schema ?? { type: "object" } }
      : {}),
    ...(budget === undefined ? {} : { thinkingConfig: { thinkingBudget: budget, includeThoughts: budget > 0 } })
  }
  const config = toolConfig(request.tool_choice)
  return {
    contents: turns,
    ...(system === "" ? {} : { systemInstruction: { parts: [{ text: system }] } }),
    ...(request.tools === undefined ? {} : {
      tools: [{
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.function.name,
          ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
          ...(tool.function.parameters === undefined ? {} : { parametersJsonSchema: tool.function.parameters })
        }))
      }]
    }),
    ...(config === undefined ? {} : { toolConfig: config }),
    ...(Object.keys(generationConfig).length === 0 ? {} : { generationConfig })
  }
}

/** The model's path segment: `models/<id>`, whether or not the request already says `models/`. */
const modelPath = (model: string) => (model.startsWith("models/") ? model : `models/${model}`)

export const encode = (
  request: ChatRequest.ChatRequest,
  stream: boolean,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> =>
  ProviderHttp.encodeWith("Gemini", context, () => ({
    path: `${modelPath(request.model)}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    body: body(request)
  }))
