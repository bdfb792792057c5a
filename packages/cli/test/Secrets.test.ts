/**
 * No configured secret ever leaves the gateway. `switchyard serve` runs as a user runs it, with
 * provider keys that look like nothing in particular, a credential header, and client keys; its
 * upstreams echo every one of those secrets, in every shape providers use, into error bodies,
 * response headers and in-band stream errors (split across network writes). Every byte the gateway
 * sent to clients, wrote to its output, or stored in its ledger is then searched for them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AnthropicWire, Fault, MockUpstream, OpenAiChatWire, Reply } from "@switchyard/testing"
import { cleanEnv, start } from "./processes.ts"

const secrets = {
  openaiKey: "LEAK1-4c18f7e2a9b3d605",
  anthropicKey: "LEAK2-9a8b7c6d5e4f3a2b",
  headerToken: "LEAK3hdr71e0c9aa55f0",
  userKey: "LEAK4/client+7f6e=5d4c",
  adminKey: "LEAK5-admin-0a1b2c3d4e"
}
const all = Object.values(secrets)

/** `text` with every character as a JSON `\uXXXX` escape. */
const unicodeEscaped = (text: string) => [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")

/** Every secret in every shape an upstream might echo it in, as one message (JSON-string safe). */
const echo = all.map((s) =>
  [
    `key ${s}`,
    `auth Bearer ${s}`,
    `url-encoded ${encodeURIComponent(s)}`,
    `masked ${s.slice(0, 6)}****${s.slice(-4)}`,
    `cut ${s.slice(0, 12)}...`,
    `tail ...${s.slice(-10)}`
  ].join("; ")
).join(" | ")

/** The same message with each secret written as JSON unicode escapes (only the raw body shows them). */
const escapedEcho = all.map((s) => `key ${unicodeEscaped(s)}`).join(" | ")

const leakingHeaders = {
  "www-authenticate": `Bearer error="invalid_token", error_description="${secrets.openaiKey}"`,
  "x-echo-key": secrets.anthropicKey
}

/** What must never appear: each secret bare and URL-encoded, and any 8 characters of it. */
const forbidden = all.flatMap((s) => [
  s,
  encodeURIComponent(s),
  ...Array.from({ length: s.length - 7 }, (_, i) => s.slice(i, i + 8))
])

const leaksIn = (where: string, text: string) =>
  forbidden.filter((f) => text.includes(f)).map((f) => `${where}: ${JSON.stringify(f)}`)

const send = (url: string, path: string, key: string, body: Record<string, unknown>) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body)
    })
    const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")
    return { status: response.status, bytes: `${response.status}\n${headers}\n\n${await response.text()}` }
  })

const chat = (stream: boolean) => ({ model: "both", stream, messages: [{ role: "user", content: "hi" }] })
const message = (stream: boolean) => ({ model: "both", stream, max_tokens: 50, messages: [{ role: "user", content: "hi" }] })

describe("no configured secret leaves the gateway", () => {
  it.live("not in responses (both dialects, whole and streamed), headers, output or the ledger", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      const dir = mkdtempSync(join(tmpdir(), "switchyard-secrets-"))
      const config = join(dir, "switchyard.yaml")
      writeFileSync(config, [
        "providers:",
        "  up1:",
        "    kind: openai",
        `    base_url: ${openai.url}/v1`,
        `    api_key: "${secrets.openaiKey}"`,
        `    headers: { X-Custom-Auth: "Token ${secrets.headerToken}" }`,
        "  up2:",
        "    kind: anthropic",
        `    base_url: ${anthropic.url}/v1`,
        `    api_key: "${secrets.anthropicKey}"`,
        "keys:",
        `  - { id: user, key: "${secrets.userKey}" }`,
        `  - { id: ops, key: "${secrets.adminKey}", admin: true }`,
        "routing:",
        "  retries: { max: 0 }",
        "models:",
        "  both:",
        "    routes: [{ provider: up1, model: m1 }, { provider: up2, model: m2 }]"
      ].join("\n"))
      const server = yield* start(["serve", "--config", config, "--port", "0"], cleanEnv())

      // Whole answers: both routes refuse, echoing the secrets in their bodies and headers.
      const openAiRefusal = Reply.json(`{"error":{"message":"${echo} / ${escapedEcho}","type":"invalid_request_error","code":"invalid_api_key"}}`, {
        status: 401,
        headers: leakingHeaders
      })
      const anthropicRefusal = Reply.json(`{"type":"error","error":{"type":"authentication_error","message":"${echo} / ${escapedEcho}"}}`, {
        status: 401,
        headers: leakingHeaders
      })
      yield* openai.setDefault(OpenAiChatWire.route, openAiRefusal)
      yield* anthropic.setDefault(AnthropicWire.route, anthropicRefusal)
      const responses = [
        yield* send(server.url, "/v1/chat/completions", secrets.userKey, chat(false)),
        yield* send(server.url, "/v1/messages", secrets.userKey, message(false)),
        yield* send(server.url, "/v1/chat/completions", secrets.userKey, chat(true)),
        yield* send(server.url, "/v1/messages", secrets.userKey, message(true))
      ]
      for (const r of responses) assert.strictEqual(r.status, 401, r.bytes)

      // Streams that break mid-answer with an in-band error carrying the secrets, written 3 bytes at a
      // time (so each secret is split across network writes); the takeover fails the same way.
      const script = { text: ["Hello", " there"], usage: { inputTokens: 3, outputTokens: 2 } }
      yield* openai.setDefault(
        OpenAiChatWire.route,
        OpenAiChatWire.stream(script, { error: { message: echo, type: "server_error" } }).pipe(Fault.tinyWrites(3))
      )
      yield* anthropic.setDefault(
        AnthropicWire.route,
        AnthropicWire.stream(script, { error: { message: echo } }).pipe(Fault.tinyWrites(3))
      )
      const broken = [
        yield* send(server.url, "/v1/chat/completions", secrets.adminKey, chat(true)),
        yield* send(server.url, "/v1/messages", secrets.adminKey, message(true))
      ]
      for (const r of broken) {
        assert.strictEqual(r.status, 200)
        assert.include(r.bytes, "Hello")
        assert.include(r.bytes, "error")
        assert.include(r.bytes, "[REDACTED]", "the in-band error reached the client, redacted")
      }

      // The error messages still say what happened, with the secrets masked.
      const first = JSON.parse(responses[0]!.bytes.split("\n\n").slice(1).join("\n\n"))
      assert.include(first.error.message, "key [REDACTED]")
      assert.strictEqual(first.error.type, "auth")

      yield* Effect.sleep("300 millis") // the last ledger rows and log lines
      const ledger = readdirSync(dir).filter((f) => f.startsWith("switchyard-ledger"))
      assert.isAbove(ledger.length, 0)
      const leaks = [
        ...[...responses, ...broken].flatMap((r, i) => leaksIn(`response ${i}`, r.bytes)),
        ...leaksIn("gateway output", server.output()),
        ...ledger.flatMap((f) => leaksIn(f, readFileSync(join(dir, f)).toString("latin1")))
      ]
      assert.deepStrictEqual(leaks, [])
      // The gateway did log the failures (so the output check above looked at something).
      assert.include(server.output(), "[REDACTED]")
      // And the upstreams really were sent the keys (the secrets were in play).
      const sent = (yield* openai.requests)[0]!.headers
      assert.strictEqual(sent["authorization"], `Bearer ${secrets.openaiKey}`)
      assert.strictEqual(sent["x-custom-auth"], `Token ${secrets.headerToken}`)
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
