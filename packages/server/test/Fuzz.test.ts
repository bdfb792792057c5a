/**
 * Property-based fuzzing of the real gateway HTTP server (over the built-in demo provider, so no
 * upstream is involved): arbitrary and adversarial requests on every endpoint. Whatever is sent, the
 * answer is never a 5xx, always carries an `x-request-id` (`req_…`), is JSON when it is an error, in
 * the client's dialect (Anthropic's on `/v1/messages`, OpenAI's everywhere else), JSON when it is a
 * whole answer, and a non-empty `text/event-stream` when a stream was asked for.
 * Seeds are fixed, so a run is reproducible; a failure prints the shrunk request and the answer.
 */
import { describe, it, layer } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import fc from "fast-check"
import type { GatewayConfig } from "@switchyard/gateway"
import { serveConfig } from "./harness.ts"

const admin = "sk-admin-0123456789"

const config: GatewayConfig.GatewayConfig = {
  providers: { demo: { kind: "demo" } },
  keys: [{ id: "ops", key: Redacted.make(admin), admin: true }],
  models: { smart: { routes: [{ provider: "demo", model: "demo" }] } }
}

/** The one server every property of this file talks to. */
class FuzzServer extends Context.Service<FuzzServer, { readonly url: string }>()("test/FuzzServer") {}

const serverLayer = Layer.effect(FuzzServer, Effect.map(serveConfig(config), (url) => ({ url })))

/**
 * The same gateway with its circuit breaker out of reach, for fuzzing the routing headers: what a
 * tiny timeout does to the breaker (and so to other clients) is its own property, on a fresh server
 * per case, below.
 */
const routingServerLayer = Layer.effect(
  FuzzServer,
  Effect.map(serveConfig({ ...config, routing: { breaker: { consecutive_failures: 1_000_000 } } }), (url) => ({ url }))
)

// ---------------------------------------------------------------------------------------------
// Requests, answers, and what every answer must be
// ---------------------------------------------------------------------------------------------

interface Req {
  readonly method: string
  /** Path and query, appended to the server's base URL. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array | undefined
}

interface Res {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

const authHeaders = { authorization: `Bearer ${admin}`, "content-type": "application/json" }

const clip = (s: string, n = 400) => (s.length <= n ? s : `${s.slice(0, n)}… (${s.length} chars)`)

const describeReq = (r: Req) => {
  const body = r.body === undefined || r.method === "GET"
    ? "(none)"
    : typeof r.body === "string"
    ? JSON.stringify(clip(r.body))
    : `bytes[${r.body.length}] ${clip(Buffer.from(r.body).toString("hex"), 200)}`
  return `${r.method} ${r.path}\nheaders: ${JSON.stringify(r.headers)}\nbody: ${body}`
}

/**
 * fetch (undici) refuses header values outside HTTP's field-value characters (tab, printable ASCII,
 * obs-text): those requests cannot be sent at all.
 */
const sendable = (r: Req): boolean => Object.values(r.headers).every((v) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v))

