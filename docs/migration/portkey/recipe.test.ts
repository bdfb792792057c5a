/**
 * The Portkey migration guide: `switchyard import` turns the page's Portkey config into the config
 * the page shows, the written key is not copied, and the result loads.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { GatewayConfig } from "@switchyard/gateway"
import { beside, read, switchyard } from "../../test/Docs.ts"

describe("migration from Portkey", () => {
  it.live("switchyard import prints the config shown in the page, without the written key", () =>
    Effect.gen(function*() {
      const result = yield* switchyard(["import", "portkey.json", "--alias", "chat", "--out", "-"], beside(import.meta.url, "."))
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stdout, read(beside(import.meta.url, "switchyard.yaml")))
      assert.include(result.stderr, "5 mapped, 4 approximate, 0 unsupported")
      assert.notInclude(result.stdout + result.stderr, "sk-written-into-the-config")
    }))

  it.effect("the imported config loads: one alias, its targets in order", () =>
    Effect.gen(function*() {
      const config = yield* GatewayConfig.load(beside(import.meta.url, "switchyard.yaml"), { OPENAI_API_KEY: "sk-1234567890", ANTHROPIC_API_KEY: "sk-ant-1234567890" })
      assert.deepStrictEqual(config.models?.["chat"]?.routes.map((r) => `${r.provider}/${r.model}`), ["openai/gpt-5-mini", "anthropic/claude-haiku-4-5"])
      assert.deepStrictEqual(config.routing?.on, { auth: "fail", not_found: "fail", timeout: "fail" })
    }).pipe(Effect.provide(NodeServices.layer)))
})
