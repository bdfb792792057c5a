/**
 * The canonical request as an Ollama `/api/chat` body: messages with base64 `images`, tool calls
 * with object arguments, tool results named by `tool_name`, sampling settings under `options`,
 * `format` for JSON output and `think` for reasoning. What Ollama cannot express is refused with
 * `BadRequest` naming the feature.
 * Reference: https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion
 */
import { Effect } from "effect"
import { ChatRequest, ProviderError, type ProviderHttp } from "@switchyard/core"

type Json = Record<string, unknown>

/** A feature the request asks for that Ollama cannot honour, with the parameter. */
interface Unsupported {
  readonly feature: string
  readonly param: string
}

const unsupported = (request: ChatRequest.ChatRequest): Unsupported | undefined => {
  const used = ChatRequest.firstUsed(request, ["n", "logprobs", "top_logprobs", "logit_bias"])
  if (used !== undefined) return used
  const choice = request.tool_choice
  if (choice === "required" || typeof choice === "object") {
    return { feature: "forcing a tool call (tool_choice)", param: "tool_choice" }
  }
  return undefined
}

/** The base64 payload of a `data:` URL; Ollama cannot fetch remote images. */
const imageData = (url: string): Effect.Effect<string, Unsupported> => {
  const match = /^data:[^,]*;base64,(.*)$/s.exec(url)
  return match
    ? Effect.succeed(match[1]!)
    : Effect.fail({ feature: "image URLs (only base64 data URLs)", param: "messages" })
}

const userMessage = (content: string | ReadonlyArray<ChatRequest.ContentPart>): Effect.Effect<Json, Unsupported> =>
  Effect.gen(function*() {
    if (typeof content === "string") return { role: "user", content }
    const images: Array<string> = []
    for (const part of content) {
      if (part.type === "image_url") images.push(yield* imageData(part.image_url.url))
      else if (part.type === "input_audio") return yield* Effect.fail({ feature: "audio input", param: "messages" })
      else if (part.type === "file") return yield* Effect.fail({ feature: "file input", param: "messages" })
    }
    return { role: "user", content: ChatRequest.contentText(content), ...(images.length > 0 ? { images } : {}) }
  })

const notAnObject: Unsupported = { feature: "tool call arguments that are not a JSON object", param: "messages" }

/** Ollama takes arguments as an object, not as the JSON text the canonical request carries. */
const toolArguments = (text: string): Effect.Effect<unknown, Unsupported> =>
  Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => notAnObject }).pipe(
    Effect.flatMap((value) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Effect.succeed(value)
        : Effect.fail(notAnObject)
    )
  )

const message = (
  m: ChatRequest.Message,
  toolNames: ReadonlyMap<string, string>
): Effect.Effect<Json, Unsupported> => {
  switch (m.role) {
    case "system":
    case "developer":
      return Effect.succeed({ role: "system", content: ChatRequest.contentText(m.content) })
    case "user":
      return userMessage(m.content)
    case "assistant":
      return Effect.map(
        Effect.forEach(m.tool_calls ?? [], (call) =>
          Effect.map(toolArguments(call.function.arguments), (args) => ({
            type: "function",
            function: { name: call.function.name, arguments: args }
          }))),
        (calls) => ({
          role: "assistant",
          content: ChatRequest.contentText(m.content) || (m.refusal ?? ""),
          ...(m.reasoning_content ? { thinking: m.reasoning_content } : {}),
          ...(calls.length > 0 ? { tool_calls: calls } : {})
        })
      )
    case "tool": {
      const name = toolNames.get(m.tool_call_id)
      return Effect.succeed({
        role: "tool",
        content: ChatRequest.contentText(m.content),
        ...(name === undefined ? {} : { tool_name: name })
      })
    }
  }
}

const format = (f: ChatRequest.ResponseFormat | undefined): unknown =>
  f === undefined || f.type === "text"
    ? undefined
    : f.type === "json_object"
    ? "json"
    : (f.json_schema.schema ?? "json")

/** Ollama's `think`: off, or a level (models without levels use their default). */
const think = (effort: ChatRequest.ChatRequest["reasoning_effort"]): boolean | string | undefined => {
  switch (effort) {
    case undefined:
      return undefined
    case "none":
      return false
    case "minimal":
    case "low":
      return "low"
    case "medium":
      return "medium"
    case "high":
    case "xhigh":
      return "high"
  }
}

const defined = (fields: Json): Json => Object.fromEntries(Object.entries(fields).filter(([, v]) => v != null))

/** The request body; fails with `BadRequest` for what Ollama cannot express. */
export const encode = (
  request: ChatRequest.ChatRequest,
  stream: boolean,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> =>
  Effect.gen(function*() {
    const refused = unsupported(request)
    if (refused !== undefined) return yield* Effect.fail(refused)
    const toolNames = new Map(
      request.messages.flatMap((m) =>
        m.role === "assistant" ? (m.tool_calls ?? []).map((c) => [c.id, c.function.name] as const) : []
      )
    )
    const messages = yield* Effect.forEach(request.messages, (m) => message(m, toolNames))
    const stop = request.stop == null ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop
    const options = defined({
      temperature: request.temperature,
      top_p: request.top_p,
      num_predict: ChatRequest.maxOutputTokens(request),
      stop: stop !== undefined && stop.length > 0 ? stop : undefined,
      seed: request.seed,
      presence_penalty: request.presence_penalty,
      frequency_penalty: request.frequency_penalty
    })
    const body = defined({
      model: request.model,
      messages,
      // `tool_choice: "none"` means no tools at all.
      tools: request.tool_choice === "none" ? undefined : request.tools,
      format: format(request.response_format),
      options: Object.keys(options).length > 0 ? options : undefined,
      think: think(request.reasoning_effort),
      stream
    })
    return { path: "/api/chat", body } satisfies ProviderHttp.Encoded
  }).pipe(
    Effect.mapError((refused) =>
      new ProviderError.BadRequest({
        provider: context.provider,
        message: `${context.provider}: ${refused.feature} is not supported by Ollama`,
        param: refused.param
      })
    )
  )
