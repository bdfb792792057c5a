/**
 * `switchyard serve` as a user runs it: a real process, its stdout and exit code, and the HTTP
 * server it starts.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { cleanEnv, run, start } from "./processes.ts"

const chat = (url: string, model: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] })
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }))
  )

const tempFile = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "switchyard-cli-")), name)
  writeFileSync(path, text)
  return path
}

describe("switchyard serve", () => {
  it.live("starts on the demo provider when no key is set, and answers", () =>
    Effect.gen(function*() {
      const server = yield* start(["serve", "--port", "0"])
      assert.include(server.output(), "built-in demo provider")
      const { body, status } = yield* chat(server.url, "any-model")
      assert.strictEqual(status, 200)
      assert.include(body.choices[0].message.content, "You said: \"hello\"")
    }).pipe(Effect.scoped), 20_000)

  it.live("serves a YAML config's providers and aliases, with the key from the environment", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["from upstream"] }))
      const config = tempFile(
        "switchyard.yaml",
        [
          "providers:",
          "  primary:",
          "    kind: openai",
          `    base_url: ${upstream.url}/v1`,
          "    api_key: ${UPSTREAM_KEY}",
          "models:",
          "  smart:",
          "    routes: [{ provider: primary, model: gpt-4.1 }]"
        ].join("\n")
      )
      const server = yield* start(["serve", "--config", config, "--port", "0"], { ...cleanEnv(), UPSTREAM_KEY: "sk-from-env" })
      const { body, status } = yield* chat(server.url, "smart")
      assert.strictEqual(status, 200)
      assert.strictEqual(body.choices[0].message.content, "from upstream")
      const [exchange] = yield* upstream.exchanges
      assert.strictEqual(exchange!.request.headers["authorization"], "Bearer sk-from-env")
      assert.strictEqual((exchange!.request.json as { model: string }).model, "gpt-4.1")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)), 20_000)

  it.live("refuses a bad config with the path and what was expected, exit code 1", () =>
    Effect.gen(function*() {
      const config = tempFile("bad.yaml", "providers:\n  primary:\n    kind: opena1\n")
      const result = yield* run(["serve", "--config", config, "--port", "0"], { env: cleanEnv() })
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "providers.primary.kind")
      assert.include(result.stderr, "openai")
    }), 20_000)
})
