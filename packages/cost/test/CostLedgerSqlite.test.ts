import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as Usage from "@switchyard/core/Usage"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { CostLedger } from "../src/index.ts"
import { ledgerSuite } from "./ledgerSuite.ts"

const directory = mkdtempSync(join(tmpdir(), "switchyard-cost-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

ledgerSuite("CostLedger (SQLite)", CostLedger.layerSqlite({ filename: join(directory, "suite.db") }))

/** Starts the writer on `filename`, waits for `acks` acknowledgements, then kills it with SIGKILL. */
const writeThenKill = (filename: string, acks: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "sqliteWriter.ts"), filename], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let lastAck = -1
    let buffered = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk
      const lines = buffered.split("\n")
      buffered = lines.pop()!
      for (const line of lines) lastAck = Number(line.slice("ack ".length))
      if (lastAck + 1 >= acks) child.kill("SIGKILL")
    })
    child.on("error", reject)
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? resolve(lastAck) : reject(new Error(`writer exited on its own (${signal ?? _code})`)))
  })

describe("CostLedger (SQLite) durability", () => {
  it.effect("every row acknowledged before kill -9 is in the file afterwards", () =>
    Effect.gen(function*() {
      const filename = join(directory, "killed.db")
      const lastAck = yield* Effect.promise(() => writeThenKill(filename, 200))
      assert.isAtLeast(lastAck, 199)
      const rows = yield* Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.entries({ from: 0, to: 2_000_000 })).pipe(
        Effect.provide(CostLedger.layerSqlite({ filename }))
      )
      const ids = new Set(rows.map((row) => row.requestId))
      const missing = Array.from({ length: lastAck + 1 }, (_, n) => `durable-${n}`).filter((id) => !ids.has(id))
      assert.deepStrictEqual(missing, [])
      assert.strictEqual(new DatabaseSync(filename).prepare("PRAGMA journal_mode").get()?.["journal_mode"], "wal")
    }), 60_000)

  it.effect("synchronous: NORMAL by default (a crash loses nothing, kill -9 above), FULL on request (a power cut neither)", () =>
    Effect.gen(function*() {
      const level = (synchronous?: "normal" | "full") =>
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ synchronous: number }>`PRAGMA synchronous`).pipe(
          Effect.map((rows) => rows[0]?.synchronous),
          Effect.provide(CostLedger.sqliteClient({ filename: join(directory, "synchronous.db"), synchronous }))
        )
      assert.strictEqual(yield* level(), 1)
      assert.strictEqual(yield* level("normal"), 1)
      assert.strictEqual(yield* level("full"), 2)
    }))

  it.effect("rows outlive the layer: a new layer on the same file reads them", () =>
    Effect.gen(function*() {
      const filename = join(directory, "reopen.db")
      const row = {
        requestId: "persisted",
        apiKeyId: "key-a",
        modelAlias: "smart",
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        role: "primary" as const,
        outcome: "ok" as const,
        latencyMs: 900,
        usage: Usage.make({ inputTokens: 10, outputTokens: 2 }),
        estimateMethod: null,
        cost: 0.5,
        timestamp: 5_000
      }
      yield* Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.record(row)).pipe(
        Effect.provide(CostLedger.layerSqlite({ filename }))
      )
      const read = yield* Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.entries({ from: 0, to: 10_000 })).pipe(
        Effect.provide(CostLedger.layerSqlite({ filename }))
      )
      assert.deepStrictEqual(read, [row])
    }))

  it.effect("a burst larger than one statement's parameters is written whole (2,500 rows at once)", () =>
    Effect.gen(function*() {
      const filename = join(directory, "burst.db")
      const rows = Array.from({ length: 2_500 }, (_, i) => ({
        requestId: `burst-${i}`,
        apiKeyId: null,
        modelAlias: "smart",
        provider: "openai",
        model: "gpt-4o-mini",
        role: "primary" as const,
        outcome: "ok" as const,
        latencyMs: 1,
        usage: Usage.make({ inputTokens: 1, outputTokens: 1 }),
        estimateMethod: null,
        cost: null,
        timestamp: 1_000 + i
      }))
      const totals = yield* Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        yield* Effect.forEach(rows, (row) => ledger.record(row), { concurrency: "unbounded", discard: true })
        return yield* ledger.totals({ from: 0, to: 10_000 })
      }).pipe(Effect.provide(CostLedger.layerSqlite({ filename })))
      assert.strictEqual(totals.attempts, 2_500)
    }))
})