const exchange = async (url: string, r: Req): Promise<Res> => {
  const withBody = r.method !== "GET" && r.method !== "HEAD" && r.body !== undefined
  const response = await fetch(`${url}${r.path}`, {
    method: r.method,
    headers: r.headers,
    redirect: "manual",
    signal: AbortSignal.timeout(15_000),
    ...(withBody ? { body: r.body as BodyInit } : {})
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const parse = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

const pathnameOf = (url: string, path: string) => new URL(`${url}${path}`).pathname

/** Whether the request asked for a stream (`"stream": true` in a JSON object body). */
const asksStream = (r: Req): boolean => {
  if (typeof r.body !== "string") return false
  const body = parse(r.body)
  return body.ok && isObject(body.value) && body.value["stream"] === true
}

/** Every way the answer breaks the rules; empty when it keeps them. */
const problems = (url: string, r: Req, res: Res, tolerated: (res: Res) => boolean): Array<string> => {
  const found: Array<string> = []
  if (res.status >= 500 && !tolerated(res)) found.push(`a ${res.status}`)
  const requestId = res.headers.get("x-request-id")
  if (requestId === null || !requestId.startsWith("req_")) found.push(`x-request-id is ${JSON.stringify(requestId)}`)
  const contentType = res.headers.get("content-type") ?? ""
  if (res.status >= 200 && res.status < 300) {
    if (asksStream(r) && r.method === "POST") {
      if (!contentType.includes("text/event-stream")) found.push(`a stream answered as ${JSON.stringify(contentType)}`)
      if (res.text.trim() === "") found.push("an empty event stream")
      if (res.text.includes("internal_error")) found.push("an internal error inside the event stream")
    } else if (!parse(res.text).ok) {
      found.push("a 2xx whose body is not JSON")
    }
    return found
  }
  const body = parse(res.text)
  if (!body.ok) {
    found.push(res.text === "" ? "an empty error body" : "an error body that is not JSON")
    return found
  }
  const v = body.value
  if (pathnameOf(url, r.path) === "/v1/messages") {
    const ok = isObject(v) && v["type"] === "error" && isObject(v["error"]) &&
      typeof v["error"]["type"] === "string" && typeof v["error"]["message"] === "string"
    if (!ok) found.push("an error not in Anthropic's shape {type: \"error\", error: {type, message}}")
  } else {
    const ok = isObject(v) && isObject(v["error"]) && typeof v["error"]["message"] === "string" &&
      typeof v["error"]["type"] === "string"
    if (!ok) found.push("an error not in OpenAI's shape {error: {message, type}}")
  }
  return found
}

/**
 * Sends the request and throws (for fast-check to shrink) when the answer breaks a rule, or one of
 * `extra`'s; `tolerated` names the 5xx answers a property accepts (none by default).
 */
const check = async (
  url: string,
  r: Req,
  extra?: (res: Res) => Array<string>,
  tolerated: (res: Res) => boolean = () => false
): Promise<void> => {
  fc.pre(sendable(r))
  let res: Res
  try {
    res = await exchange(url, r)
  } catch (e) {
    throw new Error(`no answer (${String(e)}) to\n${describeReq(r)}`)
  }
  const found = [...problems(url, r, res, tolerated), ...(extra?.(res) ?? [])]
  if (found.length > 0) {
    throw new Error(
      `${found.join("; ")}\nrequest:\n${describeReq(r)}\nanswer: ${res.status} content-type=${res.headers.get("content-type")} ` +
        `x-request-id=${res.headers.get("x-request-id")}\n${clip(res.text, 1000)}`
    )
  }
}

/** Runs a property against the shared server. */
const run = <T>(arb: fc.Arbitrary<T>, toReq: (t: T) => Req, seed: number, numRuns: number, extra?: (t: T, res: Res) => Array<string>) =>
  Effect.gen(function*() {
    const { url } = yield* FuzzServer
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(arb, (t) => check(url, toReq(t), extra === undefined ? undefined : (res) => extra(t, res))),
        { numRuns, seed }
      )
    )
  })

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** An object with these own keys, `__proto__` included (a literal would set the prototype instead). */
const objectOf = (entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> => {
  const o: Record<string, unknown> = {}
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  return o
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 })

/** Strings no one expects: lone surrogates, NUL, control characters, RTL marks, emoji. */
const nastyChar = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom("\u0000", "\u0001", "\u001b", "\u007f", "\u200b", "\u202e", "\ufeff", "\uffff", "\n", "\r", "\t", "\"", "\\", "😀", "名"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
)
const nastyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(nastyChar, { maxLength: 20 }).map((cs) => cs.join("")),
  fc.constantFrom("", " ", "__proto__", "constructor", "prototype", "toString", "smart", "demo", "demo/demo", "null", "undefined", "NaN"),
  fc.tuple(fc.constantFrom("a", "é", "😀", "\u0000"), fc.integer({ min: 1000, max: 50_000 })).map(([c, n]) => c.repeat(n))
)

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1, 1.5, 0.0001, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE)
)

const dangerousKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf")

/** Any JSON value, with hostile strings, numbers and keys mixed in. */
const junk: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    nastyNumber,
    nastyString,
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(dangerousKey, fc.string({ maxLength: 8 })), tie("value")), { maxLength: 4 }).map(objectOf)
  )
})).value

const schemaKey = fc.constantFrom(
  "type", "properties", "items", "required", "enum", "const", "anyOf", "allOf", "oneOf", "not", "$ref", "$defs",
  "definitions", "additionalProperties", "pattern", "format", "minimum", "maximum", "minLength", "maxItems",
  "patternProperties", "prefixItems", "if", "then", "else", "$schema", "$id", "description", "default", "nullable",
  "__proto__", "constructor", "toString"
)

