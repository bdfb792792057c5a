/**
 * `POST /v1/embeddings` in OpenAI's format: decode, call `Gateway.embed` (the model's routes whose
 * provider has embeddings, with failover), encode as OpenAI's `list` of `embedding` objects. Vectors
 * come from upstreams as floats; `encoding_format: "base64"` (the `openai` SDK's default) is rendered
 * here, float32 little-endian. Usage is what the ledger recorded (the provider's, else counted).
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { Embeddings as Canonical } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as RoutingHints from "./RoutingHints.ts"

/** The fields of OpenAI's request; any other is refused, naming it. */
const knownFields = Object.keys(Canonical.EmbeddingRequest.fields)

/** The answer in OpenAI's shape. */
export const render = (request: Canonical.EmbeddingRequest, response: Canonical.EmbeddingResponse) => {
  const promptTokens = response.usage?.inputTokens ?? 0
  return {
    object: "list",
    data: response.embeddings.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: request.encoding_format === "base64" ? Canonical.toBase64(vector) : vector
    })),
    model: response.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }
  }
}

/** Empty input (no item, or an empty text or token array) is refused, as OpenAI does. */
const emptyInput = (input: Canonical.Input): boolean => {
  const items = Canonical.items(input)
  return items.length === 0 || items.some((item) => item.length === 0)
}

/** `POST /v1/embeddings`. */
export const handler = Endpoint.make({}, ({ client, refuse, requestId }) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    const decoded = yield* Effect.result(RequestBody.decode(Canonical.EmbeddingRequest, { knownFields }))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const request = decoded.success
    if (emptyInput(request.input)) return refuse(ErrorBody.badRequest("Invalid request: `input` must not be empty.", "input"))
    const hints = yield* Effect.result(RoutingHints.fromRequest(undefined))
    if (hints._tag === "Failure") return refuse(hints.failure)
    yield* Effect.annotateCurrentSpan({ requestId, model: request.model })
    return yield* gateway.embed(request, { requestId, ...ClientKeys.caller(client), ...hints.success }).pipe(
      Effect.map((answer) =>
        HttpServerResponse.jsonUnsafe(render(request, answer.response), {
          headers: RouteHeaders.make(requestId, answer.route, answer.attempts)
        })
      ),
      Effect.catch(RouteHeaders.failure(requestId))
    )
  }))
