/**
 * The `VirtualKeys` service: client keys created, changed and revoked at runtime (the admin API
 * `/v1/keys`, `switchyard keys`), beside the config's `keys`. They live in the ledger's database (a
 * table beside the ledger's in SQLite or PostgreSQL; in memory with the memory ledger).
 *
 * A key's secret is 32 random bytes (`sk-sy-` + base64url), shown once when it is created; the table
 * holds its SHA-256 digest, its first characters to recognize it by, never the secret. A salted slow
 * hash (scrypt) protects guessable passwords; a 256-bit random secret cannot be guessed, and an
 * unsalted digest lets a request find its key by an indexed lookup instead of hashing every stored
 * salt, at the cost of one SHA-256 per request (what the config's keys already cost).
 *
 * Lookups are cached for `cacheTtlMs` (default 5 s): a change made through this service (a revoked
 * key, new limits) takes effect at once on this instance, which drops its cache; other instances
 * sharing the database see it when their cached entry expires.
 */
import { createHash, randomBytes } from "node:crypto"
import { Cache, Clock, Context, Data, Duration, Effect, Exit, Layer, Option, Redacted, Ref, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { RateLimits } from "@switchyard/cost"
import { KeyBudget, KeyLimits } from "./GatewayConfig.ts"

/** A virtual key as listed: everything but its secret. */
export interface VirtualKey {
  readonly id: string
  readonly name: string | null
  /** The secret's first characters (`sk-sy-Ab3d`), to recognize it; never enough to use it. */
  readonly prefix: string
  readonly admin: boolean
  readonly limits: KeyLimits
  /** Epoch ms. */
  readonly createdAt: number
  /** Epoch ms; `null` while the key is active. */
  readonly revokedAt: number | null
}

/** What a new key is created with. */
export const Settings = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  /** May call the admin routes (usage, `/v1/keys`). */
  admin: Schema.optionalKey(Schema.Boolean),
  ...KeyLimits.fields
})
export type Settings = typeof Settings.Type

/** What changes on a key: a field given replaces the key's, `null` removes a limit (or the name). */
export const Changes = Schema.Struct({
  name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  admin: Schema.optionalKey(Schema.Boolean),
  rpm: Schema.optionalKey(Schema.NullOr(RateLimits.Limits.fields.rpm)),
  tpm: Schema.optionalKey(Schema.NullOr(RateLimits.Limits.fields.tpm)),
  budget: Schema.optionalKey(Schema.NullOr(KeyBudget))
})
export type Changes = typeof Changes.Type