/** JSON-Schema-ish junk: schema keywords with wrong or hostile values, `null` properties, bad regexes, broken refs. */
const junkSchema: fc.Arbitrary<unknown> = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    junk,
    fc.constantFrom<unknown>(
      { type: "object", properties: { a: null } },
      { type: "object", properties: null },
      { type: "object", properties: { a: { $ref: "#" } } },
      { $ref: "#/definitions/nope" },
      { $ref: "http://example.invalid/schema.json" },
      { type: "string", pattern: "(" },
      { type: "string", pattern: "(a+)+$" },
      { type: ["string", 5, null] },
      { type: "nope" },
      { enum: [] },
      { required: "a" },
      { required: [null, 1, "__proto__"] },
      { type: "object", properties: { __proto__: { type: "string" } } },
      { type: "array", items: [] },
      { type: "integer", minimum: "a", maximum: -1e308 },
      { type: "string", format: "definitely-not-a-format" },
      true,
      false,
      {}
    ),
    fc.array(fc.tuple(schemaKey, tie("schema")), { maxLength: 5 }).map(objectOf),
    fc.record({ type: fc.constant("object"), properties: fc.dictionary(fc.oneof(dangerousKey, fc.string({ maxLength: 6 })), tie("schema"), { maxKeys: 4 }) })
  )
})).schema

/** A schema nested `depth` levels, through `properties`, `items` or `anyOf`. */
const deepSchema = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom("properties", "items", "anyOf")).map(([depth, via]) => {
  let s: unknown = { type: "string" }
  for (let i = 0; i < depth; i++) {
    s = via === "properties" ? { type: "object", properties: { a: s } } : via === "items" ? { type: "array", items: s } : { anyOf: [s, null] }
  }
  return s
})

const toolName = fc.oneof(
  fc.constantFrom("f", "get_weather", "", " ", "a".repeat(300), "__proto__", "constructor", "with space", "名前", "a.b-c", "\u0000"),
  nastyString,
  junk
)

const anySchema = fc.oneof(junkSchema, deepSchema)

const openAiTools = fc.oneof(
  junk,
  fc.array(
    fc.oneof(
      fc.record({ type: fc.constant("function"), function: fc.record({ name: toolName, parameters: anySchema }) }),
      fc.record({
        type: fc.oneof(fc.constant("function"), junk),
        function: fc.record({ name: toolName, description: junk, parameters: anySchema, strict: junk }, { requiredKeys: [] })
      }, { requiredKeys: [] }),
      junk
    ),
    { maxLength: 4 }
  )
)

const anthropicTools = fc.oneof(
  junk,
  fc.array(
    fc.oneof(
      fc.record({ name: toolName, input_schema: anySchema }),
      fc.record({ name: toolName, description: junk, input_schema: anySchema, type: fc.oneof(fc.constantFrom("custom", "web_search_20250305", "bash_20250124"), junk), cache_control: junk }, { requiredKeys: [] }),
      junk
    ),
    { maxLength: 4 }
  )
)

const maxTokens = fc.oneof(
  fc.constantFrom<unknown>(-1, 0, 1, 2, 0.5, 1.5, -1e9, 2 ** 31, 2 ** 53, 1e21, 1e308, "100", "", null, true, [], {}),
  fc.integer(),
  fc.double(),
  junk
)

const streamValue = fc.oneof(fc.boolean(), fc.boolean(), fc.constantFrom<unknown>(null, "true", 1, 0, [], {}), junk)

const responseFormat = fc.oneof(
  junk,
  fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ name: toolName, schema: anySchema, strict: junk }, { requiredKeys: [] }) }),
  fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ name: fc.constant("out"), schema: anySchema }) }),
  fc.record({ type: fc.oneof(fc.constantFrom("json_object", "text", "json_schema", "xml"), junk) })
)

