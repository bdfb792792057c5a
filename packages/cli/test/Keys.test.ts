/**
 * `switchyard keys` on the same SQLite file a running gateway reads: a key the CLI creates is
 * accepted by the server, listed without its secret, and refused once the CLI revokes it (within the
 * server's key cache lifetime, here 0).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { run, start } from "./processes.ts"

const chat = (url: string, key: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: "demo/echo", messages: [{ role: "user", content: "hi" }] })
    })
    await response.text()
    return response.status
  })

describe("switchyard keys", () => {
  it.live("a key created by the CLI is accepted by the server on the same SQLite file, then revoked", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-keys-cli-"))
      const config = join(dir, "switchyard.yaml")
      writeFileSync(config, [
        "providers:",
        "  demo: { kind: demo }",
        "ledger: { kind: sqlite, path: ledger.sqlite }",
        "server: { key_cache_ms: 0 }",
        "keys:",
        "  - { id: admin, key: sk-admin-0123456789, admin: true }",
        ""
      ].join("\n"))
      const server = yield* start(["serve", "--config", config, "--port", "0"])
      const created = yield* run(["keys", "create", "--config", config, "--name", "cli", "--tpm", "5000", "--budget-usd", "3"])
      assert.strictEqual(created.code, 0, created.stderr)
      const secret = /sk-sy-[A-Za-z0-9_-]+/.exec(created.stdout)?.[0]
      const id = /vk_[0-9a-f]+/.exec(created.stdout)?.[0]
      assert.isDefined(secret)
      assert.isDefined(id)
      assert.strictEqual(yield* chat(server.url, secret!), 200)
      assert.strictEqual(yield* chat(server.url, "sk-sy-not-a-key"), 401)

      const listed = yield* run(["keys", "list", "--config", config, "--json"])
      assert.strictEqual(listed.code, 0, listed.stderr)
      assert.notInclude(listed.stdout, secret!)
      assert.deepStrictEqual(
        JSON.parse(listed.stdout).map((k: any) => [k.id, k.name, k.limits]),
        [[id, "cli", { tpm: 5000, budget: { limit_usd: 3, window: "daily" } }]]
      )

      const revoked = yield* run(["keys", "revoke", "--config", config, id!])
      assert.strictEqual(revoked.code, 0, revoked.stderr)
      assert.include(revoked.stdout, "revoked")
      assert.strictEqual(yield* chat(server.url, secret!), 401)
      const unknown = yield* run(["keys", "revoke", "--config", config, "vk_none"])
      assert.strictEqual(unknown.code, 1)
    }).pipe(Effect.scoped), 30_000)
})
