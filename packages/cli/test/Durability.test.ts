/**
 * The ledger's promise under a crash: the gateway is killed with SIGKILL while it answers a stream of
 * concurrent requests, and every request whose answer reached the client is in the SQLite ledger.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CostLedger } from "@switchyard/cost"
import { bin } from "./processes.ts"


describe("the ledger across kill -9", () => {
  it.live("holds every answered request after the gateway is killed under load", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-kill-"))
      const config = join(dir, "switchyard.yaml")
      writeFileSync(config, "providers:\n  demo: { kind: demo }\nledger: { kind: sqlite, path: ledger.sqlite }\n")
      const child = spawn(process.execPath, [bin, "serve", "--config", config, "--port", "0"], {
        stdio: ["ignore", "pipe", "pipe"]
      })
      const url = yield* Effect.callback<string, Error>((resume) => {
        let output = ""
        child.stdout.on("data", (d: Buffer) => {
          output += d.toString()
          const match = /listening on (http:\/\/\S+)/.exec(output)
          if (match) resume(Effect.succeed(match[1]!))
        })
        child.on("exit", (code) => resume(Effect.fail(new Error(`gateway exited with ${code}: ${output}`))))
      })

      const answered: Array<string> = []
      let killed = false
      const worker = async (n: number) => {
        for (let i = 0; !killed; i++) {
          try {
            const response = await fetch(`${url}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                model: "demo",
                stream: i % 2 === 0,
                messages: [{ role: "user", content: `worker ${n} request ${i}` }]
              })
            })
            const body = await response.text()
            // An answer counts once it is complete: the JSON body, or the stream's [DONE].
            if (response.status === 200 && (body.includes("data: [DONE]") || body.startsWith("{"))) {
              answered.push(response.headers.get("x-request-id")!)
            }
          } catch {
            // The gateway died mid-request: not answered.
          }
        }
      }
      const workers = Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)))
      yield* Effect.promise(async () => {
        while (answered.length < 150) await new Promise((r) => setTimeout(r, 5))
        child.kill("SIGKILL")
        killed = true
        await workers
      })

      const recorded = yield* Effect.gen(function*() {
        const ledger = yield* CostLedger.CostLedger
        return yield* ledger.entries({ from: 0, to: Number.MAX_SAFE_INTEGER })
      }).pipe(Effect.provide(CostLedger.layerSqlite({ filename: join(dir, "ledger.sqlite") })))
      const ids = new Set(recorded.map((e) => e.requestId))
      const missing = answered.filter((id) => !ids.has(id))
      assert.isAtLeast(answered.length, 150)
      assert.deepStrictEqual(missing, [])
    }), 60_000)
})
