/**
 * Runs the `switchyard` command as a user would: a real Node process, its output and exit code.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

/** Runs `switchyard ...args` to completion. */
export const run = (args: ReadonlyArray<string>, options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}) =>
  Effect.callback<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], ...options })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  })

/** The environment of a fresh machine: no provider keys. */
export const cleanEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/_API_KEY$|_BASE_URL$|^OLLAMA_HOST$|^PORT$/.test(key))
  )

export interface Running {
  readonly url: string
  readonly output: () => string
  /** Sends `signal` to the process. */
  readonly kill: (signal: NodeJS.Signals) => void
  /** The exit code, once the process has exited (null when a signal ended it). */
  readonly exited: Effect.Effect<number | null>
}

/** Starts `switchyard ...args`, waits for its "listening" line, and kills it with the scope. */
export const start = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = cleanEnv()) =>
  Effect.acquireRelease(
    Effect.callback<{ child: ReturnType<typeof spawn>; running: Running }, Error>((resume) => {
      // A fresh working directory: without a config the ledger file is created there.
      const cwd = mkdtempSync(join(tmpdir(), "switchyard-serve-"))
      const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      const exit = new Promise<number | null>((resolve) => child.on("exit", resolve))
      const onData = (data: Buffer) => {
        output += data.toString()
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match) {
          resume(Effect.succeed({
            child,
            running: {
              url: match[1]!,
              output: () => output,
              kill: (signal) => child.kill(signal),
              exited: Effect.promise(() => exit)
            }
          }))
        }
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", onData)
      child.on("exit", (code) => resume(Effect.fail(new Error(`exited with ${code}: ${output}`))))
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGTERM"))
  ).pipe(Effect.map(({ running }) => running))
