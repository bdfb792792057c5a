/**
 * The canonical request as a Chat Completions body. The canonical model is this API's superset, so
 * encoding is mostly a copy: the host decides the output-limit field and whether a stream asks for
 * its usage (at the end, or on every chunk), and Switchyard-only fields are left out.
 */
import { Effect } from "effect"
import { ChatRequest, type ProviderError, type ProviderHttp } from "@switchyard/core"
import type { Host } from "../Hosts.ts"

/** Fields of the canonical request that are not part of the wire request. */
const local = new Set(["stream", "stream_options", "max_tokens", "max_completion_tokens"])

export const encode = (host: Host) =>
(
  request: ChatRequest.ChatRequest,
  stream: boolean,
  _context: ProviderHttp.CallContext
): Effect.Effect<ProviderHttp.Encoded, ProviderError.ProviderError> => {
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(request)) {
    if (!local.has(key) && value !== undefined) body[key] = value
  }
  const limit = ChatRequest.maxOutputTokens(request)
  if (limit !== undefined) body[host.maxTokensField] = limit
  if (stream) {
    body["stream"] = true
    if (host.streamUsage) {
      body["stream_options"] = host.continuousUsage ? { include_usage: true, continuous_usage_stats: true } : { include_usage: true }
    }
  }
  return Effect.succeed({ path: "/chat/completions", body })
}