const anthropicBlock = fc.oneof(
  junk,
  fc.record({
    type: fc.oneof(fc.constantFrom("text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "audio"), junk),
    text: fc.oneof(nastyString, junk),
    source: fc.oneof(
      junk,
      fc.record({ type: fc.constantFrom("base64", "url", "file"), media_type: fc.oneof(fc.constant("image/png"), junk), data: fc.oneof(fc.base64String(), junk), url: junk }, { requiredKeys: [] })
    ),
    id: junk,
    name: toolName,
    input: junk,
    tool_use_id: junk,
    content: fc.oneof(nastyString, junk),
    is_error: junk,
    thinking: junk,
    signature: junk,
    data: junk
  }, { requiredKeys: ["type"] })
)

/** A path into a request, and the value put there. */
type Mutation = readonly [ReadonlyArray<string | number>, unknown]

const mutation = (fields: ReadonlyArray<readonly [ReadonlyArray<string | number>, fc.Arbitrary<unknown>]>) =>
  fc.oneof(...fields.map(([path, value]) => value.map((v): Mutation => [path, v])))

/** Model values other than arbitrary text (which has its own property): wrong types, ASCII names. */
const modelValue = fc.oneof(
  fc.constantFrom<unknown>("smart", "demo/demo", "unknown-model", "demo/", "/demo", "smart ", "", null, 0, true, [], {}, ["smart"], { id: "smart" }),
  printable,
  fc.array(junk, { maxLength: 3 })
)

const chatMutation = mutation([
  [["model"], modelValue],
  [["models"], fc.oneof(junk, fc.array(fc.oneof(dangerousKey, nastyString, fc.constantFrom("smart", "nope", "demo/demo")), { maxLength: 4 }))],
  [["messages"], fc.oneof(junk, fc.array(junk, { maxLength: 4 }), fc.constant([]))],
  [["messages", 0, "role"], fc.oneof(fc.constantFrom("system", "developer", "assistant", "tool", "function", "USER", "__proto__"), junk)],
  [["messages", 0, "content"], fc.oneof(nastyString, junk, fc.array(fc.record({ type: fc.oneof(fc.constantFrom("text", "image_url", "file", "input_audio"), junk), text: junk, image_url: junk }, { requiredKeys: [] }), { maxLength: 3 }))],
  [["messages", 0, "tool_calls"], junk],
  [["messages", 1], junk],
  [["tools"], openAiTools],
  [["tool_choice"], fc.oneof(fc.constantFrom("auto", "none", "required", "any"), junk, fc.record({ type: fc.constant("function"), function: fc.record({ name: toolName }) }))],
  [["max_tokens"], maxTokens],
  [["max_completion_tokens"], maxTokens],
  [["n"], maxTokens],
  [["stream"], streamValue],
  [["stream_options"], fc.oneof(junk, fc.record({ include_usage: junk }))],
  [["response_format"], responseFormat],
  [["temperature"], fc.oneof(fc.constantFrom<unknown>("0.5", "hot", -1, 3, 1e308, null), junk)],
  [["top_p"], junk],
  [["stop"], fc.oneof(junk, fc.array(nastyString, { maxLength: 5 }))],
  [["logit_bias"], junk],
  [["seed"], junk],
  [["user"], junk],
  [["metadata"], junk],
  [["reasoning_effort"], junk],
  [["__proto__"], junk],
  [["constructor"], junk]
])

const messagesMutation = mutation([
  [["model"], modelValue],
  [["max_tokens"], maxTokens],
  [["messages"], fc.oneof(junk, fc.array(junk, { maxLength: 4 }), fc.constant([]))],
  [["messages", 0, "role"], fc.oneof(fc.constantFrom("system", "assistant", "tool", "USER", "__proto__"), junk)],
  [["messages", 0, "content"], fc.oneof(nastyString, junk, fc.array(anthropicBlock, { maxLength: 4 }))],
  [["messages", 1], fc.oneof(junk, fc.record({ role: fc.constantFrom("user", "assistant"), content: fc.array(anthropicBlock, { maxLength: 3 }) }))],
  [["system"], fc.oneof(nastyString, junk, fc.array(anthropicBlock, { maxLength: 3 }))],
  [["stop_sequences"], fc.oneof(junk, fc.array(nastyString, { maxLength: 5 }))],
  [["temperature"], fc.oneof(fc.constantFrom<unknown>("0.5", "hot", -1, 3, 1.0000001, null), junk)],
  [["top_p"], junk],
  [["top_k"], junk],
  [["stream"], streamValue],
  [["tools"], anthropicTools],
  [["tool_choice"], fc.oneof(junk, fc.record({ type: fc.oneof(fc.constantFrom("auto", "any", "tool", "none"), junk), name: toolName, disable_parallel_tool_use: junk }, { requiredKeys: ["type"] }))],
  [["thinking"], fc.oneof(junk, fc.record({ type: fc.constantFrom("enabled", "disabled", "adaptive"), budget_tokens: maxTokens }, { requiredKeys: ["type"] }))],
  [["metadata"], fc.oneof(junk, fc.record({ user_id: junk }))],
  [["__proto__"], junk]
])

/** `base` with each mutation applied (creating containers on the way; `__proto__` as an own key). */
const mutate = (base: Record<string, unknown>, mutations: ReadonlyArray<Mutation>): Record<string, unknown> => {
  const root = structuredClone(base)
  for (const [path, value] of mutations) {
    let at: Record<string | number, unknown> = root
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!
      const next = Object.prototype.hasOwnProperty.call(at, key) ? at[key] : undefined
      if (typeof next !== "object" || next === null) {
        const fresh: Record<string | number, unknown> = typeof path[i + 1] === "number" ? [] as unknown as Record<number, unknown> : {}
        Object.defineProperty(at, key, { value: fresh, enumerable: true, writable: true, configurable: true })
        at = fresh
      } else {
        at = next as Record<string | number, unknown>
      }
    }
    Object.defineProperty(at, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true })
  }
  return root
}

