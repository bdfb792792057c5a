/**
 * `switchyard serve` as a user runs it: a real process, its stdout and exit code, and the HTTP
 * server it starts.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Fault, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { cleanEnv, run, start } from "./processes.ts"

const chat = (url: string, model: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] })
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }))
  )

/** A streamed chat request, once its headers have arrived. */
const openStream = (url: string, model: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hello" }] })
    })
  )

/** A config with one OpenAI-compatible provider at `upstream`, behind alias `smart`. */
const configText = (upstream: string, extra: ReadonlyArray<string> = []) =>
  [
    ...extra,
    "providers:",
    "  primary:",
    "    kind: openai",
    `    base_url: ${upstream}/v1`,
    "    api_key: sk-test-0123456789",
    "models:",
    "  smart:",
    "    routes: [{ provider: primary, model: gpt-4.1 }]"
  ].join("\n")

/** Waits until the process has printed `text` (checked every 50 ms). */
const printed = (server: { readonly output: () => string }, text: string) =>
  Effect.gen(function*() {
    while (!server.output().includes(text)) yield* Effect.sleep("50 millis")
  })

const words = (n: number) => ({ text: Array.from({ length: n }, (_, i) => ` w${i}`), usage: { inputTokens: 3, outputTokens: n } })

const tempFile = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "switchyard-cli-")), name)
  writeFileSync(path, text)
  return path
}

describe("switchyard serve", () => {
  it.live("keeps its compiled modules in Node's compile cache, written at start (a kill -9 keeps it), in the OS temp folder", () =>
    Effect.gen(function*() {
      const temp = mkdtempSync(join(tmpdir(), "switchyard-tmp-"))
      const { NODE_COMPILE_CACHE: _, ...rest } = cleanEnv()
      const env = { ...rest, TMPDIR: temp }
      const server = yield* start(["serve", "--port", "0"], env)
      server.kill("SIGKILL")
      yield* server.exited
      const cached = readdirSync(join(temp, "node-compile-cache"), { recursive: true, withFileTypes: true })
      assert.isAbove(cached.filter((entry) => entry.isFile()).length, 100)
      // Turned off as Node documents it.
      const off = mkdtempSync(join(tmpdir(), "switchyard-tmp-"))
      const { code } = yield* run(["--help"], { env: { ...env, TMPDIR: off, NODE_DISABLE_COMPILE_CACHE: "1" } })
      assert.strictEqual(code, 0)
      assert.isFalse(existsSync(join(off, "node-compile-cache")))
    }).pipe(Effect.scoped), 20_000)

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

  it.live("SIGTERM: new connections refused, a stream that ends within the grace is whole, one that does not ends with an error event, exit code 0", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      const stream = (n: number) => OpenAiChatWire.stream(words(n)).pipe(Fault.chunkDelay("100 millis"))
      yield* upstream.enqueue(OpenAiChatWire.route, stream(3), stream(100))
      const config = tempFile("switchyard.yaml", configText(upstream.url, ["server:", "  shutdown_grace_ms: 800", "ledger: { kind: memory }"]))
      const server = yield* start(["serve", "--config", config, "--port", "0"])
      const quick = yield* openStream(server.url, "smart")
      const slow = yield* openStream(server.url, "smart")
      server.kill("SIGTERM")
      yield* printed(server, "Shutting down")
      const late = yield* Effect.promise(() => fetch(`${server.url}/healthz`).then((r) => r.status, (e: Error) => e.message))
      assert.strictEqual(late, "fetch failed")
      const [quickText, slowText] = yield* Effect.promise(() => Promise.all([quick.text(), slow.text()]))
      assert.isTrue(quickText.endsWith("data: [DONE]\n\n"), quickText)
      assert.notInclude(slowText, "[DONE]")
      assert.match(slowText, /data: \{"error":\{[^\n]*"code":"shutting_down"[^\n]*\n\n$/)
      assert.strictEqual(yield* server.exited, 0)
    }).pipe(Effect.scoped), 30_000)

  it.live("SIGHUP reloads the config file: new requests use it, a stream in flight finishes on the old one, a bad file is refused with its problems and the running config stays", () =>
    Effect.gen(function*() {
      const [a, b] = yield* Effect.all([MockUpstream.make(), MockUpstream.make()])
      yield* a.enqueue(OpenAiChatWire.route, OpenAiChatWire.stream(words(10)).pipe(Fault.chunkDelay("100 millis")))
      yield* a.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["from a"] }))
      yield* b.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["from b"] }))
      const config = tempFile("switchyard.yaml", configText(a.url))
      const server = yield* start(["serve", "--config", config, "--port", "0"])
      const inFlight = yield* openStream(server.url, "smart")

      writeFileSync(config, configText(b.url))
      server.kill("SIGHUP")
      yield* printed(server, "Config reloaded")
      assert.strictEqual((yield* chat(server.url, "smart")).body.choices[0].message.content, "from b")
      const text = yield* Effect.promise(() => inFlight.text())
      assert.isTrue(text.endsWith("data: [DONE]\n\n"), text)
      assert.include(text, "w9")

      writeFileSync(config, configText(b.url).replace("kind: openai", "kind: opena1"))
      server.kill("SIGHUP")
      yield* printed(server, "Config not reloaded")
      assert.include(server.output(), "providers.primary.kind")
      assert.strictEqual((yield* chat(server.url, "smart")).body.choices[0].message.content, "from b")
      assert.lengthOf(yield* a.requests, 1, "only the stream that started before the reload went to the old upstream")
    }).pipe(Effect.scoped), 30_000)
})
