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

const chat = (url: string, body: Record<string, unknown>) =>
  Effect.promise(async () => {
    const started = performance.now()
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Hello" }], ...body })
    })
    await response.text()
    return { status: response.status, elapsed: performance.now() - started }
  })

/** Bodies that cost the tokenizer quadratic time when counted naively. */
const hostile: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["1 MB without whitespace", { messages: [{ role: "user", content: "A".repeat(1_000_000) }] }],
  ["1 MB of CJK text", { messages: [{ role: "user", content: "漢字かな交じり文".repeat(43_690) }] }],
  ["a 100 KB tool name", { tools: [{ type: "function", function: { name: "B".repeat(100_000), parameters: { type: "object" } } }] }]
]

describe("switchyard serve under hostile input", () => {
  it.live("while it handles a hostile body, a concurrent normal request is answered within 100 ms", () =>
    Effect.gen(function*() {
      const { url } = yield* start(["serve", "--config", budgeted(), "--port", "0"], cleanEnv())
      // Warm: the tokenizer's ranks are loaded by the first request.
      yield* chat(url, {})
      for (const [name, body] of hostile) {
        const [slow, quick] = yield* Effect.all([
          chat(url, body),
          Effect.forEach([20, 60], (ms) => Effect.delay(chat(url, {}), `${ms} millis`), { concurrency: "unbounded" })
        ], { concurrency: "unbounded" })
        assert.strictEqual(slow.status, 200, name)
        for (const r of quick) {
          assert.strictEqual(r.status, 200)
          assert.isBelow(r.elapsed, 100, `a normal request took ${r.elapsed.toFixed(0)} ms beside ${name}`)
        }
      }
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
