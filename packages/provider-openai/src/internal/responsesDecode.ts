/**
 * Responses API answers to the canonical model: usage, finish reason, failures, and the whole
 * (non-streamed) response, assembled from the same events the stream emits.
 */
import { Effect, Result, Schema } from "effect"
import {
  type ChatResponse,
  ErrorClassifier,
  FinishReason,
  ProviderError,
  type ProviderHttp,
  StreamAccumulator,
  type StreamEvent,
  Usage
} from "@switchyard/core"
import * as Output from "./responsesOutput.ts"
import * as Wire from "./responsesWire.ts"

/**
 * Codes of the Responses API's `response.error` that the shared classifier does not know.
 * https://platform.openai.com/docs/api-reference/responses/object (error.code)
 */
export const errorRules: ErrorClassifier.Rules = {
  codes: {
    vector_store_timeout: "timeout",
    image_content_policy_violation: "content_filter",
    invalid_image: "bad_request",
    invalid_image_format: "bad_request",
    invalid_base64_image: "bad_request",
    invalid_image_url: "bad_request",
    image_too_large: "bad_request",
    image_too_small: "bad_request",
    image_parse_error: "bad_request",
    invalid_image_mode: "bad_request",
    image_file_too_large: "bad_request",
    unsupported_image_media_type: "bad_request",
    empty_image_file: "bad_request",
    failed_to_download_image: "bad_request",
    image_file_not_found: "bad_request"
  }
}

/** Input counts cached reads (a part of it); output counts reasoning (a part of it). */
export const usageOf = (usage: Wire.Usage): Usage.Usage =>
  Usage.make({
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cachedInputTokens: usage.input_tokens_details?.cached_tokens ?? 0,
    reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? undefined
  })

const byStatus = FinishReason.fromTable({ completed: "stop", failed: "error", cancelled: "other" })
const byIncompleteReason = FinishReason.fromTable({ max_output_tokens: "length", content_filter: "content_filter" })

/**
 * The finish of the one choice. A response carries no finish reason: `status` says it, and for an
 * `incomplete` response `incomplete_details.reason` says why (kept as the raw reason). A completed
 * response whose output calls a function is `tool_calls`: what a Chat Completions client must act on.
 */
export const finishOf = (response: Wire.Response, calledTools = false): StreamEvent.StreamEvent => {
  const status = response.status ?? null
  if (status === "completed" && calledTools) return { _tag: "Finish", choice: 0, reason: "tool_calls", raw: status }
  if (status !== "incomplete") return { _tag: "Finish", choice: 0, reason: byStatus(status), raw: status }
  const reason = response.incomplete_details?.reason ?? null
  return { _tag: "Finish", choice: 0, reason: byIncompleteReason(reason), raw: reason ?? status }
}

/** An `error` event or a failed response's `error` object, classified by the one classifier. */
export const failureOf = (provider: string, payload: unknown): ProviderError.ProviderError =>
  ErrorClassifier.classify({ provider, body: JSON.stringify(payload) }, errorRules)

/** The error a failed response object carries. */
export const responseFailure = (provider: string, response: Wire.Response): ProviderError.ProviderError =>
  failureOf(provider, {
    error: response.error ?? { message: `response ${response.status ?? "failed"} without an error` }
  })

export const responseStart = (response: Wire.Response, context: ProviderHttp.CallContext): StreamEvent.StreamEvent => ({
  _tag: "ResponseStart",
  id: response.id ?? "",
  model: response.model ?? context.model,
  created: Math.trunc(response.created_at ?? 0)
})

/** Whatever of the final output was not emitted yet, then usage and the finish. */
export const terminal = (state: Output.Emitted, response: Wire.Response): Output.Step => {
  const [next, events] = Output.completeOutput(state, response.output ?? [])
  const usage: ReadonlyArray<StreamEvent.StreamEvent> = response.usage
    ? [{ _tag: "UsageReport", usage: usageOf(response.usage) }]
    : []
  return [next, [...events, ...usage, finishOf(response, next.calls.size > 0)]]
}

const decodeBody = Schema.decodeUnknownResult(Wire.Response)

/** Decodes a non-streamed response object; a failed response is its classified error. */
export const decodeResponse = (
  body: unknown,
  context: ProviderHttp.CallContext
): Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError> => {
  const decoded = decodeBody(body)
  if (Result.isFailure(decoded)) {
    return Effect.fail(
      new ProviderError.ServerError({
        provider: context.provider,
        message: `${context.provider}: unexpected Responses API body: ${decoded.failure.message}`
      })
    )
  }
  const response = decoded.success
  if (response.status === "failed" || (response.error != null && response.output == null)) {
    return Effect.fail(responseFailure(context.provider, response))
  }
  const [, events] = terminal(Output.empty, response)
  return Effect.succeed(StreamAccumulator.assemble([responseStart(response, context), ...events]))
}
