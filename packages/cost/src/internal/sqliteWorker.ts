/**
 * The SQLite connection's thread (see `sqliteClient.ts`): opens the database, then runs each
 * statement it is sent, in order, and answers with its result (or its error) and whether a
 * transaction is open. Writes are fsynced here, never on the event loop.
 */
import { parentPort, workerData } from "node:worker_threads"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"

/** What the client sends: a statement, or `close`. */
export type Command =
  | { readonly id: number; readonly sql: string; readonly params: ReadonlyArray<SQLInputValue>; readonly mode: "rows" | "arrays" | "run" }
  | { readonly id: number; readonly close: true }

/** An error as it crosses threads: the fields the client's classifier reads. */
export interface WireError {
  readonly message: string
  readonly errcode: unknown
  readonly code: unknown
}

export type Reply =
  | { readonly id: number; readonly ok: true; readonly result: unknown; readonly isTransaction: boolean }
  | { readonly id: number; readonly ok: false; readonly error: WireError; readonly isTransaction: boolean }

export interface Setup {
  readonly filename: string
  readonly busyTimeoutMs: number
}

const wire = (cause: unknown): WireError => {
  const e = cause as { message?: unknown; errcode?: unknown; code?: unknown }
  return { message: String(e?.message ?? cause), errcode: e?.errcode, code: e?.code }
}

const port = parentPort!
const setup = workerData as Setup
let db: DatabaseSync
try {
  db = new DatabaseSync(setup.filename)
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.round(setup.busyTimeoutMs))}`)
  db.exec("PRAGMA journal_mode = WAL")
  db.exec("PRAGMA synchronous = FULL")
  port.postMessage({ ready: true })
} catch (cause) {
  port.postMessage({ ready: false, error: wire(cause) })
  process.exit(0)
}

const statements = new Map<string, StatementSync>()
const prepare = (sql: string): StatementSync => {
  const cached = statements.get(sql)
  if (cached !== undefined) return cached
  const statement = db.prepare(sql)
  statements.set(sql, statement)
  return statement
}

port.on("message", (command: Command) => {
  if ("close" in command) {
    db.close()
    port.postMessage({ id: command.id, ok: true, result: undefined, isTransaction: false })
    port.close()
    return
  }
  try {
    const statement = prepare(command.sql)
    let result: unknown
    if (command.mode === "run") {
      result = statement.run(...command.params)
    } else {
      statement.setReturnArrays(command.mode === "arrays")
      result = statement.all(...command.params)
    }
    port.postMessage({ id: command.id, ok: true, result, isTransaction: db.isTransaction })
  } catch (cause) {
    port.postMessage({ id: command.id, ok: false, error: wire(cause), isTransaction: db.isTransaction })
  }
})
