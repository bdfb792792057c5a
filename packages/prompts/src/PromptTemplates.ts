/**
 * The `PromptTemplates` service: how a prompt is written for each provider and model. A template
 * says where the system prompt goes (the system role, or the first user message for models that
 * lack or ignore one), which few-shot examples come first, and how the output contract is asked for:
 * the provider's native structured output (`response_format` JSON schema, which each adapter
 * translates: OpenAI `json_schema`, Gemini `responseJsonSchema`, Anthropic `output_format`), a
 * forced tool call whose arguments are the answer, or plain instructions.
 */
import { Context, Layer, Schema } from "effect"
import type { ChatRequest } from "@switchyard/core"
import type { OutputContract } from "./OutputContract.ts"

export const Template = Schema.Struct({
  /** `system`: a system message; `user`: merged into the first user message. */
  system: Schema.optionalKey(Schema.Literals(["system", "user"])),
  structured_output: Schema.optionalKey(Schema.Literals(["json_schema", "tool", "instructions"])),
  /** Replaces the generated output instruction (used with `instructions`, added to the others). */
  instructions: Schema.optionalKey(Schema.String),
  examples: Schema.optionalKey(Schema.Array(Schema.Struct({ user: Schema.String, assistant: Schema.String })))
})
export type Template = typeof Template.Type

/** A template for the routes it matches: `provider` exactly, `model` exactly or by a `*` glob. */
export const Rule = Schema.Struct({
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  template: Template
})
export type Rule = typeof Rule.Type

/**
 * The `templates` section of the config:
 *
 * ```yaml
 * templates:
 *   default: { structured_output: json_schema }
 *   rules:
 *     - { provider: claude, template: { structured_output: tool } }
 *     - { model: "gemma-*", template: { system: user, structured_output: instructions } }
 * ```
 */
export const Config = Schema.Struct({
  default: Schema.optionalKey(Template),
  rules: Schema.optionalKey(Schema.Array(Rule))
})
export type Config = typeof Config.Type

const glob = (pattern: string) =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`)

const matches = (rule: Rule, provider: string, model: string): boolean =>
  (rule.provider === undefined || rule.provider === provider) &&
  (rule.model === undefined || glob(rule.model).test(model))

/** The instruction that asks for JSON matching the contract. */
export const outputInstruction = (contract: OutputContract): string =>
  `Answer with a single JSON value and nothing else (no markdown, no prose), matching this JSON Schema:\n${
    JSON.stringify(contract.jsonSchema)
  }`

const textOf = (content: ChatRequest.Message["content"]): string =>
  typeof content === "string" ? content : (content ?? []).map((p) => ("text" in p ? p.text : "")).join("")

/** The request written with `template`, asking for `contract` when there is one. */
export const apply = (template: Template, request: ChatRequest.ChatRequest, contract?: OutputContract): ChatRequest.ChatRequest => {
  const mode = template.structured_output ?? "json_schema"
  const systemParts = request.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content))
  const instruction = contract === undefined
    ? template.instructions
    : template.instructions ?? (mode === "instructions" ? outputInstruction(contract) : undefined)
  const system = [...systemParts, ...(instruction === undefined ? [] : [instruction])].join("\n\n")
  const rest = request.messages.filter((m) => m.role !== "system" && m.role !== "developer")
  const examples: Array<ChatRequest.Message> = (template.examples ?? []).flatMap((e) => [
    { role: "user" as const, content: e.user },
    { role: "assistant" as const, content: e.assistant }
  ])
  let conversation: Array<ChatRequest.Message> = [...examples, ...rest]
  if (system !== "" && template.system === "user") {
    const first = conversation.findIndex((m) => m.role === "user")
    conversation = conversation.map((m, i) => (i === first ? { role: "user", content: `${system}\n\n${textOf(m.content)}` } : m))
  } else if (system !== "") {
    conversation = [{ role: "system", content: system }, ...conversation]
  }
  const structured: Partial<ChatRequest.ChatRequest> = contract === undefined
    ? {}
    : mode === "json_schema"
    ? { response_format: { type: "json_schema", json_schema: { name: contract.name, schema: contract.jsonSchema } } }
    : mode === "tool"
    ? {
      tools: [{ type: "function", function: { name: contract.name, description: "Give the answer.", parameters: contract.jsonSchema } }],
      tool_choice: { type: "function", function: { name: contract.name } }
    }
    : {}
  return { ...request, messages: conversation, ...structured }
}

export class PromptTemplates extends Context.Service<PromptTemplates, {
  /** The template for a route: the first matching rule's, else the default. */
  readonly forRoute: (provider: string, model: string) => Template
}>()("@switchyard/prompts/PromptTemplates") {}

/** Templates from config and code: rules in order, first match wins. */
export const make = (config: Config = {}) => {
  const rules = config.rules ?? []
  const fallback = config.default ?? {}
  return PromptTemplates.of({
    forRoute: (provider, model) => rules.find((r) => matches(r, provider, model))?.template ?? fallback
  })
}

export const layer = (config: Config = {}): Layer.Layer<PromptTemplates> => Layer.succeed(PromptTemplates, make(config))
