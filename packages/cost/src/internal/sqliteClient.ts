/**
 * An Effect `SqlClient` over Node's built-in `node:sqlite`: one connection, in a worker thread of
 * its own (`sqliteWorker.ts`), used by one fiber at a time. The published `@effect/sql-sqlite-node`
 * does not load with effect 4.1.
 *
 * The database runs in WAL mode with `synchronous = FULL`: a statement that returned has been
 * written and fsynced to the WAL, so an acknowledged ledger row survives the process being killed.
 * The fsync happens in the worker, so the event loop goes on serving while a write is durable'd,
 * and the rows recorded meanwhile join the next group commit (see `ledgerSql.ts`).
 */
import { Worker } from "node:worker_threads"
import { Effect, type Scope, Semaphore, Stream } from "effect"
import type { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import type { SQLInputValue } from "node:sqlite"
import type { Command, Reply, Setup, WireError } from "./sqliteWorker.ts"

export interface Options {
  readonly filename: string
  /** How long a statement waits for a lock held by another process, in ms. Default 5000. */
  readonly busyTimeoutMs?: number | undefined
}

/** The worker's module beside this one: `.ts` when run from source, `.js` once built. */
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./sqliteWorker.ts" : "./sqliteWorker.js", import.meta.url)

/** An error from the worker as an `Error` again, with its SQLite fields. */
const fromWire = (error: WireError): Error => Object.assign(new Error(error.message), { errcode: error.errcode, code: error.code })

/** `node:sqlite` puts the SQLite result code in `errcode`; the classifier reads `errno`. */
const sqlError = (cause: unknown, operation: string): SqlError.SqlError => {
  const withErrno = typeof cause === "object" && cause !== null && "errcode" in cause && !("errno" in cause)
    ? Object.assign(cause, { errno: (cause as { errcode: unknown }).errcode })
    : cause
  return new SqlError.SqlError({
    reason: SqlError.classifySqliteError(withErrno, { message: `SQLite ${operation} failed`, operation })
  })
}

/** Starts the worker thread for `setup` (a test may start another, to see the client survive its death). */
export type Spawn = (setup: Setup) => Worker

const spawnWorker: Spawn = (setup) => new Worker(workerUrl, { workerData: setup })

/** How long closing waits for the worker to close the database before it is terminated. */
const CLOSE_TIMEOUT_MS = 5000

/**
 * A `SqlClient` on the SQLite database file `filename` (created when missing), closed with the
 * scope. Should the worker die, every statement waiting for it and every later one fails at once
 * (a `SqlError`), never hangs.
 */
export const make = (
  options: Options,
  spawn: Spawn = spawnWorker
): Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const pending = new Map<number, (reply: Reply) => void>()
    let nextId = 0
    let isTransaction = false
    /** Why the worker is gone, once it is: what every statement then fails with. */
    let gone: WireError | undefined
    const failAll = (error: WireError) => {
      gone = error
      for (const [id, settle] of pending) settle({ id, ok: false, error, isTransaction: false })
      pending.clear()
    }
    const worker = yield* Effect.acquireRelease(
      Effect.callback<Worker, SqlError.SqlError>((resume) => {
        const worker = spawn({ filename: options.filename, busyTimeoutMs: options.busyTimeoutMs ?? 5000 })
        worker.once("message", (ready: { readonly ready: boolean; readonly error?: WireError }) => {
          if (!ready.ready) {
            resume(Effect.fail(sqlError(fromWire(ready.error!), "open")))
            return
          }
          worker.on("message", (reply: Reply) => {
            isTransaction = reply.isTransaction
            const settle = pending.get(reply.id)
            pending.delete(reply.id)
            settle?.(reply)
          })
          worker.on("error", (cause) => failAll({ message: `the SQLite worker failed: ${String(cause)}`, errcode: undefined, code: undefined }))
          worker.on("exit", (code) => failAll({ message: `the SQLite worker exited (code ${code})`, errcode: undefined, code: undefined }))
          resume(Effect.succeed(worker))
        })
        worker.once("error", (cause) => resume(Effect.fail(sqlError(cause, "open"))))
      }),
      (worker) =>
        Effect.promise(() =>
          gone !== undefined
            ? Promise.resolve()
            : Promise.race([ask(worker, { close: true }), new Promise((done) => setTimeout(done, CLOSE_TIMEOUT_MS).unref())])
              .then(() => worker.terminate())
              .then(() => undefined)
        )
    )

    /** Sends a command and waits for its reply (a failure at once when the worker is gone). */
    function ask(worker: Worker, command: Omit<Extract<Command, { close: true }>, "id">): Promise<Reply>
    function ask(worker: Worker, command: Omit<Extract<Command, { sql: string }>, "id">): Promise<Reply>
    function ask(worker: Worker, command: Omit<Command, "id">): Promise<Reply> {
      const id = nextId++
      if (gone !== undefined) return Promise.resolve({ id, ok: false, error: gone, isTransaction: false })
      return new Promise<Reply>((resolve) => {
        pending.set(id, resolve)
        worker.postMessage({ ...command, id })
      })
    }

    const statement = <A>(operation: string, sql: string, values: ReadonlyArray<unknown>, mode: "rows" | "arrays" | "run") =>
      Effect.flatMap(
        Effect.promise(() => ask(worker, { sql, params: values as ReadonlyArray<SQLInputValue>, mode })),
        (reply) => reply.ok ? Effect.succeed(reply.result as A) : Effect.fail(sqlError(fromWire(reply.error), operation))
      )

    const rows = (sql: string, values: ReadonlyArray<unknown>) => statement<ReadonlyArray<any>>("query", sql, values, "rows")
    const arrays = (sql: string, values: ReadonlyArray<unknown>) =>
      statement<ReadonlyArray<ReadonlyArray<unknown>>>("query", sql, values, "arrays")

    const connection: SqlConnection.Connection = {
      execute: (sql, values, transformRows) =>
        transformRows === undefined ? rows(sql, values) : Effect.map(rows(sql, values), transformRows),
      executeUnprepared: (sql, values, transformRows) =>
        transformRows === undefined ? rows(sql, values) : Effect.map(rows(sql, values), transformRows),
      executeRaw: (sql, values) => statement("execute", sql, values, "run"),
      executeValues: arrays,
      executeValuesUnprepared: arrays,
      executeStream: () => Stream.die(new Error("node:sqlite streams are not supported"))
    }

    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore: yield* Semaphore.make(1),
      isTransaction: () => isTransaction
    })
    return yield* SqlClient.make({
      ...acquirers,
      compiler: Statement.makeCompilerSqlite(),
      driver: "node:sqlite",
      beginTransaction: "BEGIN IMMEDIATE",
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  })
