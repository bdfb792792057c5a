/**
 * Virtual keys through the real server, in a SQLite ledger file: created, used, listed, limited,
 * revoked over `/v1/keys`; stored as digests only; seen by a second instance once its lookup cache
 * expires. (The CLI's keys in the server's file: `cli/test/Keys.test.ts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, readFileSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CostLedger } from "@switchyard/cost"
import { VirtualKeys } from "@switchyard/gateway"
import { OpenAiChatWire } from "@switchyard/testing"
import { postChat, servePair } from "./harness.ts"

const script = { text: ["ok"], usage: { inputTokens: 10, outputTokens: 4 } }
const adminKey = "sk-admin-0123456789"

const call = (url: string, method: string, path: string, key: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, json: await response.json() as any }
  })

/** The gateway with an admin key in its config and its ledger (and keys) in a fresh SQLite file. */
const serve = Effect.gen(function*() {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-keys-"))
  const file = join(dir, "ledger.sqlite")
  const pair = yield* servePair({
    keys: [{ id: "admin", key: Redacted.make(adminKey), admin: true }],
    ledger: { kind: "sqlite", path: file }
  })
  yield* pair.primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script))
  return { ...pair, dir, file }
})

/** Every byte of the database's files (the WAL too), as text. */
const databaseText = (dir: string) => readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("")

describe("virtual keys", () => {
  it.live("created over the API, used, listed without secrets, stored as digests, revoked at once", () =>
    Effect.gen(function*() {
      const { dir, primary, url } = yield* serve
      const created = yield* call(url, "POST", "/v1/keys", adminKey, { name: "team-a" })
      assert.strictEqual(created.status, 201)
      const secret: string = created.json.key
      assert.match(secret, /^sk-sy-[A-Za-z0-9_-]{43}$/)
      assert.strictEqual(created.json.prefix, secret.slice(0, 10))

      const used = yield* postChat(url, {}, { authorization: `Bearer ${secret}` })
      assert.strictEqual(used.status, 200)
      assert.strictEqual((yield* primary.requests).length, 1)

      const listed = yield* call(url, "GET", "/v1/keys", adminKey)
      assert.strictEqual(listed.status, 200)
      assert.deepStrictEqual(listed.json.data.map((k: any) => [k.id, k.name, k.revoked_at]), [[created.json.id, "team-a", null]])
      assert.notInclude(JSON.stringify(listed.json), secret.slice(10))
      const stored = databaseText(dir)
      assert.include(stored, created.json.id)
      assert.notInclude(stored, secret)
      assert.notInclude(stored, secret.slice(10))

      // A virtual key that is not admin may not manage keys.
      assert.strictEqual((yield* call(url, "GET", "/v1/keys", secret)).status, 403)
      assert.strictEqual((yield* call(url, "POST", "/v1/keys", secret, {})).status, 403)

      const revoked = yield* call(url, "DELETE", `/v1/keys/${created.json.id}`, adminKey)
      assert.strictEqual(revoked.status, 200)
      assert.isString(revoked.json.revoked_at)
      const refused = yield* postChat(url, {}, { authorization: `Bearer ${secret}` })
      assert.strictEqual(refused.status, 401)
      assert.strictEqual(JSON.parse(refused.text).error.code, "invalid_api_key")
      assert.strictEqual((yield* call(url, "DELETE", "/v1/keys/vk_unknown", adminKey)).status, 404)
    }))

  it.live("a gateway opened without keys is closed by its first virtual key, and stays closed when that key is revoked", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-keys-"))
      const { primary, url } = yield* servePair({ ledger: { kind: "sqlite", path: join(dir, "ledger.sqlite") } })
      yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script))
      assert.strictEqual((yield* postChat(url)).status, 200)
      const created = yield* call(url, "POST", "/v1/keys", "", { name: "first", admin: true })
      assert.strictEqual(created.status, 201)
      assert.strictEqual((yield* postChat(url)).status, 401)
      assert.strictEqual((yield* call(url, "DELETE", `/v1/keys/${created.json.id}`, created.json.key)).status, 200)
      assert.strictEqual((yield* postChat(url)).status, 401)
      assert.strictEqual((yield* call(url, "POST", "/v1/keys", "", { name: "intruder", admin: true })).status, 401)
    }))

  it.live("PATCH limits take effect at once", () =>
    Effect.gen(function*() {
      const { url } = yield* serve
      const created = yield* call(url, "POST", "/v1/keys", adminKey, { rpm: 100 })
      const auth = { authorization: `Bearer ${created.json.key}` }
      assert.strictEqual((yield* postChat(url, {}, auth)).status, 200)
      assert.strictEqual((yield* postChat(url, {}, auth)).status, 200)
      const patched = yield* call(url, "PATCH", `/v1/keys/${created.json.id}`, adminKey, { rpm: 2, admin: true })
      assert.strictEqual(patched.status, 200)
      assert.deepInclude(patched.json, { rpm: 2, admin: true })
      const limited = yield* postChat(url, {}, auth)
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(JSON.parse(limited.text).error.code, "rate_limited")
      // Now admin, the key may list keys; with the limit removed it is served again.
      assert.strictEqual((yield* call(url, "GET", "/v1/keys", created.json.key)).status, 200)
      yield* call(url, "PATCH", `/v1/keys/${created.json.id}`, adminKey, { rpm: null })
      assert.strictEqual((yield* postChat(url, {}, auth)).status, 200)
      const bad = yield* call(url, "PATCH", `/v1/keys/${created.json.id}`, adminKey, { rpm: 0 })
      assert.strictEqual(bad.status, 400)
    }))
})

describe("VirtualKeys across instances", () => {
  it.effect("a key revoked by one instance is refused by another once its cache expires", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-keys-"))
      // Two instances: each its own connection to the same file and its own lookup cache.
      const connect = Effect.flatMap(
        Layer.build(CostLedger.sqliteClient({ filename: join(dir, "ledger.sqlite") })),
        (db) => Effect.provide(VirtualKeys.makeSql({ cacheTtlMs: 5000 }), db)
      )
      const one = yield* connect
      const other = yield* connect
      const { key, secret } = yield* one.create({})
      assert.isTrue(Option.isSome(yield* other.find(Redacted.value(secret))))
      yield* one.revoke(key.id)
      // At once on the instance that revoked it; still cached on the other...
      assert.isTrue(Option.isNone(yield* one.find(Redacted.value(secret))))
      assert.isTrue(Option.isSome(yield* other.find(Redacted.value(secret))))
      // ...until its cached lookup expires.
      yield* TestClock.adjust("5001 millis")
      assert.isTrue(Option.isNone(yield* other.find(Redacted.value(secret))))
    }).pipe(Effect.scoped))
})