const chatBase = { model: "smart", messages: [{ role: "user", content: "hi" }] }
const messagesBase = { model: "smart", max_tokens: 100, messages: [{ role: "user", content: "hi" }] }

/** JSON text of a value; `fc.anything()` values JSON cannot hold (bigint, cycles) fall back to their string. */
const jsonText = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

const postEndpoint = fc.constantFrom("/v1/chat/completions", "/v1/messages")

const validBody = (path: string, stream: boolean) =>
  JSON.stringify({ ...(path === "/v1/messages" ? messagesBase : chatBase), stream })

/** Bodies that are not JSON, or barely: empty, truncated, huge, binary, invalid UTF-8, lone surrogates. */
const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom<string | Uint8Array>(
    "", " ", "null", "[]", "{}", "\"\"", "0", "-", "{", "}", "[", "{\"model\":", "{\"model\":\"smart\",}", "NaN", "Infinity",
    "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]", "\u0000", "\ufeff{}",
    "{\"__proto__\":{\"model\":\"smart\"}}", "{\"constructor\":{\"prototype\":{}}}",
    `{"model":"smart","messages":[{"role":"user","content":"\\ud800"}],"max_tokens":5}`,
    `{"model":"smart","max_tokens":5,"messages":[{"role":"user","content":"\\udfff\\u0000"}]}`,
    "[".repeat(100_000), "{\"a\":".repeat(50_000), `${"[".repeat(127)}${"]".repeat(127)}`,
    new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
    new Uint8Array([0xed, 0xa0, 0x80])
  ),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.array(nastyChar, { maxLength: 50 }).map((cs) => cs.join("")),
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 200_000 })).map(([s, n]) => s.repeat(n).slice(0, 200_000)),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, cut]) => {
    const t = JSON.stringify(v)
    return t.slice(0, cut % (t.length + 1))
  })
)

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant("application/json") },
  fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""),
  printable
)

/** A header value: valid small numbers (≤ 2000), `off`, and junk. */
const routingValue = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 2000 }).map(String) },
  fc.constantFrom("off", "OFF", "", "-1", "1.5", "1e3", "0x10", " 100", "100ms", "NaN", "Infinity", "999999999", "9999999999", "00000000000001", "1,000"),
  printable
)

const routingHeaderNames = [
  "x-switchyard-deadline-ms",
  "x-switchyard-first-token-ms",
  "x-switchyard-idle-ms",
  "x-switchyard-attempt-ms",
  "x-switchyard-hedge-ms"
] as const

const routingHeaders = fc.record(
  Object.fromEntries(routingHeaderNames.map((name) => [name, routingValue])) as Record<(typeof routingHeaderNames)[number], fc.Arbitrary<string>>,
  { requiredKeys: [] }
)

const usageParam = fc.oneof(
  fc.constantFrom("group_by", "from", "to", "bucket", "provider", "model", "key", "alias", "__proto__", "constructor", "toString", "group_by[]"),
  printable
)

const usageValue = fc.oneof(
  fc.constantFrom(
    "provider", "model", "key", "alias", "provider,model,key,alias", "provider, model", ",,,", "__proto__", "constructor", "toString",
    "hasOwnProperty", "provider,__proto__", "apiKeyId", "modelAlias", "hour", "day", "0", "1", "-1", "1.5", "1e3", "99999999999999999999",
    "8640000000000001", "2024-01-01T00:00:00Z", "2024-13-45", "1970-01-01", "+275760-09-13T00:00:00.000Z", "now", "", "%zz", "%00", "%E0%A4%A"
  ),
  fc.integer({ min: -1e15, max: 1e16 }).map(String),
  printable,
  nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?"))).filter((s) => s.length < 2000)
)

