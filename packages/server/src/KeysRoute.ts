/**
 * The admin API over virtual keys (`VirtualKeys`), admin keys only:
 *
 * - `POST /v1/keys` creates a key (`name`, `admin`, `rpm`, `tpm`, `budget`) and answers 201 with
 *   its secret in `key`: the only time it is shown;
 * - `GET /v1/keys` lists every key, revoked ones too, never a secret;
 * - `PATCH /v1/keys/{id}` changes `name`, `admin`, `rpm`, `tpm`, `budget` (`null` removes one);
 * - `DELETE /v1/keys/{id}` revokes the key: refused at once on this instance.
 */
import { Effect, Option, Redacted } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { VirtualKeys } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as ClientKeys from "./ClientKeys.ts"
import * as Endpoint from "./Endpoint.ts"
import * as RequestBody from "./RequestBody.ts"

/** A key as the API shows it: snake_case, times in ISO 8601. */
export const view = (key: VirtualKeys.VirtualKey) => ({
  object: "key",
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  admin: key.admin,
  rpm: key.limits.rpm ?? null,
  tpm: key.limits.tpm ?? null,
  budget: key.limits.budget ?? null,
  created_at: new Date(key.createdAt).toISOString(),
  revoked_at: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString()
})

/** An admin route whose handler may fail with a client's error or the store's. */
const route = <R>(
  handler: () => Effect.Effect<HttpServerResponse.HttpServerResponse, ErrorBody.HttpError | VirtualKeys.KeyStoreError, R>
) =>
  Endpoint.make({ admin: true }, ({ refuse }) =>
    handler().pipe(
      Effect.catchTag("KeyStoreError", (error) => Effect.fail(ClientKeys.storeUnavailable(error))),
      Effect.catch((error) => Effect.succeed(refuse(error)))
    ))

const keyId = Effect.map(HttpRouter.params, (params) => params["id"] ?? "")

const found = (id: string) => (key: Option.Option<VirtualKeys.VirtualKey>) =>
  Option.match(key, {
    onNone: () => Effect.fail(ErrorBody.notFound(`No key "${id}".`)),
    onSome: (k) => Effect.succeed(HttpServerResponse.jsonUnsafe(view(k)))
  })

/** `POST /v1/keys`. */
export const create = route(() =>
  Effect.gen(function*() {
    const settings = yield* RequestBody.decode(VirtualKeys.Settings, { knownFields: Object.keys(VirtualKeys.Settings.fields) })
    const created = yield* (yield* VirtualKeys.VirtualKeys).create(settings)
    return HttpServerResponse.jsonUnsafe({ ...view(created.key), key: Redacted.value(created.secret) }, {
      status: 201,
      // The secret is shown once: nothing on the way may keep it.
      headers: { "cache-control": "no-store" }
    })
  }))

/** `GET /v1/keys`. */
export const list = route(() =>
  Effect.map(
    Effect.flatMap(VirtualKeys.VirtualKeys, (keys) => keys.list),
    (keys) => HttpServerResponse.jsonUnsafe({ object: "list", data: keys.map(view) })
  ))

/** `PATCH /v1/keys/{id}`. */
export const update = route(() =>
  Effect.gen(function*() {
    const id = yield* keyId
    const changes = yield* RequestBody.decode(VirtualKeys.Changes, { knownFields: Object.keys(VirtualKeys.Changes.fields) })
    return yield* Effect.flatMap((yield* VirtualKeys.VirtualKeys).update(id, changes), found(id))
  }))

/** `DELETE /v1/keys/{id}`. */
export const revoke = route(() =>
  Effect.gen(function*() {
    const id = yield* keyId
    return yield* Effect.flatMap((yield* VirtualKeys.VirtualKeys).revoke(id), found(id))
  }))
