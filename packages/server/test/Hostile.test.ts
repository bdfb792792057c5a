/**
 * Hostile input through the real server, one test per defect found by probing from outside: no
 * request may crash a route, leave a ledger row for a call never made, or make a broken stream look
 * finished. (That no request stalls the others is tested on the real process, in the CLI's tests.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { Provider } from "@switchyard/core"
import type { GatewayConfig } from "@switchyard/gateway"
import { Fault, OpenAiChatWire } from "@switchyard/testing"
import { type Result, servePair, serveProviders } from "./harness.ts"

const script = (text: string) => ({ text: text.split(" ").map((w, i) => (i === 0 ? w : ` ${w}`)), usage: { inputTokens: 10, outputTokens: 4 } })
const answer = (text: string) => OpenAiChatWire.answer(script(text))
const streamOf = (text: string) => OpenAiChatWire.stream(script(text), { includeUsage: true })

const admin = "sk-admin-0123456789"

/** The pair of upstreams behind alias `smart` (both answering), client keys on, an in-memory ledger. */
const setup = (routing: GatewayConfig.GatewayConfig["routing"] = {}) =>
  Effect.gen(function*() {
    const pair = yield* servePair({ keys: [{ id: "ops", key: Redacted.make(admin), admin: true }], routing })
    yield* pair.primary.setDefault(OpenAiChatWire.route, answer("from primary"))
    yield* pair.backup.setDefault(OpenAiChatWire.route, answer("from backup"))
    return pair
  })

const send = (url: string, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
  Effect.promise(async (): Promise<Result> => {
    const started = performance.now()
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body })
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, elapsed: performance.now() - started }
  })

