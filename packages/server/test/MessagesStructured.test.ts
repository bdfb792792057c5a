/**
 * Structured output on the Anthropic-compatible endpoint: `output_config.format` (what Anthropic's
 * SDK sends for `messages.parse`) reaches the upstream as its own structured-output request, and the
 * answer is held to the schema, as on Chat Completions. A field the gateway cannot honour is refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const schema = {
  type: "object",
  properties: { city: { type: "string" }, severity: { type: "string", enum: ["low", "high"] } },
  required: ["city", "severity"],
  additionalProperties: false
}

const setup = (answerText: string) =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: [answerText], usage: { inputTokens: 9, outputTokens: 9 } }))
    const url = yield* serveConfig({
      providers: { up: { kind: "openai", base_url: `${upstream.url}/v1`, api_key: Redacted.make("sk-up-0123456789") } }
    })
    return { upstream, url }
  })

const messages = (url: string, body: Record<string, unknown>) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m", max_tokens: 100, messages: [{ role: "user", content: "Where?" }], ...body })
    })
    return { status: response.status, headers: response.headers, body: await response.json() }
  })

describe("/v1/messages structured output", () => {
  it.live("output_config.format reaches the upstream and the answer is held to it (repaired here)", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup("```json\n{\"city\": \"Paris\", \"severity\": \"HIGH\"}\n```")
      const r = yield* messages(url, { output_config: { format: { type: "json_schema", schema } } })
      assert.strictEqual(r.status, 200)
      assert.deepStrictEqual(JSON.parse(r.body.content[0].text), { city: "Paris", severity: "high" })
      assert.include(r.headers.get("x-switchyard-repairs") ?? "", "extractJson")
      const sent = (yield* upstream.requests)[0]!.json as { response_format?: { type: string; json_schema: { schema: unknown } } }
      assert.strictEqual(sent.response_format?.type, "json_schema")
      assert.deepStrictEqual(sent.response_format?.json_schema.schema, schema)
    }))

  it.live("the beta spelling output_format works too; an answer that cannot honour it is a 422", () =>
    Effect.gen(function*() {
      const { url } = yield* setup("I would rather not say.")
      const r = yield* messages(url, { output_format: { type: "json_schema", schema } })
      assert.strictEqual(r.status, 422)
      assert.strictEqual(r.body.type, "error")
      assert.strictEqual(r.body.error.type, "invalid_request_error")
      assert.strictEqual(r.body.error.category, "contract_failed")
    }))

  it.live("an unknown field is refused with a 400 naming it, never dropped", () =>
    Effect.gen(function*() {
      const { upstream, url } = yield* setup("{}")
      const r = yield* messages(url, { container: "c-1" })
      assert.strictEqual(r.status, 400)
      assert.strictEqual(r.body.error.type, "invalid_request_error")
      assert.include(r.body.error.message, "Unknown field `container`")
      assert.lengthOf(yield* upstream.requests, 0)
    }))
})
