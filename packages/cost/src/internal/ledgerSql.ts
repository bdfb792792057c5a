/**
 * The ledger on any Effect `SqlClient` (SQLite and PostgreSQL are tested). One table, one row per
 * attempt; the statements use only SQL both dialects share. Integers come back as `bigint` from
 * PostgreSQL and as `number` from SQLite, so every number read goes through `toNumber`.
 */
import { Array as Arr, Effect, Exit, Request, RequestResolver } from "effect"
import { SqlClient, SqlError, type Statement } from "effect/sql"
import type { Dimension, Entry, FiguresRow, Totals, UsageQuery, UsageRow, Window } from "../LedgerEntry.ts"
import { compareRows } from "../LedgerEntry.ts"

const columns: Record<Dimension, string> = {
  provider: "provider",
  model: "model",
  apiKeyId: "api_key_id",
  modelAlias: "model_alias"
}

const toNumber = (value: unknown): number => (value == null ? 0 : Number(value))

/**
 * Rows per INSERT at most: 17 parameters a row stays far below SQLite's 32,766 and PostgreSQL's
 * 65,535 parameters per statement, and a burst is written as several statements.
 */
const MAX_BATCH = 500

/** One attempt's row to write. */
class RecordRow extends Request.TaggedClass("RecordRow")<{ readonly entry: Entry }, void, SqlError.SqlError> {}

export interface SqlLedger {
  readonly record: (entry: Entry) => Effect.Effect<void, SqlError.SqlError>
  readonly usage: (query: UsageQuery) => Effect.Effect<Array<UsageRow>, SqlError.SqlError>
  readonly figures: (query: UsageQuery) => Effect.Effect<Array<FiguresRow>, SqlError.SqlError>
  readonly entries: (
    window: Window & { readonly limit?: number | undefined }
  ) => Effect.Effect<Array<Entry>, SqlError.SqlError>
  readonly requests: (window: Window & { readonly limit: number }) => Effect.Effect<Array<Entry>, SqlError.SqlError>
  readonly request: (requestId: string) => Effect.Effect<Array<Entry>, SqlError.SqlError>
}

