/**
 * One hostile request against `switchyard serve` as a user runs it (the demo provider, the default
 * SQLite ledger, and a budget, so every request's input is token-counted for its reservation): the
 * gateway keeps answering everybody else while it handles the request.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cleanEnv, start } from "./processes.ts"

const budgeted = () => {
  const path = join(mkdtempSync(join(tmpdir(), "switchyard-hostile-")), "switchyard.yaml")
  writeFileSync(path, "providers:\n  demo: { kind: demo }\nbudgets:\n  - { model: \"*\", limit_usd: 1000, window: daily }\n")
  return path
}

/** A chat request body: "Hello" to the demo, with `extra` merged in. */
const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Hello" }], ...extra })

/** Sends a body (serialized beforehand, so the test's own work does not fall inside the timing). */
const chat = (url: string, text: string) =>
  Effect.promise(async () => {
    const started = performance.now()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: text
    })
    await response.text()
    return { status: response.status, elapsed: performance.now() - started }
  })

/** Bodies that cost the tokenizer quadratic time when counted naively. */
const hostile: ReadonlyArray<readonly [string, string]> = [
  ["1 MB without whitespace", body({ messages: [{ role: "user", content: "A".repeat(1_000_000) }] })],
  ["1 MB of CJK text", body({ messages: [{ role: "user", content: "漢字かな交じり文".repeat(43_690) }] })],
  ["a 100 KB tool name", body({ tools: [{ type: "function", function: { name: "B".repeat(100_000), parameters: { type: "object" } } }] })]
]

describe("switchyard serve under hostile input", () => {
  it.live("while it handles a hostile body, a concurrent normal request is answered within 100 ms", () =>
    Effect.gen(function*() {
      const { url } = yield* start(["serve", "--config", budgeted(), "--port", "0"], cleanEnv())
      const normal = body()
      // Warm: the tokenizer's ranks load with the first request, and each path is compiled once.
      yield* chat(url, normal)
      for (const [, hostileBody] of hostile) yield* chat(url, hostileBody)
      for (const [name, hostileBody] of hostile) {
        const [slow, quick] = yield* Effect.all([
          chat(url, hostileBody),
          Effect.forEach([20, 60], (ms) => Effect.delay(chat(url, normal), `${ms} millis`), { concurrency: "unbounded" })
        ], { concurrency: "unbounded" })
        assert.strictEqual(slow.status, 200, name)
        for (const r of quick) {
          assert.strictEqual(r.status, 200)
          assert.isBelow(r.elapsed, 100, `a normal request took ${r.elapsed.toFixed(0)} ms beside ${name}`)
        }
      }
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
