/**
 * The `ClientKeys` service: which client may call the gateway. With no keys configured the gateway is
 * open (it listens on loopback by default); once any key is configured every request must carry one,
 * as `Authorization: Bearer <key>` (OpenAI SDKs) or `x-api-key: <key>` (Anthropic SDKs). Keys are
 * compared by SHA-256 digest in constant time; only a key's id reaches logs and the ledger.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Context, Effect, Layer, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import type { GatewayConfig } from "@switchyard/gateway"
import type * as ErrorBody from "./ErrorBody.ts"

/** The caller a request was authenticated as; `id: null` when the gateway is open. */
export interface Client {
  readonly id: string | null
  readonly admin: boolean
}

export class ClientKeys extends Context.Service<ClientKeys, {
  /** The client of the current request, or a 401 error. */
  readonly authenticate: Effect.Effect<Client, ErrorBody.HttpError, HttpServerRequest.HttpServerRequest>
}>()("@switchyard/server/ClientKeys") {}

/** The client of an open gateway (no keys configured) or an open route. */
export const anonymous: Client = { id: null, admin: true }

const digest = (key: string): Buffer => createHash("sha256").update(key).digest()

const presented = (headers: Readonly<Record<string, string | undefined>>): string | undefined => {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers["authorization"] ?? "")
  return bearer?.[1] ?? headers["x-api-key"]
}

const unauthorized = (message: string): ErrorBody.HttpError => ({
  status: 401,
  body: { message, type: "auth", code: "invalid_api_key", param: null, provider: null, retryable: false }
})

export const make = (keys: ReadonlyArray<GatewayConfig.KeyConfig>) => {
  const known = keys.map((k) => ({ id: k.id, admin: k.admin === true, digest: digest(Redacted.value(k.key)) }))
  const authenticate = Effect.gen(function*() {
    if (known.length === 0) return anonymous
    const request = yield* HttpServerRequest.HttpServerRequest
    const key = presented(request.headers)
    if (key === undefined) {
      return yield* Effect.fail(unauthorized("Missing API key: send `Authorization: Bearer <key>` or `x-api-key`."))
    }
    const candidate = digest(key)
    const match = known.find((k) => timingSafeEqual(k.digest, candidate))
    if (match === undefined) return yield* Effect.fail(unauthorized("Invalid API key."))
    return { id: match.id, admin: match.admin }
  })
  return ClientKeys.of({ authenticate })
}

/** The keys of a config (`keys:`). */
export const layer = (keys: ReadonlyArray<GatewayConfig.KeyConfig>): Layer.Layer<ClientKeys> =>
  Layer.succeed(ClientKeys, make(keys))
