/**
 * An Effect `SqlClient` over Node's built-in `node:sqlite` (`DatabaseSync`): one connection, used by
 * one fiber at a time. The published `@effect/sql-sqlite-node` does not load with effect 4.1.
 *
 * The database runs in WAL mode. With `synchronous = NORMAL` (the default) a statement that returned
 * has been written to the WAL: an acknowledged row survives the process being killed (`kill -9`), and
 * the WAL is fsynced at checkpoints. With `FULL` every commit is also fsynced, so the row survives a
 * power cut too, at the price of an fsync (on the event loop) per commit.
 */
import { Effect, type Scope, Semaphore, Stream } from "effect"
import type { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"

export interface Options {
  readonly filename: string
  /** How long a statement waits for a lock held by another process, in ms. Default 5000. */
  readonly busyTimeoutMs?: number | undefined
  /** `normal` (default): a commit survives a crashed process; `full`: a power cut too (an fsync per commit). */
  readonly synchronous?: Synchronous | undefined
}

/** SQLite's `synchronous` setting, as far as the ledger uses it. */
export type Synchronous = "normal" | "full"

/** `node:sqlite` puts the SQLite result code in `errcode`; the classifier reads `errno`. */
const sqlError = (cause: unknown, operation: string): SqlError.SqlError => {
  const withErrno = typeof cause === "object" && cause !== null && "errcode" in cause && !("errno" in cause)
    ? Object.assign(cause, { errno: (cause as { errcode: unknown }).errcode })
    : cause
  return new SqlError.SqlError({
    reason: SqlError.classifySqliteError(withErrno, { message: `SQLite ${operation} failed`, operation })
  })
}

/** A `SqlClient` on the SQLite database file `filename` (created when missing), closed with the scope. */
export const make = (
  options: Options
): Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => new DatabaseSync(options.filename),
        catch: (cause) => sqlError(cause, "open")
      }),
      (db) => Effect.sync(() => db.close())
    )
    yield* Effect.try({
      try: () => {
        db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`)
        db.exec("PRAGMA journal_mode = WAL")
        db.exec(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
      },
      catch: (cause) => sqlError(cause, "configure")
    })

    const statements = new Map<string, StatementSync>()
    const prepare = (sql: string): StatementSync => {
      const cached = statements.get(sql)
      if (cached !== undefined) return cached
      const statement = db.prepare(sql)
      statements.set(sql, statement)
      return statement
    }

    const run = <A>(operation: string, f: () => A): Effect.Effect<A, SqlError.SqlError> =>
      Effect.try({ try: f, catch: (cause) => sqlError(cause, operation) })

    const params = (values: ReadonlyArray<unknown>) => values as Array<SQLInputValue>

    const rows = (sql: string, values: ReadonlyArray<unknown>) =>
      run("query", () => {
        const statement = prepare(sql)
        statement.setReturnArrays(false)
        return statement.all(...params(values)) as ReadonlyArray<any>
      })

    const arrays = (sql: string, values: ReadonlyArray<unknown>) =>
      run("query", () => {
        const statement = prepare(sql)
        statement.setReturnArrays(true)
        return statement.all(...params(values)) as unknown as ReadonlyArray<ReadonlyArray<unknown>>
      })

    const connection: SqlConnection.Connection = {
      execute: (sql, values, transformRows) =>
        transformRows === undefined ? rows(sql, values) : Effect.map(rows(sql, values), transformRows),
      executeUnprepared: (sql, values, transformRows) =>
        transformRows === undefined ? rows(sql, values) : Effect.map(rows(sql, values), transformRows),
      executeRaw: (sql, values) => run("execute", () => prepare(sql).run(...params(values))),
      executeValues: arrays,
      executeValuesUnprepared: arrays,
      executeStream: () => Stream.die(new Error("node:sqlite streams are not supported"))
    }

    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore: yield* Semaphore.make(1),
      isTransaction: () => db.isTransaction
    })
    return yield* SqlClient.make({
      ...acquirers,
      compiler: Statement.makeCompilerSqlite(),
      driver: "node:sqlite",
      beginTransaction: "BEGIN IMMEDIATE",
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  })