const chat = (url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  send(url, "/v1/chat/completions", {
    body: JSON.stringify({ model: "smart", messages: [{ role: "user", content: "hi" }], ...body }),
    headers
  })

const messages = (url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  send(url, "/v1/messages", {
    body: JSON.stringify({ model: "smart", max_tokens: 100, messages: [{ role: "user", content: "hi" }], ...body }),
    headers
  })

const attemptsInLedger = (url: string) =>
  Effect.map(send(url, "/v1/usage"), (r) => JSON.parse(r.text).totals.attempts as number)

/** `{"type": "object", "properties": {"a": <that>}}` nested `depth` times, built as text. */
const nestedSchema = (depth: number) =>
  `${`{"type":"object","properties":{"a":`.repeat(depth)}{"type":"string"}${"}}".repeat(depth)}`

describe("hostile input through the server", () => {
  it.live("a tool schema with a null property is counted, not a 500", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup()
      const r = yield* chat(url, { tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: null } } } }] })
      assert.strictEqual(r.status, 200, r.text)
      assert.lengthOf(yield* primary.requests, 1)
    }))

  it.live("a special token's spelling in the text (<|endoftext|>) is text: counted, no 500, a cut stream's estimate kept", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 } })
      const hostile = [{ role: "user", content: "say <|endoftext|> and <|im_start|> now" }]
      yield* primary.setDefault(OpenAiChatWire.route, streamOf("from primary"))
      const streamed = yield* messages(url, { stream: true, messages: hostile })
      assert.strictEqual(streamed.status, 200, streamed.text)
      assert.include(streamed.text, "event: message_stop")
      const counted = yield* send(url, "/v1/messages/count_tokens", { body: JSON.stringify({ model: "smart", messages: hostile }) })
      assert.strictEqual(counted.status, 200, counted.text)
      assert.isAbove(JSON.parse(counted.text).input_tokens, 10)
      // Cut before its usage: the attempt's usage is estimated from the request and what was streamed.
      const cut = OpenAiChatWire.stream(script("<|endoftext|> one two three four"), { includeUsage: false })
      yield* primary.setDefault(OpenAiChatWire.route, cut.pipe(Fault.disconnectAfter(3)))
      yield* backup.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(500))
      const broken = yield* chat(url, { stream: true, messages: hostile })
      assert.strictEqual(broken.status, 200)
      assert.include(broken.text, "<|endoftext|>")
      // Both attempts of the chat (the cut one, the backup's 500) are estimated from the hostile request.
      const totals = JSON.parse((yield* send(url, "/v1/usage")).text).totals
      assert.strictEqual(totals.estimated_attempts, 2, JSON.stringify(totals))
    }))

  it.live("schemas nested thousands of levels deep are a 400 naming the problem, with no upstream call and no ledger row", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup()
      for (const depth of [4_000, 8_000, 100_000]) {
        const tools = send(url, "/v1/chat/completions", {
          body: `{"model":"smart","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${nestedSchema(depth)}}}]}`
        })
        const format = send(url, "/v1/chat/completions", {
          body: `{"model":"smart","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${nestedSchema(depth)}}}}`
        })
        const anthropic = send(url, "/v1/messages", {
          body: `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${nestedSchema(depth)}}]}`
        })
        const [a, b, c] = yield* Effect.all([tools, format, anthropic])
        for (const r of [a, b]) {
          assert.strictEqual(r.status, 400)
          assert.strictEqual(JSON.parse(r.text).error.code, "json_too_deep")
          assert.include(JSON.parse(r.text).error.message, "deeper than 128 levels")
          assert.match(r.headers.get("x-request-id") ?? "", /^req_/)
        }
        assert.strictEqual(c.status, 400)
        assert.strictEqual(JSON.parse(c.text).type, "error")
        assert.strictEqual(JSON.parse(c.text).error.type, "invalid_request_error")
      }
      assert.lengthOf(yield* primary.requests, 0)
      assert.strictEqual(yield* attemptsInLedger(url), 0)
    }))

  it.live("a body over the limit is refused with 413 in the client's dialect", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* setup()
      const body = JSON.stringify({ model: "smart", messages: [{ role: "user", content: "A".repeat(33 * 1024 * 1024) }] })
      const r = yield* send(url, "/v1/chat/completions", { body })
      assert.strictEqual(r.status, 413)
      assert.strictEqual(JSON.parse(r.text).error.code, "request_too_large")
      const m = yield* send(url, "/v1/messages", { body })
      assert.strictEqual(m.status, 413)
      assert.strictEqual(JSON.parse(m.text).error.type, "request_too_large")
      assert.lengthOf(yield* primary.requests, 0)
    }))

  it.live("/v1/messages ends a broken stream with the error event only: no stop_reason, no message_stop", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ retries: { max: 0 } })
      yield* primary.setDefault(OpenAiChatWire.route, streamOf("one two three four five").pipe(Fault.disconnectAfter(3)))
      yield* backup.setDefault(OpenAiChatWire.route, OpenAiChatWire.error(500))
      const r = yield* messages(url, { stream: true })
      assert.strictEqual(r.status, 200)
      const events = r.text.split("\n\n").filter((f) => f.startsWith("event: ")).map((f) => f.split("\n")[0]!.slice(7))
      assert.include(events, "content_block_delta")
      assert.strictEqual(events.at(-1), "error")
      assert.notInclude(events, "message_delta")
      assert.notInclude(events, "message_stop")
      assert.notInclude(r.text, "end_turn")
    }))

  it.live("a whole answer fails over from a route that never answers, within half the deadline", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ deadline_ms: 2000 })
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.json(script("never")).pipe(Fault.hang))
      const r = yield* chat(url, {})
      assert.strictEqual(r.status, 200, r.text)
      assert.strictEqual(JSON.parse(r.text).choices[0].message.content, "from backup")
      assert.isBelow(r.elapsed, 1500)
      assert.isAtLeast(r.elapsed, 950)
      assert.strictEqual(r.headers.get("x-switchyard-attempts"), "primary/big:primary=timeout, backup/small:fallback=ok")
      const exchange = yield* primary.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
      assert.lengthOf(yield* backup.requests, 1)
    }))

  it.live("x-switchyard-attempt-ms limits a whole answer's attempt", () =>
    Effect.gen(function*() {
      const { url, primary } = yield* setup()
      yield* primary.enqueue(OpenAiChatWire.route, OpenAiChatWire.json(script("never")).pipe(Fault.hang))
      const r = yield* chat(url, {}, { "x-switchyard-attempt-ms": "300" })
      assert.strictEqual(JSON.parse(r.text).choices[0].message.content, "from backup")
      assert.isBelow(r.elapsed, 1000)
    }))

  it.live("/v1/messages honours the routing headers, and refuses a malformed one in Anthropic's format", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup()
      yield* primary.setDefault(OpenAiChatWire.route, streamOf("slow").pipe(Fault.firstChunkDelay("3 seconds")))
      yield* backup.setDefault(OpenAiChatWire.route, streamOf("slow").pipe(Fault.firstChunkDelay("3 seconds")))
      const r = yield* messages(url, { stream: true }, { "x-switchyard-deadline-ms": "500" })
      assert.isBelow(r.elapsed, 1500)
      assert.strictEqual(r.status, 504)
      assert.strictEqual(JSON.parse(r.text).type, "error")
      const bad = yield* messages(url, {}, { "x-switchyard-deadline-ms": "soon" })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(JSON.parse(bad.text).error.type, "invalid_request_error")
      assert.include(JSON.parse(bad.text).error.message, "x-switchyard-deadline-ms")
    }))

  it.live("/v1/usage refuses group_by names that are object keys, with a 400", () =>
    Effect.gen(function*() {
      const { url } = yield* setup()
      for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
        const r = yield* send(url, `/v1/usage?group_by=${name}`)
        assert.strictEqual(r.status, 400, name)
        assert.strictEqual(JSON.parse(r.text).error.param, "group_by")
      }
      const filtered = yield* send(url, "/v1/usage?__proto__=x&constructor=y")
      assert.strictEqual(filtered.status, 200)
    }))

  it.live("every route but the health check needs a key once keys are configured", () =>
    Effect.gen(function*() {
      const { url } = yield* setup()
      const anonymous = { authorization: "" }
      for (const [method, path] of [["GET", "/v1/models"], ["GET", "/v1/usage"], ["POST", "/v1/chat/completions"], ["GET", "/nowhere"]] as const) {
        const r = yield* send(url, path, { method, headers: anonymous, ...(method === "POST" ? { body: "{}" } : {}) })
        assert.strictEqual(r.status, 401, path)
        assert.strictEqual(JSON.parse(r.text).error.type, "auth")
      }
      const m = yield* send(url, "/v1/messages", { headers: anonymous, body: "{}" })
      assert.strictEqual(m.status, 401)
      assert.strictEqual(JSON.parse(m.text).error.type, "authentication_error")
      assert.strictEqual((yield* send(url, "/healthz", { headers: anonymous })).status, 200)
      assert.strictEqual((yield* send(url, "/v1/models")).status, 200)
    }))

  it.live("no takeover is started once the deadline has passed", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup({ deadline_ms: 600, idle_ms: 5000 })
      yield* primary.setDefault(OpenAiChatWire.route, streamOf("one two three four five").pipe(Fault.stallAfter(2)))
      const r = yield* chat(url, { stream: true })
      assert.strictEqual(r.status, 200)
      assert.include(r.text, `"error"`)
      assert.notInclude(r.text, "[DONE]")
      assert.isBelow(r.elapsed, 1500)
      yield* Effect.sleep("200 millis")
      assert.lengthOf(yield* backup.requests, 0)
    }))

  it.live("a failure inside the gateway is a JSON 500 with the request id in the route's dialect; mid-stream, an error event", () =>
    Effect.gen(function*() {
      const broken: Provider.ProviderShape = {
        name: "broken",
        complete: () => Effect.die(new Error("a bug")),
        stream: () =>
          Stream.make(
            { _tag: "ResponseStart", id: "r1", model: "x", created: 0 } as const,
            { _tag: "TextDelta", choice: 0, text: "partial" } as const
          ).pipe(Stream.concat(Stream.die(new Error("a bug mid-stream"))))
      }
      const url = yield* serveProviders([broken])
      const plain = yield* send(url, "/v1/chat/completions", { body: JSON.stringify({ model: "broken/x", messages: [{ role: "user", content: "hi" }] }) })
      assert.strictEqual(plain.status, 500)
      const error = JSON.parse(plain.text).error
      assert.strictEqual(error.code, "internal_error")
      assert.include(error.message, plain.headers.get("x-request-id")!)
      const anthropic = yield* send(url, "/v1/messages", { body: JSON.stringify({ model: "broken/x", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }) })
      assert.strictEqual(anthropic.status, 500)
      assert.strictEqual(JSON.parse(anthropic.text).error.type, "api_error")
      const streamed = yield* send(url, "/v1/chat/completions", { body: JSON.stringify({ model: "broken/x", stream: true, messages: [{ role: "user", content: "hi" }] }) })
      assert.strictEqual(streamed.status, 200)
      assert.include(streamed.text, "partial")
      assert.include(streamed.text, `"code":"internal_error"`)
      assert.notInclude(streamed.text, "[DONE]")
      const events = yield* send(url, "/v1/messages", { body: JSON.stringify({ model: "broken/x", stream: true, max_tokens: 5, messages: [{ role: "user", content: "hi" }] }) })
      assert.include(events.text, "event: error")
      assert.notInclude(events.text, "message_stop")
    }))
})