/** The key store failed (a SQL error); `cause` has the driver's reason. */
export class KeyStoreError extends Data.TaggedError("KeyStoreError")<{ readonly cause: unknown }> {
  override get message(): string {
    return `key store failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

export interface VirtualKeysShape {
  /** A new key, and its secret: the only time the secret is available. */
  readonly create: (settings: Settings) => Effect.Effect<{ readonly key: VirtualKey; readonly secret: Redacted.Redacted<string> }, KeyStoreError>
  /** Every key, revoked ones included, oldest first. */
  readonly list: Effect.Effect<ReadonlyArray<VirtualKey>, KeyStoreError>
  /** The key after `changes`; none for an unknown id. */
  readonly update: (id: string, changes: Changes) => Effect.Effect<Option.Option<VirtualKey>, KeyStoreError>
  /** Revokes a key (it is kept, listed as revoked); none for an unknown id. */
  readonly revoke: (id: string) => Effect.Effect<Option.Option<VirtualKey>, KeyStoreError>
  /** The active key whose secret is `secret`, if any. */
  readonly find: (secret: string) => Effect.Effect<Option.Option<VirtualKey>, KeyStoreError>
  /**
   * Whether any key was ever created (a revoked one counts): the gateway stays closed once it has
   * had a key, so revoking the last one never opens it.
   */
  readonly any: Effect.Effect<boolean, KeyStoreError>
}

export class VirtualKeys extends Context.Service<VirtualKeys, VirtualKeysShape>()("@switchyard/gateway/VirtualKeys") {}

/** The SHA-256 digest of a secret, in hex: what the table holds and is searched by. */
export const digest = (secret: string): string => createHash("sha256").update(secret).digest("hex")

/** How a key is stored. */
interface Row extends VirtualKey {
  readonly digest: string
}

/** Where rows are kept: memory or a SQL table. */
interface Backend {
  readonly insert: (row: Row) => Effect.Effect<void, KeyStoreError>
  readonly replace: (row: Row) => Effect.Effect<void, KeyStoreError>
  readonly all: Effect.Effect<ReadonlyArray<Row>, KeyStoreError>
  readonly byId: (id: string) => Effect.Effect<Option.Option<Row>, KeyStoreError>
  readonly byDigest: (digest: string) => Effect.Effect<Option.Option<Row>, KeyStoreError>
  /** Keys ever created, revoked ones included. */
  readonly created: Effect.Effect<number, KeyStoreError>
}

const listed = ({ digest: _, ...key }: Row): VirtualKey => key

/** Limits without the absent ones (`null` from a change or a column). */
const limitsOf = (fields: {
  readonly rpm?: number | null | undefined
  readonly tpm?: number | null | undefined
  readonly budget?: KeyBudget | null | undefined
}): KeyLimits => ({
  ...(fields.rpm == null ? {} : { rpm: fields.rpm }),
  ...(fields.tpm == null ? {} : { tpm: fields.tpm }),
  ...(fields.budget == null ? {} : { budget: fields.budget })
})

/** A key after `changes`: a given field replaces, `null` removes. */
export const apply = (key: VirtualKey, changes: Changes): VirtualKey => ({
  ...key,
  ...(changes.name === undefined ? {} : { name: changes.name }),
  ...(changes.admin === undefined ? {} : { admin: changes.admin }),
  limits: limitsOf({
    rpm: changes.rpm === undefined ? key.limits.rpm : changes.rpm,
    tpm: changes.tpm === undefined ? key.limits.tpm : changes.tpm,
    budget: changes.budget === undefined ? key.limits.budget : changes.budget
  })
})

export interface Options {
  /** How long a lookup is trusted before the store is read again (default 5000). */
  readonly cacheTtlMs?: number | undefined
}

const make = (backend: Backend, options: Options = {}): Effect.Effect<VirtualKeysShape> =>
  Effect.gen(function*() {
    const ttl = Duration.millis(options.cacheTtlMs ?? 5000)
    // Failures are not cached: the next request reads the store again.
    const keep = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? ttl : Duration.zero)
    const byDigest = yield* Cache.makeWith(backend.byDigest, { capacity: 10_000, timeToLive: keep })
    const created = yield* Cache.makeWith((_: "created") => backend.created, { capacity: 1, timeToLive: keep })
    const changed = Effect.andThen(Cache.invalidateAll(byDigest), Cache.invalidateAll(created))
    const updated = (id: string, change: (row: Row, now: number) => Row) =>
      Effect.gen(function*() {
        const found = yield* backend.byId(id)
        if (Option.isNone(found)) return Option.none()
        const row = change(found.value, yield* Clock.currentTimeMillis)
        yield* backend.replace(row)
        yield* changed
        return Option.some(listed(row))
      })
    return {
      create: (settings) =>
        Effect.gen(function*() {
          const secret = `sk-sy-${randomBytes(32).toString("base64url")}`
          const row: Row = {
            id: `vk_${randomBytes(8).toString("hex")}`,
            name: settings.name ?? null,
            prefix: secret.slice(0, 10),
            admin: settings.admin === true,
            limits: limitsOf(settings),
            createdAt: yield* Clock.currentTimeMillis,
            revokedAt: null,
            digest: digest(secret)
          }
          yield* backend.insert(row)
          yield* changed
          return { key: listed(row), secret: Redacted.make(secret) }
        }),
      list: Effect.map(backend.all, (rows) => rows.map(listed)),
      update: (id, changes) => updated(id, (row) => ({ ...apply(row, changes), digest: row.digest })),
      revoke: (id) => updated(id, (row, now) => ({ ...row, revokedAt: row.revokedAt ?? now })),
      find: (secret) =>
        Effect.map(
          Cache.get(byDigest, digest(secret)),
          (row) => Option.map(Option.filter(row, (r) => r.revokedAt === null), listed)
        ),
      any: Effect.map(Cache.get(created, "created"), (n) => n > 0)
    }
  })

/** Keys in memory, for one process (the memory ledger's). */
export const makeMemory = (options: Options = {}): Effect.Effect<VirtualKeysShape> =>
  Effect.gen(function*() {
    const rows = yield* Ref.make<ReadonlyArray<Row>>([])
    const put = (row: Row) => Ref.update(rows, (all) => [...all.filter((r) => r.id !== row.id), row])
    const find = (p: (row: Row) => boolean) => Effect.map(Ref.get(rows), (all) => Option.fromNullishOr(all.find(p)))
    return yield* make({
      insert: put,
      replace: put,
      all: Effect.map(Ref.get(rows), (all) => [...all].sort((a, b) => a.createdAt - b.createdAt)),
      byId: (id) => find((r) => r.id === id),
      byDigest: (d) => find((r) => r.digest === d),
      created: Effect.map(Ref.get(rows), (all) => all.length)
    }, options)
  })

/** The table the SQL layer uses unless told otherwise. */
export const defaultTable = "switchyard_keys"

const number = (value: unknown): number | null => (value == null ? null : Number(value))

/** Keys in `table` (created when missing) on the `SqlClient` in context: SQLite or PostgreSQL. */
export const makeSql = (
  options: Options & { readonly table?: string | undefined } = {}
): Effect.Effect<VirtualKeysShape, KeyStoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = options.table ?? defaultTable
    const t = sql(table)
    const failed = <A>(effect: Effect.Effect<A, SqlError.SqlError>) => Effect.mapError(effect, (cause) => new KeyStoreError({ cause }))
    yield* failed(sql`CREATE TABLE IF NOT EXISTS ${t} (
      id TEXT PRIMARY KEY,
      digest TEXT NOT NULL UNIQUE,
      prefix TEXT NOT NULL,
      name TEXT,
      admin INTEGER NOT NULL,
      rpm BIGINT,
      tpm BIGINT,
      budget_usd DOUBLE PRECISION,
      budget_window TEXT,
      created_at BIGINT NOT NULL,
      revoked_at BIGINT
    )`)
    const columns = (row: Row) => ({
      prefix: row.prefix,
      name: row.name,
      admin: row.admin ? 1 : 0,
      rpm: row.limits.rpm ?? null,
      tpm: row.limits.tpm ?? null,
      budget_usd: row.limits.budget?.limit_usd ?? null,
      budget_window: row.limits.budget === undefined ? null : JSON.stringify(row.limits.budget.window),
      revoked_at: row.revokedAt
    })
    const decodeWindow = Schema.decodeUnknownSync(KeyBudget.fields.window)
    const fromColumns = (r: Record<string, unknown>): Row => ({
      id: String(r["id"]),
      digest: String(r["digest"]),
      prefix: String(r["prefix"]),
      name: r["name"] == null ? null : String(r["name"]),
      admin: Number(r["admin"]) === 1,
      limits: limitsOf({
        rpm: number(r["rpm"]),
        tpm: number(r["tpm"]),
        budget: r["budget_usd"] == null || r["budget_window"] == null
          ? null
          : { limit_usd: Number(r["budget_usd"]), window: decodeWindow(JSON.parse(String(r["budget_window"]))) }
      }),
      createdAt: Number(r["created_at"]),
      revokedAt: number(r["revoked_at"])
    })
    const one = (rows: ReadonlyArray<Record<string, unknown>>) => Option.map(Option.fromNullishOr(rows[0]), fromColumns)
    return yield* make({
      insert: (row) =>
        failed(sql`INSERT INTO ${t} ${sql.insert({ id: row.id, digest: row.digest, created_at: row.createdAt, ...columns(row) })}`),
      replace: (row) => failed(sql`UPDATE ${t} SET ${sql.update(columns(row))} WHERE id = ${row.id}`),
      all: failed(Effect.map(sql`SELECT * FROM ${t} ORDER BY created_at, id`, (rows) => rows.map(fromColumns))),
      byId: (id) => failed(Effect.map(sql`SELECT * FROM ${t} WHERE id = ${id}`, one)),
      byDigest: (d) => failed(Effect.map(sql`SELECT * FROM ${t} WHERE digest = ${d}`, one)),
      created: failed(Effect.map(sql`SELECT COUNT(*) AS n FROM ${t}`, (rows) => Number(rows[0]?.["n"] ?? 0)))
    }, options)
  })

/** Keys in memory. */
export const layerMemory = (options: Options = {}): Layer.Layer<VirtualKeys> => Layer.effect(VirtualKeys, makeMemory(options))

/** Keys on the `SqlClient` provided to it. */
export const layerSql = (
  options: Options & { readonly table?: string | undefined } = {}
): Layer.Layer<VirtualKeys, KeyStoreError, SqlClient.SqlClient> => Layer.effect(VirtualKeys, makeSql(options))
