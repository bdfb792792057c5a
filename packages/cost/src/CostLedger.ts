/**
 * The `CostLedger` service: one row per attempt (see `LedgerEntry.Entry`), and the usage totals that
 * `GET /v1/usage` and `switchyard costs` report. Three backends: memory (tests, demos), SQLite through
 * `node:sqlite` (a file; WAL, so an acknowledged write survives `kill -9`; `synchronous: "full"` for a power cut too), and
 * PostgreSQL through `@effect/sql-pg`. `layerSql` runs the same tables on any other `SqlClient`.
 */
import { Context, Data, Effect, Layer, type Scope } from "effect"
import type { PgClient } from "@effect/sql-pg"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlError } from "effect/sql"
import * as SqliteClient from "./internal/sqliteClient.ts"
import * as LedgerMemory from "./internal/ledgerMemory.ts"
import * as LedgerSql from "./internal/ledgerSql.ts"
import type { Entry, FiguresRow, Totals, UsageQuery, UsageRow, Window } from "./LedgerEntry.ts"

/** The store failed (a SQL error); `cause` has the driver's reason. */
export class LedgerError extends Data.TaggedError("LedgerError")<{
  readonly operation: "open" | "record" | "query"
  readonly cause: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cost ledger ${this.operation} failed: ${reason}`
  }
}

export interface CostLedgerShape {
  /** Stores one attempt; once this succeeds the row is durable (for the SQL layers). */
  readonly record: (entry: Entry) => Effect.Effect<void, LedgerError>
  /** Sums over every attempt in the window. */
  readonly totals: (window: Window) => Effect.Effect<Totals, LedgerError>
  /**
   * Sums per group and time bucket, ordered by bucket then by the grouped values. Without `groupBy`
   * and `bucket` it is one row with the window's totals.
   */
  readonly usage: (query: UsageQuery) => Effect.Effect<ReadonlyArray<UsageRow>, LedgerError>
  /**
   * Attempts, errors and latency percentiles per group and time bucket, in `usage`'s order, computed
   * by the store (no row is read out): the dashboard's figures.
   */
  readonly figures: (query: UsageQuery) => Effect.Effect<ReadonlyArray<FiguresRow>, LedgerError>
  /** The attempts in the window, oldest first (then by request id), at most `limit`. */
  readonly entries: (
    window: Window & { readonly limit?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<Entry>, LedgerError>
  /**
   * The attempts of the `limit` most recent requests with attempts in the window (a request is as
   * recent as its latest attempt there): newest request first, each request's attempts oldest first.
   */
  readonly requests: (
    window: Window & { readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<Entry>, LedgerError>
  /** Every attempt of one request, oldest first; none for an unknown id. */
  readonly request: (requestId: string) => Effect.Effect<ReadonlyArray<Entry>, LedgerError>
}

export class CostLedger extends Context.Service<CostLedger, CostLedgerShape>()("@switchyard/cost/CostLedger") {}

/** The table the SQL layers use unless told otherwise. */
export const defaultTable = "switchyard_cost_ledger"

const totalsFrom = (usage: CostLedgerShape["usage"]) => (window: Window) =>
  Effect.map(usage({ from: window.from, to: window.to, where: window.where }), (rows) => rows[0]!.totals)

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A ledger in memory; lost when the process ends. */
export const makeMemory: Effect.Effect<CostLedgerShape> = Effect.sync(() => {
  // Appended in place: copying every row on each record made a long-lived ledger quadratic.
  const rows: Array<Entry> = []
  const read = <A>(f: (all: ReadonlyArray<Entry>) => A) => Effect.sync(() => f(rows))
  const usage = (query: UsageQuery) => read((all) => LedgerMemory.usage(all, query))
  return {
    record: (entry) =>
      Effect.sync(() => {
        rows.push(entry)
      }),
    usage,
    totals: totalsFrom(usage),
    figures: (query) => read((all) => LedgerMemory.figures(all, query)),
    entries: (window) =>
      read((all) => {
        const selected = all
          .filter(LedgerMemory.matches(window))
          .sort((a, b) => a.timestamp - b.timestamp || byCodeUnits(a.requestId, b.requestId))
        return window.limit === undefined ? selected : selected.slice(0, Math.max(0, Math.floor(window.limit)))
      }),
    requests: (window) => read((all) => LedgerMemory.recentRequests(all, window)),
    request: (requestId) => read((all) => all.filter((e) => e.requestId === requestId).sort((a, b) => a.timestamp - b.timestamp))
  }
})

/** The ledger on the `SqlClient` in context, in `table` (created when missing). */
export const makeSql = (
  options: { readonly table?: string | undefined } = {}
): Effect.Effect<CostLedgerShape, LedgerError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const ledger = yield* LedgerSql.make(options.table ?? defaultTable).pipe(
      Effect.mapError((cause) => new LedgerError({ operation: "open", cause }))
    )
    const query = (e: SqlError.SqlError) => new LedgerError({ operation: "query", cause: e })
    const usage = (q: UsageQuery) => Effect.mapError(ledger.usage(q), query)
    return {
      record: (entry) =>
        Effect.mapError(ledger.record(entry), (cause) => new LedgerError({ operation: "record", cause })),
      usage,
      totals: totalsFrom(usage),
      figures: (q) => Effect.mapError(ledger.figures(q), query),
      entries: (window) => Effect.mapError(ledger.entries(window), query),
      requests: (window) => Effect.mapError(ledger.requests(window), query),
      request: (requestId) => Effect.mapError(ledger.request(requestId), query)
    }
  })

/** An in-memory ledger. */
export const layerMemory: Layer.Layer<CostLedger> = Layer.effect(CostLedger, makeMemory)

/** The ledger on the `SqlClient` provided to it. */
export const layerSql = (
  options: { readonly table?: string | undefined } = {}
): Layer.Layer<CostLedger, LedgerError, SqlClient.SqlClient> => Layer.effect(CostLedger, makeSql(options))

export interface SqliteOptions {
  /** The database file, created when missing. */
  readonly filename: string
  readonly table?: string | undefined
  /** How long a write waits for another process's lock, in ms. Default 5000. */
  readonly busyTimeoutMs?: number | undefined
  /**
   * `normal` (default): an acknowledged row survives the process being killed; `full`: a power cut
   * too, with an fsync per committed batch.
   */
  readonly synchronous?: SqliteClient.Synchronous | undefined
}

/** A `SqlClient` that `client` opens (for the layer's lifetime). */
const clientLayer = <E>(
  client: Effect.Effect<SqlClient.SqlClient, E, Scope.Scope | Reactivity.Reactivity>
): Layer.Layer<SqlClient.SqlClient, LedgerError> =>
  Layer.effect(SqlClient.SqlClient, Effect.mapError(client, (cause) => new LedgerError({ operation: "open", cause }))).pipe(
    Layer.provide(Reactivity.layer)
  )

/**
 * The ledger's database as a `SqlClient`, for what else lives beside the ledger (virtual keys): a
 * SQLite file (WAL) opened once and shared by every layer it is provided to.
 */
export const sqliteClient = (options: Omit<SqliteOptions, "table">): Layer.Layer<SqlClient.SqlClient, LedgerError> =>
  clientLayer(SqliteClient.make({ filename: options.filename, busyTimeoutMs: options.busyTimeoutMs, synchronous: options.synchronous }))

/**
 * The ledger's PostgreSQL database as a `SqlClient` (a pool, `PgClient` options). The driver is
 * loaded when this layer is built, so a gateway that does not use PostgreSQL never loads it.
 */
export const postgresClient = (options: PgClient.PgPoolConfig): Layer.Layer<SqlClient.SqlClient, LedgerError> =>
  clientLayer(Effect.flatMap(Effect.promise(() => import("@effect/sql-pg/PgClient")), (Pg) => Pg.make(options)))

/** The ledger in a SQLite file (WAL; see `SqliteOptions.synchronous`). */
export const layerSqlite = (options: SqliteOptions): Layer.Layer<CostLedger, LedgerError> =>
  layerSql({ table: options.table }).pipe(Layer.provide(sqliteClient(options)))

export interface PostgresOptions extends PgClient.PgPoolConfig {
  readonly table?: string | undefined
}

/** The ledger in PostgreSQL (`PgClient` pool options: `host`, `port`, `database`, `username`, ...). */
export const layerPostgres = (options: PostgresOptions): Layer.Layer<CostLedger, LedgerError> => {
  const { table, ...pool } = options
  return layerSql({ table }).pipe(Layer.provide(postgresClient(pool)))
}
