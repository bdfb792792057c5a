/**
 * The key store over each backend: memory, SQLite and PostgreSQL (a table of this run's own, dropped
 * at the end) hold the same keys the same way.
 */
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "effect/sql"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CostLedger } from "@switchyard/cost"
import { VirtualKeys } from "@switchyard/gateway"
import { connection, ensurePostgres } from "../../cost/test/postgres.ts"

beforeAll(ensurePostgres, 60_000)

const pgTable = `keys_test_${process.pid}_${Date.now().toString(36)}`

const backends: ReadonlyArray<readonly [string, Layer.Layer<VirtualKeys.VirtualKeys, unknown>]> = [
  ["memory", VirtualKeys.layerMemory()],
  ["SQLite", VirtualKeys.layerSql().pipe(Layer.provide(CostLedger.sqliteClient({ filename: join(mkdtempSync(join(tmpdir(), "keys-")), "k.sqlite") })))],
  [
    "PostgreSQL",
    Layer.effect(
      VirtualKeys.VirtualKeys,
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Effect.addFinalizer(() => Effect.ignore(sql`DROP TABLE IF EXISTS ${sql(pgTable)}`))
        return yield* VirtualKeys.makeSql({ table: pgTable })
      })
    ).pipe(Layer.provide(PgClient.layer(connection)))
  ]
]

for (const [name, layer] of backends) {
  describe(`VirtualKeys (${name})`, () => {
    it.layer(layer)((it) => {
      it.effect("creates, finds by secret, changes, lists and revokes", () =>
        Effect.gen(function*() {
          const keys = yield* VirtualKeys.VirtualKeys
          const { key, secret } = yield* keys.create({ name: "a", rpm: 5, budget: { limit_usd: 2.5, window: { rolling_seconds: 3600 } } })
          assert.isTrue(yield* keys.any)
          const found = Option.getOrThrow(yield* keys.find(Redacted.value(secret)))
          assert.deepStrictEqual(found, key)
          assert.deepStrictEqual(found.limits, { rpm: 5, budget: { limit_usd: 2.5, window: { rolling_seconds: 3600 } } })
          assert.isTrue(Option.isNone(yield* keys.find(`${Redacted.value(secret)}x`)))
          const changed = Option.getOrThrow(yield* keys.update(key.id, { rpm: null, tpm: 900, admin: true, name: null }))
          assert.deepStrictEqual([changed.name, changed.admin, changed.limits], [null, true, { tpm: 900, budget: { limit_usd: 2.5, window: { rolling_seconds: 3600 } } }])
          assert.deepStrictEqual((yield* keys.list).map((k) => k.id), [key.id])
          assert.isTrue(Option.isNone(yield* keys.update("vk_none", { rpm: 1 })))
          const revoked = Option.getOrThrow(yield* keys.revoke(key.id))
          assert.isNumber(revoked.revokedAt)
          assert.isTrue(Option.isNone(yield* keys.find(Redacted.value(secret))))
          // A revoked key still counts: the gateway stays closed.
          assert.isTrue(yield* keys.any)
        }))
    })
  })
}