/** A query string: well-formed pairs, some raw and badly encoded. */
const usageQuery = fc.oneof(
  fc.array(fc.tuple(usageParam, usageValue), { maxLength: 6 }).map((pairs) =>
    pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v.includes("%") ? v : encodeURIComponent(v)}`).join("&")}`
  ),
  // A range over all time in one-second buckets: the answer must not depend on how many buckets that is.
  fc.constantFrom("?from=0&bucket=1&group_by=provider", "?from=-8640000000000000&to=8640000000000000&bucket=1", "?from=9999999999999&to=0"),
  // Epoch milliseconds past what a Date can hold (±8.64e15).
  fc.constantFrom("?from=8640000000000001", "?to=99999999999999999999", "?from=0&to=8640000000000001&bucket=day"),
  printable.map((q) => `?${q}`),
  fc.webQueryParameters().map((q) => `?${q}`)
)

const knownPath = fc.constantFrom("/v1/chat/completions", "/v1/messages", "/v1/models", "/v1/usage", "/healthz")

const anyPath = fc.oneof(
  knownPath,
  fc.tuple(knownPath, fc.constantFrom("/", "//", "/x", "?", "?a=b", "#x", "/..", "%00", "%2f", ".json", "/../../etc/passwd")).map(([p, s]) => `${p}${s}`),
  fc.constantFrom(
    "/", "//", "/v1", "/v1/", "/V1/MESSAGES", "/v1/Messages", "//v1/messages", "/v1//messages", "/v1/messages%2F", "/v1/chat/completions/",
    "/v1/completions", "/v1/embeddings", "/%00", "/%ff", "/v1/%2e%2e/usage", "/__proto__", "/constructor", "/v1/models/smart",
    `/${"a".repeat(8000)}`
  ),
  fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
  fc.array(fc.oneof(fc.webSegment(), printable.map(encodeURIComponent)), { maxLength: 5 }).map((s) => `/${s.join("/")}`),
  // Percent signs that decode to nothing.
  fc.tuple(fc.constantFrom("/", "/v1/", "/v1/chat/"), fc.constantFrom("%", "%z", "%zz", "%2", "%E0%A4%A", "%C3%28", "%ED%A0%80", "100%")).map(([a, b]) => `${a}${b}`)
)

const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH")

