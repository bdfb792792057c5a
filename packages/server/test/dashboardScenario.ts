/**
 * The traffic the dashboard tests look at: a gateway with an admin key over three mock upstreams,
 * serving a scripted mix. Alias `smart` is `primary/big` then `backup/small`; alias `solo` is
 * `flaky/m`. `primary` answers twice, then fails with 503s until its breaker opens (after two), so
 * later requests fall back to `backup`; `flaky` refuses every request (400), which the client hears.
 */
import { Effect, Redacted } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { postChat, serveConfig } from "./harness.ts"

export const adminKey = "sk-ops-admin-0123456789"
export const clientKey = "sk-team-a-0123456789"

/** Sends the mix; returns the gateway's URL and each request's `x-request-id` and status, in order. */
export const serveMix = Effect.gen(function*() {
  const primary = yield* MockUpstream.make()
  const backup = yield* MockUpstream.make()
  const flaky = yield* MockUpstream.make()
  const usage = { inputTokens: 12_000, outputTokens: 3_000 }
  yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["one"], usage }), OpenAiChatWire.answer({ text: ["two"], usage }))
  yield* primary.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(503))
  yield* backup.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["from backup"], usage: { inputTokens: 8_000, outputTokens: 1_000 } }))
  yield* flaky.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(400, { message: "bad request" }))
  const url = yield* serveConfig({
    providers: {
      primary: { kind: "openai", base_url: `${primary.url}/v1`, api_key: Redacted.make("sk-primary-0123456789") },
      backup: { kind: "openai", base_url: `${backup.url}/v1`, api_key: Redacted.make("sk-backup-0123456789") },
      flaky: { kind: "openai", base_url: `${flaky.url}/v1`, api_key: Redacted.make("sk-flaky-0123456789") }
    },
    models: {
      smart: { routes: [{ provider: "primary", model: "big" }, { provider: "backup", model: "small" }] },
      solo: { routes: [{ provider: "flaky", model: "m" }] }
    },
    keys: [{ id: "ops", key: Redacted.make(adminKey), admin: true }, { id: "team-a", key: Redacted.make(clientKey) }],
    pricing: {
      prices: {
        "primary/big": { input: 2, output: 8 },
        "backup/small": { input: 0.5, output: 2 },
        "flaky/m": { input: 1, output: 1 }
      }
    },
    routing: { retries: { max: 0 }, breaker: { consecutive_failures: 2, cooldown_ms: 600_000 } }
  })
  const send = (model: string, key: string) =>
    Effect.map(postChat(url, { model }, { authorization: `Bearer ${key}` }), (r) => ({ id: r.headers.get("x-request-id")!, status: r.status }))
  const sent = []
  // Two answers from primary (one per key), two fallbacks that open its breaker, one fallback past
  // the open breaker, one refusal.
  sent.push(yield* send("smart", adminKey))
  sent.push(yield* send("smart", clientKey))
  sent.push(yield* send("smart", clientKey))
  sent.push(yield* send("smart", clientKey))
  sent.push(yield* send("smart", clientKey))
  sent.push(yield* send("solo", clientKey))
  return { url, sent, send }
})

/** GET a gateway route as JSON with a key. */
export const getJson = (url: string, key: string = adminKey) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } })
    return { status: response.status, body: await response.json() as any }
  })
