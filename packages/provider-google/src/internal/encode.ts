/**
 * The canonical request as a Gemini `generateContent` body: system messages become
 * `systemInstruction`, turns become `contents` with roles `user` / `model` and `parts`, tools become
 * `functionDeclarations` (the client's JSON Schema passed untouched as `parametersJsonSchema`, which
 * takes full JSON Schema, rather than rewritten into the OpenAPI subset of `parameters`), tool results
 * become `functionResponse` parts named after the call they answer. What has no equivalent is refused
 * with a `BadRequest` naming the feature, never dropped.
 * Reference: https://ai.google.dev/api/generate-content
 */
import type { Effect } from "effect"
import { ChatRequest, type ProviderError, ProviderHttp } from "@switchyard/core"
import * as ModelFamily from "./modelFamily.ts"

type Part = Record<string, unknown>
interface Content {
  readonly role: "user" | "model"
  readonly parts: Array<Part>
}

const { Untranslatable } = ProviderHttp

const mimeByExtension: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf"
}

/** A `data:` URL becomes `inlineData`; any other URL `fileData`, which Google fetches itself. */
const media = (url: string, fallbackMime: string): Part => {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  if (data !== null) return { inlineData: { mimeType: data[1], data: data[2] } }
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase()
  return { fileData: { mimeType: (extension && mimeByExtension[extension]) ?? fallbackMime, fileUri: url } }
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
        throw new Untranslatable("a file must be sent as data (file ids are OpenAI's) for the Gemini API", `${at}.content[${i}]`)
      }
    }
  })
}

const callArguments = (text: string, at: string): unknown => {
  let args: unknown
  try {
    args = text.trim() === "" ? {} : JSON.parse(text)
  } catch {
    throw new Untranslatable("tool call arguments are not valid JSON", at)
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new Untranslatable("tool call arguments must be a JSON object for the Gemini API", at)
  }
  return args
}

/** A tool result as the `response` object: JSON objects as they are, anything else under `result`. */
const resultObject = (text: string): unknown => {
  let result: unknown
  try {
    result = JSON.parse(text)
  } catch {
    result = text
  }
  return typeof result === "object" && result !== null && !Array.isArray(result) ? result : { result }
}

