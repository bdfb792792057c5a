/**
 * The `ClientKeys` service: which client may call the gateway. With no keys configured and no virtual
 * key ever created the gateway is open (it listens on loopback by default); once any key exists (a
 * revoked virtual key counts: revoking the last one never reopens it) every request must carry one, as `Authorization: Bearer <key>` (OpenAI SDKs) or `x-api-key: <key>`
 * (Anthropic SDKs). The config's keys are compared by SHA-256 digest in constant time; a key that is
 * none of them is looked up by its digest among the virtual keys (`VirtualKeys`). Only a key's id
 * reaches logs and the ledger.
 */
import { timingSafeEqual } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { type Gateway, type GatewayConfig, VirtualKeys } from "@switchyard/gateway"
import type { ErrorBody } from "@switchyard/translate"

/** The caller a request was authenticated as; `id: null` when the gateway is open. */
export interface Client {
  readonly id: string | null
  readonly admin: boolean
  /** The key's own rate limits and budget. */
  readonly limits?: GatewayConfig.KeyLimits | undefined
}

/** What the gateway is told of a client: its key's id and limits. */
export const caller = (client: Client): Gateway.Caller => ({ apiKeyId: client.id, keyLimits: client.limits })

export class ClientKeys extends Context.Service<ClientKeys, {
  /** The client of the current request, or a 401 error. */
  readonly authenticate: Effect.Effect<Client, ErrorBody.HttpError, HttpServerRequest.HttpServerRequest>
}>()("@switchyard/server/ClientKeys") {}

/** The client of an open gateway (no keys configured) or an open route. */
export const anonymous: Client = { id: null, admin: true }

const digest = (key: string): Buffer => Buffer.from(VirtualKeys.digest(key), "hex")

const presented = (headers: Readonly<Record<string, string | undefined>>): string | undefined => {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers["authorization"] ?? "")
  return bearer?.[1] ?? headers["x-api-key"]
}

const unauthorized = (message: string): ErrorBody.HttpError => ({
  status: 401,
  body: { message, type: "auth", code: "invalid_api_key", param: null, provider: null, retryable: false }
})

/** The key store cannot answer (its database is down): 503, for checking a key and for the admin API alike. */
export const storeUnavailable = (error: VirtualKeys.KeyStoreError): ErrorBody.HttpError => ({
  status: 503,
  body: { message: `The key store cannot answer now: ${error.message}`, type: "server_error", code: "key_store_unavailable", param: null, provider: null, retryable: true }
})

/** The config's keys (`keys:`), then the virtual keys. */
export const make = (keys: ReadonlyArray<GatewayConfig.KeyConfig>, virtual: VirtualKeys.VirtualKeysShape) => {
  const known = keys.map(({ admin, id, key, ...limits }) => ({ id, admin: admin === true, digest: digest(Redacted.value(key)), limits }))
  /** Open while no key exists at all. */
  const open = known.length > 0 ? Effect.succeed(false) : Effect.map(virtual.any, (any) => !any)
  const authenticate = Effect.gen(function*() {
    if (yield* open) return anonymous
    const request = yield* HttpServerRequest.HttpServerRequest
    const key = presented(request.headers)
    if (key === undefined) {
      return yield* Effect.fail(unauthorized("Missing API key: send `Authorization: Bearer <key>` or `x-api-key`."))
    }
    const candidate = digest(key)
    const match = known.find((k) => timingSafeEqual(k.digest, candidate))
    if (match !== undefined) return { id: match.id, admin: match.admin, limits: match.limits }
    const found = yield* virtual.find(key)
    if (Option.isNone(found)) return yield* Effect.fail(unauthorized("Invalid API key."))
    return { id: found.value.id, admin: found.value.admin, limits: found.value.limits }
  }).pipe(Effect.catchTag("KeyStoreError", (error) => Effect.fail(storeUnavailable(error))))
  return ClientKeys.of({ authenticate })
}

/** The keys of a config (`keys:`) and the `VirtualKeys` in context. */
export const layer = (keys: ReadonlyArray<GatewayConfig.KeyConfig>): Layer.Layer<ClientKeys, never, VirtualKeys.VirtualKeys> =>
  Layer.effect(ClientKeys, Effect.map(VirtualKeys.VirtualKeys, (virtual) => make(keys, virtual)))