/** What the `authorization` / `x-api-key` headers say, and whether that should let the request in. */
const authVariant: fc.Arbitrary<{ headers: Record<string, string>; accepted: boolean }> = fc.oneof(
  fc.constantFrom(
    { headers: { authorization: `Bearer ${admin}` }, accepted: true },
    { headers: { authorization: `bearer ${admin}` }, accepted: true },
    { headers: { authorization: `Bearer   ${admin}` }, accepted: true },
    { headers: { "x-api-key": admin }, accepted: true },
    { headers: {}, accepted: false },
    { headers: { authorization: "" }, accepted: false },
    { headers: { authorization: "Bearer" }, accepted: false },
    { headers: { authorization: "Bearer " }, accepted: false },
    { headers: { authorization: admin }, accepted: false },
    { headers: { authorization: `Basic ${Buffer.from(`x:${admin}`).toString("base64")}` }, accepted: false },
    { headers: { authorization: `Bearer ${admin} extra` }, accepted: false },
    { headers: { authorization: `Bearer ${admin}x` }, accepted: false },
    { headers: { authorization: `Bearer ${admin.slice(0, -1)}` }, accepted: false },
    { headers: { authorization: `Bearer ${admin.toUpperCase()}` }, accepted: false },
    { headers: { "x-api-key": "" }, accepted: false },
    { headers: { "x-api-key": `${admin} ` }, accepted: true },
    { headers: { authorization: "Bearer \u00ff\u00fe\u0080" }, accepted: false },
    { headers: { "x-api-key": "\u00ff\u0080\u00a0" }, accepted: false }
  ),
  fc.string({ unit: fc.integer({ min: 0x09, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 })
    .filter((s) => !s.includes(admin))
    .chain((s) => fc.constantFrom({ headers: { authorization: `Bearer ${s}` }, accepted: false }, { headers: { authorization: s }, accepted: false }, { headers: { "x-api-key": s }, accepted: false }))
)

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe("fuzzing the gateway server", () => {
  layer(serverLayer, { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    it.effect("arbitrary JSON values as the body of either POST endpoint", () =>
      run(
        fc.record({
          path: postEndpoint,
          value: fc.oneof(fc.jsonValue(), fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true }), junk),
          contentType
        }),
        ({ contentType, path, value }) => ({ method: "POST", path, headers: { ...authHeaders, "content-type": contentType }, body: jsonText(value) }),
        20260101,
        120
      ), 60_000)

    it.effect("arbitrary text and bytes as the body: invalid JSON, empty, huge, NUL, lone surrogates, invalid UTF-8", () =>
      run(
        fc.record({ path: postEndpoint, body: rawBody, contentType }),
        ({ body, contentType, path }) => ({ method: "POST", path, headers: { ...authHeaders, "content-type": contentType }, body }),
        20260102,
        120
      ), 60_000)

    it.effect("valid Chat Completions requests with fields replaced by arbitrary values", () =>
      run(
        fc.record({ mutations: fc.array(chatMutation, { minLength: 1, maxLength: 3 }), stream: fc.boolean() }),
        ({ mutations, stream }) => ({
          method: "POST",
          path: "/v1/chat/completions",
          headers: authHeaders,
          body: jsonText(mutate({ ...chatBase, stream }, mutations))
        }),
        20260103,
        150
      ), 60_000)

    it.effect("valid Anthropic Messages requests with fields replaced by arbitrary values", () =>
      run(
        fc.record({ mutations: fc.array(messagesMutation, { minLength: 1, maxLength: 3 }), stream: fc.boolean() }),
        ({ mutations, stream }) => ({
          method: "POST",
          path: "/v1/messages",
          headers: { ...authHeaders, "anthropic-version": "2023-06-01" },
          body: jsonText(mutate({ ...messagesBase, stream }, mutations))
        }),
        20260104,
        150
      ), 60_000)

    it.effect("arbitrary model names (any text: non-Latin-1, control characters, lone surrogates) on both dialects", () =>
      run(
        fc.record({
          path: postEndpoint,
          stream: fc.boolean(),
          model: fc.oneof(
            fc.constantFrom("smart", "demo/demo", "nope", "é", "名", "😀", "a\nb", "a\u0000b", "\u007f", "demo/名", "\ud800"),
            nastyString,
            fc.string({ unit: "binary", minLength: 1, maxLength: 12 })
          )
        }),
        ({ model, path, stream }) => ({
          method: "POST",
          path,
          headers: authHeaders,
          body: JSON.stringify({ ...(path === "/v1/messages" ? messagesBase : chatBase), model, stream })
        }),
        20260110,
        100
      ), 60_000)

    it.effect("arbitrary fallback `models` lists (prototype names, unknown aliases, junk) on Chat Completions", () =>
      run(
        fc.record({
          models: fc.array(fc.oneof(dangerousKey, nastyString, fc.constantFrom("smart", "nope", "demo/demo")), { minLength: 1, maxLength: 4 }),
          stream: fc.boolean()
        }),
        ({ models, stream }) => ({ method: "POST", path: "/v1/chat/completions", headers: authHeaders, body: JSON.stringify({ ...chatBase, models, stream }) }),
        20260112,
        60
      ), 60_000)

    it.effect("GET /v1/usage and /v1/models with arbitrary query strings", () =>
      run(
        fc.record({ path: fc.constantFrom("/v1/usage", "/v1/usage", "/v1/usage", "/v1/models"), query: usageQuery }),
        ({ path, query }) => ({ method: "GET", path: `${path}${query}`, headers: authHeaders }),
        20260106,
        120
      ), 60_000)

    it.effect("arbitrary methods on arbitrary paths, with arbitrary bodies", () =>
      run(
        fc.record({
          method,
          // /v1/messages has its own property below.
          path: anyPath.filter((p) => pathnameOf("http://gateway", p) !== "/v1/messages"),
          body: fc.oneof(fc.constant(undefined), postEndpoint.chain((p) => fc.boolean().map((s) => validBody(p, s))), rawBody, junk.map(jsonText))
        }),
        ({ body, method, path }) => ({ method, path, headers: authHeaders, body }),
        20260107,
        120
      ), 60_000)

    it.effect("every method on /v1/messages answers in Anthropic's dialect", () =>
      run(
        fc.record({
          method,
          query: fc.constantFrom("", "?", "?beta=true", "?x=%zz"),
          body: fc.oneof(fc.constant(undefined), fc.boolean().map((s) => validBody("/v1/messages", s)), rawBody)
        }),
        ({ body, method, query }) => ({ method, path: `/v1/messages${query}`, headers: { ...authHeaders, "anthropic-version": "2023-06-01" }, body }),
        20260111,
        60
      ), 60_000)

    it.effect("arbitrary credentials on every endpoint: refused keys are a 401 in the endpoint's dialect", () =>
      run(
        fc.record({ path: knownPath, auth: authVariant, stream: fc.boolean() }),
        ({ auth, path, stream }) => {
          const post = path === "/v1/chat/completions" || path === "/v1/messages"
          return {
            method: post ? "POST" : "GET",
            path,
            headers: { "content-type": "application/json", ...auth.headers },
            body: post ? validBody(path, stream) : undefined
          }
        },
        20260108,
        120,
        ({ auth, path }, res) =>
          path === "/healthz"
            ? res.status === 200 ? [] : [`the open health check answered ${res.status}`]
            : auth.accepted
            ? res.status === 401 || res.status === 403 ? [`a valid key refused with ${res.status}`] : []
            : res.status === 401 ? [] : [`an invalid key answered ${res.status}, not 401`]
      ), 60_000)
  })
})

