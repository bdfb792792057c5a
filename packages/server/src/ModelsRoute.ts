/**
 * `GET /v1/models` and `GET /v1/models/{id}`: every model name a client can send (aliases, models
 * the config declares, `provider/model` for those and for what each provider's API lists). In
 * OpenAI's list format, or in Anthropic's when the request carries `anthropic-version` (what
 * Anthropic's SDKs send), so `client.models.list()` works in both.
 */
import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { Gateway, ModelCatalog } from "@switchyard/gateway"
import { AnthropicMessages, ErrorBody } from "@switchyard/translate"
import * as Endpoint from "./Endpoint.ts"

const openAi = (id: string) => ({ id, object: "model", created: 0, owned_by: id.includes("/") ? id.split("/")[0] : "switchyard" })

const anthropic = (id: string) => ({ type: "model", id, display_name: id, created_at: "1970-01-01T00:00:00Z" })

/** A models route in the dialect the request's headers ask for. */
const route = (
  handler: (models: ReadonlyArray<string>, anthropicDialect: boolean, call: Endpoint.Call) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const anthropicDialect = request.headers["anthropic-version"] !== undefined
    return yield* Endpoint.make(anthropicDialect ? { render: AnthropicMessages.renderError } : {}, (call) =>
      Effect.gen(function*() {
        const gateway = yield* Gateway.Gateway
        const listed = yield* (yield* ModelCatalog.ModelCatalog).listed
        const models = [...new Set([...gateway.models, ...listed.map((route) => `${route.provider}/${route.model}`)])]
        return yield* handler(models, anthropicDialect, call)
      }))
  })

/** `GET /v1/models`. */
export const list = route((models, anthropicDialect) =>
  Effect.succeed(HttpServerResponse.jsonUnsafe(
    anthropicDialect
      ? { data: models.map(anthropic), has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null }
      : { object: "list", data: models.map(openAi) }
  ))
)

/** `GET /v1/models/{id}` (the id may hold a slash: `openai/gpt-5`). */
export const retrieve = route((models, anthropicDialect, { refuse }) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const id = decodeURIComponent(new URL(request.url, "http://gateway").pathname.slice("/v1/models/".length))
    if (!models.includes(id)) {
      const missing = ErrorBody.notFound(`No model "${id}": GET /v1/models lists them.`)
      return refuse({ ...missing, body: { ...missing.body, code: "model_not_found", param: "model" } })
    }
    return HttpServerResponse.jsonUnsafe(anthropicDialect ? anthropic(id) : openAi(id))
  })
)
