/**
 * Which adapter reads a recorded case: by wire format for streams, by provider for errors and
 * responses. A provider nobody knows is an OpenAI-compatible host (a proxy, a new host).
 */
import type { ProviderHttp } from "@switchyard/core"
import { Anthropic } from "@switchyard/provider-anthropic"
import { Gemini } from "@switchyard/provider-google"
import { Ollama } from "@switchyard/provider-ollama"
import { Hosts, OpenAiChat, OpenAiResponses } from "@switchyard/provider-openai"
import type { Case } from "./Manifest.ts"

const byProvider = (provider: string): ProviderHttp.Dialect => {
  switch (provider) {
    case "anthropic":
      return Anthropic.dialect
    case "gemini":
    case "google":
      return Gemini.dialect
    case "ollama":
      return Ollama.dialect
    default:
      return OpenAiChat.dialect(Hosts.resolve(provider))
  }
}

/** The dialect for a case; `body` lets a response say whether it is a Responses API object. */
export const forCase = (c: Case, body?: unknown): ProviderHttp.Dialect => {
  switch (c.wire_format) {
    case "sse/openai_chat":
      return OpenAiChat.dialect(Hosts.resolve(c.provider))
    case "sse/responses":
      return OpenAiResponses.dialect
    case "sse/anthropic":
      return Anthropic.dialect
    case "sse/gemini":
      return Gemini.dialect
    case "ndjson/ollama":
      return Ollama.dialect
  }
  const isResponsesObject = typeof body === "object" && body !== null && (body as { object?: unknown }).object === "response"
  return isResponsesObject ? OpenAiResponses.dialect : byProvider(c.provider)
}