const conversation = (request: ChatRequest.ChatRequest) => {
  const system: Array<string> = []
  const out: Array<Content> = []
  /** Tool call id → function name: Gemini names a function response by the function, not the call. */
  const callNames = new Map<string, string>()
  const signCalls = ModelFamily.validatesSignatures(request.model)
  const push = (role: Content["role"], parts: Array<Part>) => {
    if (parts.length === 0) return
    const last = out[out.length - 1]
    if (last?.role === role) last.parts.push(...parts)
    else out.push({ role, parts })
  }
  request.messages.forEach((message, i) => {
    const at = `messages[${i}]`
    switch (message.role) {
      case "system":
      case "developer":
        system.push(ChatRequest.contentText(message.content))
        return
      case "user":
        return push("user", userParts(message.content, at))
      case "assistant": {
        const text = ChatRequest.contentText(message.content) || (message.refusal ?? "")
        const calls = (message.tool_calls ?? []).map((call, j): Part => {
          callNames.set(call.id, call.function.name)
          const functionCall = {
            name: call.function.name,
            args: callArguments(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`)
          }
          // The signature the model gave this call is not kept in the canonical history.
          return signCalls && j === 0 ? { functionCall, thoughtSignature: ModelFamily.skipSignature } : { functionCall }
        })
        return push("model", [...(text === "" ? [] : [{ text }]), ...calls])
      }
      case "tool": {
        const name = callNames.get(message.tool_call_id)
        if (name === undefined) {
          throw new Untranslatable(`no earlier tool call has the id "${message.tool_call_id}"`, `${at}.tool_call_id`)
        }
        return push("user", [{ functionResponse: { name, response: resultObject(ChatRequest.contentText(message.content)) } }])
      }
    }
  })
  return { system: system.join("\n\n"), contents: out }
}

const functionCallingConfig = (choice: ChatRequest.ToolChoice): Part => {
  if (choice === "auto") return { mode: "AUTO" }
  if (choice === "none") return { mode: "NONE" }
  if (choice === "required") return { mode: "ANY" }
  return { mode: "ANY", allowedFunctionNames: [choice.function.name] }
}

const tools = (request: ChatRequest.ChatRequest): Part => {
  if (request.tools === undefined || request.tools.length === 0) return {}
  if (request.parallel_tool_calls === false && request.tool_choice !== "none") {
    throw new Untranslatable("turning parallel tool calls off has no equivalent in the Gemini API", "parallel_tool_calls")
  }
  return {
    tools: [{
      functionDeclarations: request.tools.map((tool) => ({
        name: tool.function.name,
        ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
        ...(tool.function.parameters === undefined ? {} : { parametersJsonSchema: tool.function.parameters })
      }))
    }],
    ...(request.tool_choice === undefined ? {} : { toolConfig: { functionCallingConfig: functionCallingConfig(request.tool_choice) } })
  }
}

const responseFormat = (format: ChatRequest.ResponseFormat | undefined): Part => {
  if (format?.type === "json_object") return { responseMimeType: "application/json" }
  if (format?.type === "json_schema") {
    const schema = format.json_schema.schema
    return { responseMimeType: "application/json", ...(schema === undefined ? {} : { responseJsonSchema: schema }) }
  }
  return {}
}

const generationConfig = (request: ChatRequest.ChatRequest): Part => {
  const stop = request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop
  const limit = ChatRequest.maxOutputTokens(request)
  return {
    ...(limit === undefined ? {} : { maxOutputTokens: limit }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
    ...(stop.length === 0 ? {} : { stopSequences: stop }),
    ...(request.n == null ? {} : { candidateCount: request.n }),
    ...(request.seed == null ? {} : { seed: request.seed }),
    ...(request.presence_penalty == null ? {} : { presencePenalty: request.presence_penalty }),
    ...(request.frequency_penalty == null ? {} : { frequencyPenalty: request.frequency_penalty }),
    ...responseFormat(request.response_format),
    ...(request.reasoning_effort === undefined
      ? {}
      : { thinkingConfig: ModelFamily.thinkingConfig(request.model, request.reasoning_effort) })
  }
}

/** OpenAI's `service_tier` as Google's: `flex` and `priority` exist on both; `auto`/`default` are the standard tier. */
const serviceTier = (tier: string | null | undefined): Part => {
  if (tier == null || tier === "auto" || tier === "default") return {}
  if (tier === "flex" || tier === "priority") return { serviceTier: tier }
  throw new Untranslatable(`service tier "${tier}" has no equivalent in the Gemini API`, "service_tier")
}

/** The `generateContent` body of a request (without the model, which is in the path). */
export const body = (request: ChatRequest.ChatRequest): Part => {
  const used = ChatRequest.firstUsed(request, ["logprobs", "top_logprobs", "logit_bias"])
  if (used !== undefined) throw new Untranslatable(`${used.feature} has no equivalent in the Gemini API`, used.param)
  const { contents, system } = conversation(request)
  const config = generationConfig(request)
  return {
    contents,
    ...(system === "" ? {} : { systemInstruction: { parts: [{ text: system }] } }),
    ...tools(request),
    ...(Object.keys(config).length === 0 ? {} : { generationConfig: config }),
    ...serviceTier(request.service_tier)
  }
}

/** The model's resource name: `models/<id>`, unless the request already names one (`tunedModels/...`). */
export const resourceName = (model: string) => (model.includes("/") ? model : `models/${model}`)

export const encode = (
  request: ChatRequest.ChatRequest,
  stream: boolean,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> =>
  ProviderHttp.encodeWith("Gemini", context, () => ({
    path: `${resourceName(request.model)}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    body: body(request)
  }))
