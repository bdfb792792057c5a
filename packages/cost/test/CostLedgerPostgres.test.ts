import { beforeAll } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "effect/sql"
import { CostLedger } from "../src/index.ts"
import { ledgerSuite } from "./ledgerSuite.ts"
import { connection, ensurePostgres } from "./postgres.ts"

beforeAll(ensurePostgres, 60_000)

/** A table of this run's own, dropped when the suite ends. */
const table = `cost_ledger_test_${process.pid}_${Date.now().toString(36)}`

const dropTableAtEnd = Layer.effectDiscard(
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Effect.addFinalizer(() => Effect.ignore(sql`DROP TABLE IF EXISTS ${sql(table)}`))
  })
).pipe(Layer.provide(PgClient.layer(connection)))

ledgerSuite(
  "CostLedger (PostgreSQL)",
  Layer.merge(CostLedger.layerPostgres({ ...connection, table }), dropTableAtEnd)
)
