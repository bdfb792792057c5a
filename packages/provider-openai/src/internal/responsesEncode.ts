/**
 * The canonical (Chat Completions shaped) request as a Responses API request body.
 * Leading system/developer messages become `instructions`; the rest of the conversation becomes
 * `input` items (tool calls and tool results are items of their own). What the Responses API cannot
 * express is refused with `BadRequest` naming the feature, never dropped silently.
 * Reference: https://platform.openai.com/docs/api-reference/responses/create
 */
import { Effect } from "effect"
import { ChatRequest, ProviderError, type ProviderHttp } from "@switchyard/core"

type Json = Record<string, unknown>

/** A feature the request asks for that the Responses API cannot honour, with the parameter. */
interface Unsupported {
  readonly feature: string
  readonly param: string
}

const unsupported = (request: ChatRequest.ChatRequest): Unsupported | undefined =>
  ChatRequest.firstUsed(request, ["n", "logprobs", "top_logprobs", "logit_bias", "stop", "seed"])

const userPart = (part: ChatRequest.ContentPart): Effect.Effect<Json, Unsupported> => {
  switch (part.type) {
    case "text":
      return Effect.succeed({ type: "input_text", text: part.text })
    case "image_url":
      return Effect.succeed({
        type: "input_image",
        image_url: part.image_url.url,
        detail: part.image_url.detail ?? "auto"
      })
    case "file":
      return Effect.succeed({ type: "input_file", ...part.file })
    case "input_audio":
      return Effect.fail({ feature: "audio input", param: "messages" })
  }
}

const messageItems = (message: ChatRequest.Message): Effect.Effect<ReadonlyArray<Json>, Unsupported> => {
  switch (message.role) {
    case "system":
    case "developer":
      return Effect.succeed([{ role: message.role, content: ChatRequest.contentText(message.content) }])
    case "user":
      return typeof message.content === "string"
        ? Effect.succeed([{ role: "user", content: message.content }])
        : Effect.map(Effect.forEach(message.content, userPart), (content) => [{ role: "user", content }])
    case "assistant": {
      const text = ChatRequest.contentText(message.content) || (message.refusal ?? "")
      const calls = (message.tool_calls ?? []).map((call) => ({
        type: "function_call",
        call_id: call.id,
        name: call.function.name,
        arguments: call.function.arguments
      }))
      return Effect.succeed([...(text.length > 0 ? [{ role: "assistant", content: text }] : []), ...calls])
    }
    case "tool":
      return Effect.succeed([{
        type: "function_call_output",
        call_id: message.tool_call_id,
        output: ChatRequest.contentText(message.content)
      }])
  }
}

const tool = (t: ChatRequest.FunctionTool): Json => ({
  type: "function",
  name: t.function.name,
  ...(t.function.description === undefined ? {} : { description: t.function.description }),
  parameters: t.function.parameters ?? { type: "object", properties: {} },
  // Chat Completions tools are lax unless asked; Responses tools are strict by default.
  strict: t.function.strict ?? false
})

const toolChoice = (choice: ChatRequest.ToolChoice): unknown =>
  typeof choice === "string" ? choice : { type: "function", name: choice.function.name }

const textFormat = (format: ChatRequest.ResponseFormat): Json => {
  switch (format.type) {
    case "text":
    case "json_object":
      return { type: format.type }
    case "json_schema": {
      const { description, name, schema, strict } = format.json_schema
      return {
        type: "json_schema",
        name,
        ...(description === undefined ? {} : { description }),
        ...(schema === undefined ? {} : { schema }),
        ...(strict == null ? {} : { strict })
      }
    }
  }
}

const defined = (fields: Json): Json => Object.fromEntries(Object.entries(fields).filter(([, v]) => v != null))

const nonZero = (n: number | null | undefined) => (n == null || n === 0 ? undefined : n)

/** The request body; fails with `BadRequest` for what the Responses API cannot express. */
export const encode = (
  request: ChatRequest.ChatRequest,
  stream: boolean,
  context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> =>
  Effect.gen(function*() {
    const refused = unsupported(request)
    if (refused !== undefined) return yield* Effect.fail(refused)
    const firstTurn = request.messages.findIndex((m) => m.role !== "system" && m.role !== "developer")
    const leading = firstTurn === -1 ? request.messages : request.messages.slice(0, firstTurn)
    const rest = firstTurn === -1 ? [] : request.messages.slice(firstTurn)
    const instructions = leading.map((m) => ChatRequest.contentText(m.content)).join("\n\n")
    const input = (yield* Effect.forEach(rest, messageItems)).flat()
    const effort = request.reasoning_effort
    const body = defined({
      model: request.model,
      instructions: instructions.length > 0 ? instructions : undefined,
      input,
      tools: request.tools?.map(tool),
      tool_choice: request.tool_choice === undefined ? undefined : toolChoice(request.tool_choice),
      parallel_tool_calls: request.parallel_tool_calls,
      text: request.response_format === undefined ? undefined : { format: textFormat(request.response_format) },
      temperature: request.temperature,
      top_p: request.top_p,
      presence_penalty: nonZero(request.presence_penalty),
      frequency_penalty: nonZero(request.frequency_penalty),
      max_output_tokens: ChatRequest.maxOutputTokens(request),
      reasoning: effort === undefined ? undefined : effort === "none" ? { effort } : { effort, summary: "auto" },
      user: request.user,
      metadata: request.metadata,
      service_tier: request.service_tier,
      store: false,
      stream
    })
    return { path: "/responses", body } satisfies ProviderHttp.Encoded
  }).pipe(
    Effect.mapError((refused) =>
      new ProviderError.BadRequest({
        provider: context.provider,
        message: `${context.provider}: ${refused.feature} is not supported by the OpenAI Responses API`,
        param: refused.param
      })
    )
  )
