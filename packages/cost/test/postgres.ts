/**
 * The PostgreSQL server the ledger tests use: 127.0.0.1:5432, trust auth, user `postgres`, database
 * `test`. When it is not accepting connections the local cluster is started with `pg_ctlcluster`.
 */
import { execFileSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"

export const connection = { host: "127.0.0.1", port: 5432, username: "postgres", database: "test" } as const

const isReady = (): boolean => {
  try {
    execFileSync("pg_isready", ["-h", connection.host, "-p", String(connection.port)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Starts the installed cluster when the server is down, then waits (up to 30 s) until it accepts connections. */
export const ensurePostgres = async (): Promise<void> => {
  if (isReady()) return
  const version = readdirSync("/etc/postgresql").sort((a, b) => Number(b) - Number(a))[0]
  if (version === undefined) throw new Error("PostgreSQL is not installed (/etc/postgresql is empty)")
  execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" })
  const deadline = Date.now() + 30_000
  while (!isReady()) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL ${version} did not start within 30 s`)
    await sleep(200)
  }
}
