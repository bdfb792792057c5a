/**
 * The OpenAI-compatible hosts as data: one Chat Completions adapter serves them all, and a `Host`
 * says only where a host differs. What every host may send (reasoning in `reasoning_content` or
 * `reasoning`, DeepSeek's cache-hit counts, usage at the top level, in Groq's `x_groq.usage` or in
 * Moonshot's `choices[0].usage`, on the finish chunk or on every chunk, Mistral's content arrays,
 * tool calls without an index, an empty-string `finish_reason`, errors inside a 200 stream) is read
 * by the adapter for all of them, so an unknown host (a proxy, a new vendor) gets the same tolerance.
 */
import type { ErrorClassifier } from "@switchyard/core"

export interface Host {
  readonly name: string
  /** The API root (ending in `/v1` or the host's equivalent); `undefined` when it must be configured. */
  readonly defaultBaseUrl: string | undefined
  /** Sends `stream_options: {include_usage: true}` so a stream ends with its usage. */
  readonly streamUsage: boolean
  /**
   * Also asks for usage on every chunk (`stream_options.continuous_usage_stats`, vLLM and SGLang), so
   * a stream cut short still carries the server's own input count and the output so far.
   */
  readonly continuousUsage: boolean
  /** The field that carries the output limit. OpenAI deprecated `max_tokens` for reasoning models. */
  readonly maxTokensField: "max_completion_tokens" | "max_tokens"
  /**
   * Reasoning tokens are reported outside `completion_tokens` (xAI), so output is their sum. Without
   * this flag the adapter still detects it when `total_tokens` says so.
   */
  readonly reasoningOutsideCompletion: boolean
  /** Error codes and messages this host words differently. */
  readonly errorRules?: ErrorClassifier.Rules | undefined
  /** What is different about this host, for people (docs/providers.md). */
  readonly quirks: ReadonlyArray<string>
}

const base = {
  streamUsage: true,
  continuousUsage: false,
  maxTokensField: "max_tokens",
  reasoningOutsideCompletion: false,
  quirks: []
} as const

/** Any OpenAI-compatible server: a proxy, vLLM, a new vendor. */
export const generic: Host = { ...base, name: "openai-compatible", defaultBaseUrl: undefined }

export const hosts: ReadonlyArray<Host> = [
  {
    ...base,
    name: "openai",
    defaultBaseUrl: "https://api.openai.com/v1",
    maxTokensField: "max_completion_tokens",
    quirks: [
      "usage only on request (`stream_options.include_usage`), in a final chunk with `choices: []`",
      "`prompt_tokens` includes cached tokens; `completion_tokens` includes reasoning tokens",
      "429 `insufficient_quota` is a billing stop, not a rate limit"
    ]
  },
  {
    ...base,
    name: "xai",
    defaultBaseUrl: "https://api.x.ai/v1",
    reasoningOutsideCompletion: true,
    quirks: [
      "reasoning tokens are reported outside `completion_tokens` (added to output)",
      "a whole tool call can arrive in one delta"
    ]
  },
  {
    ...base,
    name: "moonshot",
    defaultBaseUrl: "https://api.moonshot.ai/v1",
    errorRules: { codes: { exceeded_current_quota_error: "quota_exceeded", engine_overloaded_error: "overloaded" } },
    quirks: [
      "errors typed `exceeded_current_quota_error`, `engine_overloaded_error`, `rate_limit_reached_error`",
      "usage inside the choice (`choices[0].usage`) of the finish chunk, not at the top level"
    ]
  },
  {
    ...base,
    name: "deepseek",
    defaultBaseUrl: "https://api.deepseek.com/v1",
    quirks: [
      "reasoning in `reasoning_content`",
      "cache hits as `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`",
      "usage on the finish chunk, `usage: null` before it",
      "JSON errors served as `application/octet-stream`"
    ]
  },
  {
    ...base,
    name: "groq",
    defaultBaseUrl: "https://api.groq.com/openai/v1",
    quirks: [
      "reasoning in `reasoning`; usage in `x_groq.usage` of the finish chunk (and at the top level when asked)",
      "`event: error` inside a 200 stream (`tool_use_failed`, with the embedded `status_code`)"
    ]
  },
  {
    ...base,
    name: "together",
    defaultBaseUrl: "https://api.together.xyz/v1",
    quirks: ["usage on the chunk that carries `finish_reason`, `usage: null` before it"]
  },
  {
    ...base,
    name: "openrouter",
    defaultBaseUrl: "https://openrouter.ai/api/v1",
    quirks: [
      "`: OPENROUTER PROCESSING` comments while the upstream queues",
      "an `error` object inside a 200 chunk (numeric code), sometimes after the finish reason",
      "upstream reason in `error.metadata.raw`"
    ]
  },
  {
    ...base,
    name: "mistral",
    defaultBaseUrl: "https://api.mistral.ai/v1",
    quirks: [
      "`delta.content` is a string, or an array with `thinking` parts (reasoning)",
      "tool calls without `index` or `type`, whole in one chunk"
    ]
  },
  {
    ...base,
    name: "vllm",
    defaultBaseUrl: "http://127.0.0.1:8000/v1",
    continuousUsage: true,
    quirks: [
      "extra `prompt_token_ids`, `token_ids`, `stop_reason` fields",
      "usage on every chunk (running totals, from the role chunk on) with `continuous_usage_stats`, which the adapter asks for",
      "a stream can close after the headers or the role chunk without `[DONE]` (a cut: retried elsewhere)"
    ]
  },
  {
    ...base,
    name: "sglang",
    defaultBaseUrl: "http://127.0.0.1:30000/v1",
    continuousUsage: true,
    quirks: ["usage on every content chunk with `continuous_usage_stats`, which the adapter asks for"]
  },
  {
    ...base,
    name: "llamacpp",
    defaultBaseUrl: "http://127.0.0.1:8080/v1",
    quirks: [
      "usage (next to `timings`) on the finish chunk in older builds, in a last chunk with `choices: []` since llama.cpp#15444",
      "a stream can close without `[DONE]` (a cut unless every choice had finished)"
    ]
  },
  {
    ...base,
    name: "lmstudio",
    defaultBaseUrl: "http://127.0.0.1:1234/v1",
    quirks: ["older versions send no streamed usage at all (the attempt is estimated)"]
  },
  {
    ...base,
    name: "perplexity",
    defaultBaseUrl: "https://api.perplexity.ai",
    quirks: ["usage (running totals) and `citations` on every chunk; `object: \"chat.completion\"` chunks with `message` next to `delta`"]
  },
  {
    ...base,
    name: "ollama",
    defaultBaseUrl: "http://127.0.0.1:11434/v1",
    quirks: ["the OpenAI-compatible `/v1` of Ollama; the native `/api/chat` is the `ollama` kind"]
  },
  {
    ...base,
    name: "zai",
    defaultBaseUrl: "https://api.z.ai/api/paas/v4",
    quirks: ["reasoning in `reasoning_content`; no `finish_reason` key until the end"]
  }
]

const aliases: Readonly<Record<string, string>> = {
  kimi: "moonshot",
  grok: "xai",
  "x-ai": "xai",
  glm: "zai",
  "llama.cpp": "llamacpp",
  "llama-cpp": "llamacpp",
  "lm-studio": "lmstudio"
}

/** The profile of a host by name (case-insensitive, with common aliases); unknown names are generic. */
export const resolve = (name: string): Host => {
  const key = name.toLowerCase()
  const wanted = aliases[key] ?? key
  return hosts.find((h) => h.name === wanted) ?? { ...generic, name }
}
