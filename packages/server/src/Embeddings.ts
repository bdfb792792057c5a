/**
 * `POST /v1/embeddings` in OpenAI's format: decode, call `Gateway.embed` (the model's routes whose
 * provider has embeddings, with failover), encode as OpenAI's `list` of `embedding` objects
 * (`OpenAiEmbeddings`). Usage is what the ledger recorded (the provider's, else counted).
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { Embeddings as Canonical } from "@switchyard/core"
import { Gateway } from "@switchyard/gateway"
import { ErrorBody, OpenAiEmbeddings } from "@switchyard/translate"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"
import * as RouteHeaders from "./RouteHeaders.ts"
import * as RoutingHints from "./RoutingHints.ts"

/** `POST /v1/embeddings`. */
export const handler = Endpoint.make({}, ({ client, refuse, requestId }) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    const decoded = yield* Effect.result(RequestBody.decode(Canonical.EmbeddingRequest, { knownFields: OpenAiEmbeddings.knownFields }))
    if (decoded._tag === "Failure") return refuse(decoded.failure)
    const request = decoded.success
    if (OpenAiEmbeddings.emptyInput(request.input)) return refuse(ErrorBody.badRequest("Invalid request: `input` must not be empty.", "input"))
    const hints = yield* Effect.result(RoutingHints.fromRequest(undefined))
    if (hints._tag === "Failure") return refuse(hints.failure)
    yield* Effect.annotateCurrentSpan({ requestId, model: request.model })
    return yield* gateway.embed(request, { requestId, ...ClientKeys.caller(client), ...hints.success }).pipe(
      Effect.map((answer) =>
        HttpServerResponse.jsonUnsafe(OpenAiEmbeddings.render(request, answer.response), {
          headers: RouteHeaders.make(requestId, answer.route, answer.attempts)
        })
      ),
      Effect.catch(RouteHeaders.failure(requestId))
    )
  }))