/** Creates the table (and its indexes: time, request id) when missing, then serves the ledger from it. */
export const make = (table: string): Effect.Effect<SqlLedger, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const t = sql(table)

    yield* sql`CREATE TABLE IF NOT EXISTS ${t} (
      request_id TEXT NOT NULL,
      api_key_id TEXT,
      model_alias TEXT NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      role TEXT NOT NULL,
      outcome TEXT NOT NULL,
      latency_ms DOUBLE PRECISION NOT NULL,
      input_tokens BIGINT NOT NULL,
      output_tokens BIGINT NOT NULL,
      cached_input_tokens BIGINT NOT NULL,
      cache_write_tokens BIGINT NOT NULL,
      reasoning_tokens BIGINT,
      usage_source TEXT NOT NULL,
      estimate_method TEXT,
      cost_usd DOUBLE PRECISION,
      ts BIGINT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${table}_ts`)} ON ${t} (ts)`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${table}_request`)} ON ${t} (request_id)`

    const where = (window: Window): Statement.Fragment =>
      sql.and([
        sql`ts >= ${Math.floor(window.from)}`,
        sql`ts < ${Math.ceil(window.to)}`,
        ...Object.entries(window.where ?? {}).map(([d, value]) => sql`${sql(columns[d as Dimension])} = ${value}`)
      ])

    const row = (entry: Entry) => ({
          request_id: entry.requestId,
          api_key_id: entry.apiKeyId,
          model_alias: entry.modelAlias,
          provider: entry.provider,
          model: entry.model,
          role: entry.role,
          outcome: entry.outcome,
          latency_ms: entry.latencyMs,
          input_tokens: entry.usage.inputTokens,
          output_tokens: entry.usage.outputTokens,
          cached_input_tokens: entry.usage.cachedInputTokens,
          cache_write_tokens: entry.usage.cacheWriteTokens,
          reasoning_tokens: entry.usage.reasoningTokens ?? null,
          usage_source: entry.usage.source,
          estimate_method: entry.estimateMethod,
          cost_usd: entry.cost,
          ts: Math.round(entry.timestamp)
        })

    /**
     * Group commit: the rows recorded while a write is under way (or in the same tick) go in one
     * multi-row INSERT, one transaction and, on SQLite, one fsync; each caller resumes once its row
     * is durable. Effect's `RequestResolver` collects the batch across fibers.
     */
    const writer = RequestResolver.make<RecordRow>((entries) =>
      sql`INSERT INTO ${t} ${sql.insert(Arr.map(entries, (e) => row(e.request.entry)))}`.pipe(
        Effect.exit,
        Effect.map((exit) => {
          for (const e of entries) e.completeUnsafe(Exit.asVoid(exit))
        })
      )
    ).pipe(RequestResolver.batchN(MAX_BATCH))

    const record = (entry: Entry) => Effect.request(new RecordRow({ entry }), writer)

    const aggregates = [
      sql`COUNT(DISTINCT request_id) AS requests`,
      sql`COUNT(*) AS attempts`,
      sql`SUM(cost_usd) AS cost`,
      sql`SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS unknown_cost`,
      sql`SUM(CASE WHEN usage_source = 'estimated' THEN 1 ELSE 0 END) AS estimated`,
      sql`SUM(input_tokens) AS input_tokens`,
      sql`SUM(output_tokens) AS output_tokens`,
      sql`SUM(cached_input_tokens) AS cached_input_tokens`,
      sql`SUM(cache_write_tokens) AS cache_write_tokens`,
      sql`SUM(reasoning_tokens) AS reasoning_tokens`
    ]

    const totalsOf = (row: Record<string, unknown>): Totals => ({
      requests: toNumber(row["requests"]),
      attempts: toNumber(row["attempts"]),
      cost: toNumber(row["cost"]),
      unknownCost: toNumber(row["unknown_cost"]),
      estimated: toNumber(row["estimated"]),
      inputTokens: toNumber(row["input_tokens"]),
      outputTokens: toNumber(row["output_tokens"]),
      cachedInputTokens: toNumber(row["cached_input_tokens"]),
      cacheWriteTokens: toNumber(row["cache_write_tokens"]),
      reasoningTokens: toNumber(row["reasoning_tokens"])
    })

    /** A query's dimensions and bucket size (none, or one), and a result row's group and bucket. */
    const groupingOf = (query: UsageQuery) => {
      const groupBy = query.groupBy ?? []
      const bucket = query.bucket === undefined ? [] : [Math.max(1, Math.round(query.bucket))]
      const keyOf = (row: Record<string, unknown>) => ({
        group: Object.fromEntries(groupBy.map((d) => [d, row[d] == null ? null : String(row[d])])),
        ...(bucket.length === 0 ? {} : { bucket: toNumber(row["bucket"]) })
      })
      return { groupBy, bucket, keyOf }
    }

    const usage = (query: UsageQuery) => {
      const { bucket, groupBy, keyOf } = groupingOf(query)
      const keys = [
        ...groupBy.map((d) => sql`${sql(columns[d])} AS ${sql(d)}`),
        ...bucket.map((size) => sql`ts - (ts % ${size}) AS bucket`)
      ]
      const grouping = [...groupBy.map((d) => sql(columns[d])), ...bucket.map(() => sql("bucket"))]
      const statement = grouping.length === 0
        ? sql<Record<string, unknown>>`SELECT ${sql.csv(aggregates)} FROM ${t} WHERE ${where(query)}`
        : sql<Record<string, unknown>>`SELECT ${sql.csv([...keys, ...aggregates])} FROM ${t} WHERE ${
          where(query)
        } GROUP BY ${sql.csv(grouping.map((g) => sql`${g}`))}`
      return Effect.map(statement, (rows) =>
        rows
          .map((row): UsageRow => ({ ...keyOf(row), totals: totalsOf(row) }))
          .sort(compareRows(groupBy)))
    }

    /**
     * Figures per group in one statement: each attempt ranked by latency among its group's attempts
     * not cancelled (a window function), then per group the count, the errors and the latencies at
     * the nearest ranks, `ceil(percent × n / 100)` in integer arithmetic as `rankOf` does:
     * `(percent × n + 99) / 100`.
     */
    const figures = (query: UsageQuery) => {
      const { bucket, groupBy, keyOf } = groupingOf(query)
      const keys = [...groupBy.map((d) => sql`${sql(columns[d])}`), ...bucket.map((size) => sql`ts - (ts % ${size})`)]
      const names = [...groupBy.map((d) => sql`${sql(d)}`), ...bucket.map(() => sql`${sql("bucket")}`)]
      const timed = sql`CASE WHEN outcome = 'cancelled' THEN 0 ELSE 1 END`
      const byGroup = keys.length === 0 ? sql.literal("") : sql`PARTITION BY ${sql.csv(keys)}`
      const ranked = sql`SELECT ${
        sql.csv([
          ...keys.map((key, i) => sql`${key} AS ${names[i]!}`),
          sql`outcome`,
          sql`latency_ms`,
          sql`${timed} AS timed`,
          sql`ROW_NUMBER() OVER (PARTITION BY ${sql.csv([...keys, timed])} ORDER BY latency_ms) AS rn`,
          sql`SUM(${timed}) OVER (${byGroup}) AS n`
        ])
      } FROM ${t} WHERE ${where(query)}`
      const at = (percent: number) => sql`MAX(CASE WHEN timed = 1 AND rn = (${sql.literal(String(percent))} * n + 99) / 100 THEN latency_ms END)`
      const columnsOut = [
        ...names,
        sql`COUNT(*) AS attempts`,
        sql`SUM(CASE WHEN outcome = 'ok' OR outcome = 'cancelled' THEN 0 ELSE 1 END) AS errors`,
        sql`${at(50)} AS p50`,
        sql`${at(95)} AS p95`,
        sql`${at(99)} AS p99`
      ]
      const statement = names.length === 0
        ? sql<Record<string, unknown>>`SELECT ${sql.csv(columnsOut)} FROM (${ranked}) ranked`
        : sql<Record<string, unknown>>`SELECT ${sql.csv(columnsOut)} FROM (${ranked}) ranked GROUP BY ${sql.csv(names)}`
      const latency = (value: unknown) => (value == null ? null : toNumber(value))
      return Effect.map(statement, (rows) =>
        rows
          .map((row): FiguresRow => ({
            ...keyOf(row),
            figures: {
              attempts: toNumber(row["attempts"]),
              errors: toNumber(row["errors"]),
              p50: latency(row["p50"]),
              p95: latency(row["p95"]),
              p99: latency(row["p99"])
            }
          }))
          .sort(compareRows(groupBy)))
    }

    const entryOf = (row: Record<string, unknown>): Entry => ({
      requestId: String(row["request_id"]),
      apiKeyId: row["api_key_id"] == null ? null : String(row["api_key_id"]),
      modelAlias: String(row["model_alias"]),
      provider: String(row["provider"]),
      model: String(row["model"]),
      role: String(row["role"]) as Entry["role"],
      outcome: String(row["outcome"]) as Entry["outcome"],
      latencyMs: toNumber(row["latency_ms"]),
      usage: {
        inputTokens: toNumber(row["input_tokens"]),
        outputTokens: toNumber(row["output_tokens"]),
        cachedInputTokens: toNumber(row["cached_input_tokens"]),
        cacheWriteTokens: toNumber(row["cache_write_tokens"]),
        ...(row["reasoning_tokens"] == null ? {} : { reasoningTokens: toNumber(row["reasoning_tokens"]) }),
        source: row["usage_source"] === "estimated" ? "estimated" : "provider"
      },
      estimateMethod: row["estimate_method"] == null ? null : String(row["estimate_method"]),
      cost: row["cost_usd"] == null ? null : toNumber(row["cost_usd"]),
      timestamp: toNumber(row["ts"])
    })

    const entries = (window: Window & { readonly limit?: number | undefined }) =>
      Effect.map(
        sql<Record<string, unknown>>`SELECT * FROM ${t} WHERE ${where(window)} ORDER BY ts, request_id${
          window.limit === undefined ? sql.literal("") : sql` LIMIT ${Math.max(0, Math.floor(window.limit))}`
        }`,
        (rows) => rows.map(entryOf)
      )

    /** The window's most recent request ids (by latest attempt), then their attempts in the window. */
    const requests = (window: Window & { readonly limit: number }) =>
      Effect.map(
        sql<Record<string, unknown>>`SELECT ${t}.*, recent.latest FROM ${t} JOIN (
          SELECT request_id, MAX(ts) AS latest FROM ${t} WHERE ${where(window)}
          GROUP BY request_id ORDER BY latest DESC, request_id DESC LIMIT ${Math.max(0, Math.floor(window.limit))}
        ) recent ON ${t}.request_id = recent.request_id
        WHERE ${where(window)} ORDER BY recent.latest DESC, ${t}.request_id DESC, ts`,
        (rows) => rows.map(entryOf)
      )

    const request = (requestId: string) =>
      Effect.map(
        sql<Record<string, unknown>>`SELECT * FROM ${t} WHERE request_id = ${requestId} ORDER BY ts`,
        (rows) => rows.map(entryOf)
      )

    return { record, usage, figures, entries, requests, request }
  })