/** What fetch sends for a header value (it strips leading and trailing HTTP whitespace). */
const sent = (v: string) => v.replace(/^[\t ]+|[\t ]+$/g, "")

const wellFormed = (name: string, v: string) => /^\d{1,9}$/.test(sent(v)) || (name === "x-switchyard-hedge-ms" && sent(v) === "off")

/** The smallest timeout the hints set (the hedge delay is not a timeout). */
const tightest = (hints: Readonly<Record<string, string>>) =>
  Math.min(...Object.entries(hints).filter(([n]) => n !== "x-switchyard-hedge-ms").map(([, v]) => Number(sent(v))))

/** A 504 in the endpoint's dialect saying the request ran out of time. */
const isTimeout = (path: string, res: Res) => {
  const body = parse(res.text)
  if (res.status !== 504 || !body.ok || !isObject(body.value) || !isObject(body.value["error"])) return false
  const error = body.value["error"]
  return path === "/v1/messages" ? error["category"] === "timeout" : error["type"] === "timeout"
}

describe("fuzzing the routing headers", () => {
  layer(routingServerLayer, { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    /**
     * A malformed hint is a 400; well-formed ones are served. The demo provider answers at once, so
     * the only 5xx tolerated is a 504 timeout in the endpoint's dialect when the client itself asked
     * for a timeout under 100 ms (a deadline of 0 ms cannot be met; 1 or 2 ms is a race).
     */
    it.effect("routing headers with arbitrary values, on valid requests, streamed or not", () =>
      Effect.gen(function*() {
        const { url } = yield* FuzzServer
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.record({ path: postEndpoint, stream: fc.boolean(), hints: routingHeaders }), async ({ hints, path, stream }) => {
              const r: Req = { method: "POST", path, headers: { ...authHeaders, ...hints }, body: validBody(path, stream) }
              const malformed = Object.entries(hints).filter(([n, v]) => !wellFormed(n, v)).map(([n]) => n)
              const tolerated = (res: Res) => malformed.length === 0 && tightest(hints) < 100 && isTimeout(path, res)
              await check(
                url,
                r,
                (res) =>
                  malformed.length > 0
                    ? res.status === 400 ? [] : [`malformed ${malformed.join(", ")} answered ${res.status}, not 400`]
                    : (res.status >= 200 && res.status < 300) || tolerated(res)
                    ? []
                    : [`well-formed hints answered ${res.status}`],
                tolerated
              )
            }),
            { numRuns: 100, seed: 20260105 }
          )
        )
      }), 60_000)
  })

  /**
   * A timeout the client asked for is about that request, not about the route: however many
   * requests time out on their own tiny deadlines, the next client without hints is served. Each
   * case gets a fresh server (the config above, default breaker), sends its request six times, then
   * a plain request.
   */
  it.live("a client's own tiny timeouts never shut the route for the next client", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.record({
            path: postEndpoint,
            stream: fc.boolean(),
            hints: fc.record(
              Object.fromEntries(routingHeaderNames.map((name) => [name, fc.constantFrom("0", "1", "2", "5", "50")])) as Record<
                (typeof routingHeaderNames)[number],
                fc.Arbitrary<string>
              >,
              { requiredKeys: [] }
            )
          }),
          ({ hints, path, stream }) =>
            Effect.runPromise(Effect.scoped(Effect.gen(function*() {
              const url = yield* serveConfig(config)
              yield* Effect.promise(async () => {
                const r: Req = { method: "POST", path, headers: { ...authHeaders, ...hints }, body: validBody(path, stream) }
                for (let i = 0; i < 6; i++) await exchange(url, r)
                await check(url, { method: "POST", path, headers: authHeaders, body: validBody(path, false) }, (res) =>
                  res.status === 200
                    ? []
                    : [`after six requests with ${JSON.stringify(hints)} (stream: ${stream}), a plain request answered ${res.status}`])
              })
            })))
        ),
        { numRuns: 25, seed: 20260109 }
      )
    ), 60_000)
})
