/**
 * A `json_schema` response format over HTTP is a contract: the answer is validated, repaired,
 * re-asked, or taken from the next route, and the client sees what was done.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const schema = {
  type: "object",
  required: ["severity", "summary"],
  properties: { severity: { enum: ["low", "medium", "high"] }, summary: { type: "string" } }
}

const setup = Effect.gen(function*() {
  const primary = yield* MockUpstream.make()
  const backup = yield* MockUpstream.make()
  const url = yield* serveConfig({
    providers: {
      primary: { kind: "openai", base_url: `${primary.url}/v1`, api_key: Redacted.make("sk-primary-0123456789") },
      backup: { kind: "openai", base_url: `${backup.url}/v1`, api_key: Redacted.make("sk-backup-0123456789") }
    },
    models: { triage: { routes: [{ provider: "primary", model: "a" }, { provider: "backup", model: "b" }] } },
    routing: { retries: { max: 0 } }
  })
  return { primary, backup, url }
})

const ask = (url: string, model = "triage") =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content: "Triage: the login page is down." }],
        response_format: { type: "json_schema", json_schema: { name: "triage", schema } }
      })
    })
    return { status: response.status, headers: response.headers, body: (await response.json()) as any }
  })

const says = (text: string) => OpenAiChatWire.json({ text: [text] })

describe("response_format json_schema as a contract", () => {
  it.live("repairs a fenced answer with the wrong letter case, and says so", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup
      yield* primary.enqueue(OpenAiChatWire.route, says("```json\n{\"severity\": \"HIGH\", \"summary\": \"login down\"}\n```"))
      const r = yield* ask(url)
      assert.strictEqual(r.status, 200)
      assert.deepStrictEqual(JSON.parse(r.body.choices[0].message.content), { severity: "high", summary: "login down" })
      assert.strictEqual(r.headers.get("x-switchyard-repairs"), "extractJson, mapEnumSynonyms")
      assert.strictEqual(r.headers.get("x-switchyard-contract"), "primary/a=repaired")
      const usage = yield* Effect.promise(() => fetch(`${url}/v1/usage?group_by=alias`).then((res) => res.json() as Promise<any>))
      assert.deepStrictEqual(usage.data.map((row: any) => row.alias), ["triage"])
      const sent = (yield* primary.exchanges)[0]!.request.json as { response_format: unknown }
      assert.deepStrictEqual(sent.response_format, { type: "json_schema", json_schema: { name: "triage", schema } })
    }))

  it.live("re-asks, then takes the next route, and refuses with 422 when nothing honours the contract", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup
      yield* primary.setDefault(OpenAiChatWire.route, says("It is probably a high severity issue."))
      yield* backup.enqueue(OpenAiChatWire.route, says("{\"severity\": \"medium\", \"summary\": \"login down\"}"))
      const r = yield* ask(url)
      assert.strictEqual(r.status, 200)
      assert.strictEqual(r.headers.get("x-switchyard-contract"), "primary/a=failed, backup/b=passed")
      assert.lengthOf(yield* primary.exchanges, 2)
      const reask = ((yield* primary.exchanges)[1]!.request.json as { messages: Array<{ content: string }> }).messages.at(-1)!
      assert.include(reask.content, "expected JSON")

      yield* backup.setDefault(OpenAiChatWire.route, says("{\"severity\": \"urgent\", \"summary\": \"x\"}"))
      const refused = yield* ask(url)
      assert.strictEqual(refused.status, 422)
      assert.strictEqual(refused.body.error.type, "contract_failed")
      assert.include(refused.body.error.message, "backup/b: severity expected one of \"low\", \"medium\", \"high\", got \"urgent\"")
    }))

  it.live("tries the routes in the order of the alias's strategy (price: the cheaper model first)", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      yield* upstream.setDefault(OpenAiChatWire.route, says("{\"severity\": \"low\", \"summary\": \"typo\"}"))
      const url = yield* serveConfig({
        providers: { openai: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-openai-0123456789") } },
        models: {
          triage: { strategy: "price", routes: [{ provider: "openai", model: "gpt-5.5" }, { provider: "openai", model: "gpt-5-mini" }] }
        }
      })
      const r = yield* ask(url)
      assert.strictEqual(r.status, 200)
      assert.strictEqual(r.headers.get("x-switchyard-contract"), "openai/gpt-5-mini=passed")
      assert.deepStrictEqual((yield* upstream.requests).map((q) => (q.json as { model: string }).model), ["gpt-5-mini"])
    }))
})
