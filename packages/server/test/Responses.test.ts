/**
 * OpenAI's Responses API served inbound (`POST /v1/responses`): the official `openai` SDK against the
 * real gateway server, routed to an OpenAI-compatible (Chat Completions) mock upstream and to an
 * Anthropic one. Plain and streamed answers, a function tool round trip both ways, a json_schema text
 * format, an upstream 429, a stream broken mid-answer, and the fields the gateway refuses.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import OpenAI from "openai"
import { AnthropicWire, Fault, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { serveConfig } from "./harness.ts"

const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-client", maxRetries: 0 })

const upstreams = [
  { kind: "openai", wire: OpenAiChatWire },
  { kind: "anthropic", wire: AnthropicWire }
] as const

/** A gateway whose only route for `smart` is `kind` at a mock upstream, one try per request. */
const gatewayTo = (kind: "openai" | "anthropic") =>
  Effect.gen(function*() {
    const upstream = yield* MockUpstream.make()
    const url = yield* serveConfig({
      providers: { upstream: { kind, base_url: `${upstream.url}/v1`, api_key: Redacted.make("secret-key-0123456789") } },
      models: { smart: { routes: [{ provider: "upstream", model: "model-x" }] } },
      routing: { retries: { max: 0 } }
    })
    return { upstream, url, openai: client(url) }
  })

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true
}

const toolScript = {
  text: ["Let me look that up."],
  toolCalls: [{ name: "get_weather", arguments: ["{\"city\":", " \"Paris\"}"] }],
  usage: { inputTokens: 120, outputTokens: 20, cachedInputTokens: 100 }
}

/** A response's output sent back as input, as the SDK's docs show (its types keep the two apart). */
const asInput = (output: ReadonlyArray<unknown>) => output as Array<OpenAI.Responses.ResponseInputItem>

const failureOf = <A>(promise: () => Promise<A>) => Effect.promise(() => promise().then(() => undefined, (e: unknown) => e))

/** The `type` of each SSE event, in order, and their data. */
const events = (text: string) =>
  text.split("\n\n").filter((frame) => frame.trim() !== "").map((frame) => {
    const event = /^event: (.*)$/m.exec(frame)?.[1]
    const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null") as { type: string; sequence_number: number }
    return { event, data }
  })

for (const { kind, wire } of upstreams) {
  describe(`OpenAI SDK (Responses) → gateway → ${kind}`, () => {
    it.live("answers plain text, with the instructions as the system prompt", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        yield* upstream.setDefault(wire.route, wire.answer({ text: ["Paris."], usage: { inputTokens: 12, outputTokens: 2 } }))
        const { data: response, response: raw } = yield* Effect.promise(() =>
          openai.responses.create({ model: "smart", instructions: "Be terse.", input: "Capital of France?", temperature: 0 }).withResponse()
        )
        assert.strictEqual(response.output_text, "Paris.")
        assert.strictEqual(response.object, "response")
        assert.strictEqual(response.status, "completed")
        assert.match(response.id, /^resp_/)
        assert.strictEqual(response.output[0]?.type, "message")
        assert.strictEqual(response.usage?.input_tokens, 12)
        assert.strictEqual(response.usage?.output_tokens, 2)
        assert.strictEqual(response.usage?.total_tokens, 14)
        assert.strictEqual(raw.headers.get("x-switchyard-provider"), "upstream")
        const sent = (yield* upstream.exchanges)[0]!.request.json as Record<string, unknown>
        if (kind === "openai") {
          assert.deepStrictEqual(sent["messages"], [{ role: "system", content: "Be terse." }, { role: "user", content: "Capital of France?" }])
        } else {
          assert.strictEqual(sent["system"], "Be terse.")
          const messages = sent["messages"] as Array<{ role: string }>
          assert.lengthOf(messages, 1)
          assert.strictEqual(messages[0]?.role, "user")
          assert.include(JSON.stringify(messages[0]), "Capital of France?")
        }
        assert.strictEqual(sent["temperature"], 0)
      }))

    it.live("streams text as typed events in the documented order, ending with response.completed", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        const pieces = ["Wie ", "geht's? ", "Grüße ", "aus ", "Zürich ", "👋"]
        yield* upstream.setDefault(wire.route, wire.answer({ text: pieces, usage: { inputTokens: 9, outputTokens: 6 } }))
        const stream = openai.responses.stream({ model: "smart", input: [{ role: "user", content: "hi" }] })
        const types: Array<string> = []
        const sequence: Array<number> = []
        const deltas: Array<string> = []
        yield* Effect.promise(async () => {
          for await (const event of stream) {
            types.push(event.type)
            sequence.push(event.sequence_number)
            if (event.type === "response.output_text.delta") deltas.push(event.delta)
          }
        })
        const final = yield* Effect.promise(() => stream.finalResponse())
        assert.strictEqual(deltas.join(""), pieces.join(""))
        assert.strictEqual(final.output_text, pieces.join(""))
        assert.strictEqual(final.status, "completed")
        assert.strictEqual(final.usage?.output_tokens, 6)
        assert.deepStrictEqual(sequence, types.map((_, i) => i))
        const distinct = types.filter((t, i) => t !== types[i - 1])
        assert.deepStrictEqual(distinct, [
          "response.created",
          "response.in_progress",
          "response.output_item.added",
          "response.content_part.added",
          "response.output_text.delta",
          "response.output_text.done",
          "response.content_part.done",
          "response.output_item.done",
          "response.completed"
        ])
      }))

    it.live("round-trips a function call: call → function_call_output → answer", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        yield* upstream.enqueue(wire.route, wire.answer(toolScript), wire.answer({ text: ["It is 21°C in Paris."] }))
        const input: Array<OpenAI.Responses.ResponseInputItem> = [{ role: "user", content: "Weather in Paris?" }]
        const first = yield* Effect.promise(() => openai.responses.create({ model: "smart", input, tools: [weatherTool] }))
        assert.strictEqual(first.output_text, "Let me look that up.")
        const call = first.output.find((item) => item.type === "function_call")
        assert.isDefined(call)
        if (call?.type !== "function_call") return
        assert.strictEqual(call.name, "get_weather")
        assert.match(call.id ?? "", /^fc_/)
        assert.deepStrictEqual(JSON.parse(call.arguments), { city: "Paris" })
        assert.strictEqual(first.usage?.input_tokens_details.cached_tokens, 100)

        const second = yield* Effect.promise(() =>
          openai.responses.create({
            model: "smart",
            tools: [weatherTool],
            input: [...input, ...asInput(first.output), { type: "function_call_output", call_id: call.call_id, output: "{\"celsius\": 21}" }]
          })
        )
        assert.strictEqual(second.output_text, "It is 21°C in Paris.")
        const [, followUp] = yield* upstream.exchanges
        const sent = followUp!.request.json as { messages: Array<Record<string, unknown>>; tools: Array<Record<string, unknown>> }
        if (kind === "openai") {
          assert.deepStrictEqual(sent.messages.slice(1), [
            {
              role: "assistant",
              content: "Let me look that up.",
              tool_calls: [{ id: call.call_id, type: "function", function: { name: "get_weather", arguments: call.arguments } }]
            },
            { role: "tool", tool_call_id: call.call_id, content: "{\"celsius\": 21}" }
          ])
          assert.deepStrictEqual(sent.tools[0], {
            type: "function",
            function: { name: "get_weather", description: weatherTool.description, parameters: weatherTool.parameters, strict: true }
          })
        } else {
          assert.deepStrictEqual(sent.messages[1], {
            role: "assistant",
            content: [{ type: "text", text: "Let me look that up." }, { type: "tool_use", id: call.call_id, name: "get_weather", input: { city: "Paris" } }]
          })
          const result = (sent.messages[2]!["content"] as Array<Record<string, unknown>>)[0]
          assert.strictEqual(result?.["type"], "tool_result")
          assert.strictEqual(result?.["tool_use_id"], call.call_id)
        }
      }))

    it.live("streams a function call round trip, arguments in pieces the SDK reassembles", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        yield* upstream.enqueue(wire.route, wire.answer(toolScript), wire.answer({ text: ["Sunny, 21°C."] }))
        const input: Array<OpenAI.Responses.ResponseInputItem> = [{ role: "user", content: "Weather in Paris?" }]
        const stream = openai.responses.stream({ model: "smart", input, tools: [weatherTool] })
        const types: Array<string> = []
        yield* Effect.promise(async () => {
          for await (const event of stream) types.push(event.type)
        })
        const first = yield* Effect.promise(() => stream.finalResponse())
        const call = first.output.find((item) => item.type === "function_call")
        if (call?.type !== "function_call") return assert.fail("no function_call item")
        assert.deepStrictEqual(JSON.parse(call.arguments), { city: "Paris" })
        assert.strictEqual(call.status, "completed")
        assert.isAtLeast(types.filter((t) => t === "response.function_call_arguments.delta").length, 2)
        // The message closes before the call opens; the call's events follow in order.
        const callAdded = types.lastIndexOf("response.output_item.added")
        assert.isBelow(types.indexOf("response.output_text.done"), callAdded)
        assert.deepStrictEqual(types.slice(-3), [
          "response.function_call_arguments.done",
          "response.output_item.done",
          "response.completed"
        ])
        assert.strictEqual(first.output_text, "Let me look that up.")

        const again = openai.responses.stream({
          model: "smart",
          tools: [weatherTool],
          input: [...input, ...asInput(first.output), { type: "function_call_output", call_id: call.call_id, output: "sunny, 21" }]
        })
        const second = yield* Effect.promise(() => again.finalResponse())
        assert.strictEqual(second.output_text, "Sunny, 21°C.")
        assert.lengthOf(yield* upstream.exchanges, 2)
      }))

    it.live("streams reasoning as a reasoning item's summary text", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        yield* upstream.setDefault(wire.route, wire.answer({ reasoning: ["Paris is ", "the capital."], text: ["Paris."] }))
        const stream = openai.responses.stream({ model: "smart", input: "Capital of France?" })
        const reasoning: Array<string> = []
        stream.on("response.reasoning_summary_text.delta", (event) => reasoning.push(event.delta))
        const final = yield* Effect.promise(() => stream.finalResponse())
        assert.strictEqual(reasoning.join(""), "Paris is the capital.")
        const [first, second] = final.output
        assert.strictEqual(first?.type, "reasoning")
        if (first?.type === "reasoning") assert.strictEqual(first.summary[0]?.text, "Paris is the capital.")
        assert.strictEqual(second?.type, "message")
        assert.strictEqual(final.output_text, "Paris.")
      }))

    it.live("holds a whole answer to a json_schema text.format", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        yield* upstream.setDefault(wire.route, wire.answer({ text: ["{\"city\": \"Paris\", \"country\": \"France\"}"] }))
        const { data: response, response: raw } = yield* Effect.promise(() =>
          openai.responses.create({
            model: "smart",
            input: "Where is the Eiffel tower?",
            text: {
              format: {
                type: "json_schema",
                name: "place",
                strict: true,
                schema: {
                  type: "object",
                  properties: { city: { type: "string" }, country: { type: "string" } },
                  required: ["city", "country"],
                  additionalProperties: false
                }
              }
            }
          }).withResponse()
        )
        assert.deepStrictEqual(JSON.parse(response.output_text), { city: "Paris", country: "France" })
        assert.include(raw.headers.get("x-switchyard-contract") ?? "", "=")
        const sent = (yield* upstream.exchanges)[0]!.request.json as Record<string, unknown>
        if (kind === "openai") {
          const format = sent["response_format"] as { type: string; json_schema: { name: string } }
          assert.strictEqual(format.type, "json_schema")
          assert.strictEqual(format.json_schema.name, "place")
        }
      }))

    it.live("raises the SDK's RateLimitError for an upstream 429", () =>
      Effect.gen(function*() {
        const { openai, upstream } = yield* gatewayTo(kind)
        yield* upstream.enqueue(wire.route, wire.error(429, { retryAfter: 7 }))
        const error = yield* failureOf(() => openai.responses.create({ model: "smart", input: "hi" }))
        assert.instanceOf(error, OpenAI.RateLimitError)
        const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>
        assert.strictEqual(rateLimit.status, 429)
        assert.strictEqual(rateLimit.headers.get("retry-after"), "7")
        assert.strictEqual((rateLimit.error as { type: string }).type, "rate_limited")
      }))

    it.live("ends a stream broken mid-answer with an error event, never response.completed", () =>
      Effect.gen(function*() {
        const { openai, upstream, url } = yield* gatewayTo(kind)
        const broken = wire.stream({ text: ["one ", "two ", "three ", "four ", "five ", "six"] }).pipe(Fault.disconnectAfter(5))
        yield* upstream.setDefault(wire.route, broken)
        // Through the SDK: deltas, then an APIError, and no completed response.
        const seen: Array<string> = []
        const failure = yield* failureOf(async () => {
          const stream = await openai.responses.create({ model: "smart", input: "count", stream: true })
          for await (const event of stream) seen.push(event.type)
        })
        assert.instanceOf(failure, OpenAI.APIError)
        assert.include(seen, "response.output_text.delta")
        assert.notInclude(seen, "response.completed")
        // On the wire: the last event is `error`, numbered in sequence, with the OpenAI fields.
        const text = yield* Effect.promise(() =>
          fetch(`${url}/v1/responses`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "smart", input: "count", stream: true })
          }).then((r) => r.text())
        )
        const frames = events(text)
        const last = frames[frames.length - 1]!
        assert.strictEqual(last.event, "error")
        const data = last.data as unknown as Record<string, unknown>
        assert.strictEqual(data["type"], "error")
        assert.strictEqual(data["code"], "stream_interrupted")
        assert.isString(data["message"])
        assert.isNull(data["param"])
        assert.deepStrictEqual(frames.map((f) => f.data.sequence_number), frames.map((_, i) => i))
        assert.notInclude(text, "response.completed")
        assert.notInclude(text, "secret-key-0123456789")
      }))
  })
}

describe("POST /v1/responses refusals", () => {
  it.live("refuses an unknown previous_response_id or item, unknown fields and hosted tools with a 400 naming them", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* gatewayTo("openai")
      const refused = (body: Record<string, unknown>) =>
        failureOf(() => openai.responses.create({ model: "smart", input: "hi", ...body } as never)).pipe(
          Effect.map((e) => {
            assert.instanceOf(e, OpenAI.BadRequestError)
            return (e as InstanceType<typeof OpenAI.BadRequestError>).error as { param: string; code: string; message: string }
          })
        )
      const previous = yield* refused({ previous_response_id: "resp_123" })
      assert.strictEqual(previous.param, "previous_response_id")
      assert.strictEqual(previous.code, "unsupported_feature")
      const unknown = yield* refused({ conversation: "conv_123" })
      assert.strictEqual(unknown.param, "conversation")
      assert.strictEqual(unknown.code, "unknown_field")
      const hosted = yield* refused({ tools: [weatherTool, { type: "web_search" }] })
      assert.strictEqual(hosted.param, "tools[1].type")
      assert.include(hosted.message, "web_search")
      const reference = yield* refused({ input: [{ type: "item_reference", id: "msg_1" }] })
      assert.strictEqual(reference.param, "input[0].id")
      assert.lengthOf(yield* upstream.exchanges, 0)
    }))

  it.live("keeps a stored response: a later request continues it (previous_response_id) or refers to its items", () =>
    Effect.gen(function*() {
      const { openai, upstream } = yield* gatewayTo("openai")
      yield* upstream.enqueue(
        OpenAiChatWire.route,
        OpenAiChatWire.answer({ text: ["Paris."] }),
        OpenAiChatWire.answer({ text: ["About 2 million."] }),
        OpenAiChatWire.answer({ text: ["Yes."] }),
        OpenAiChatWire.answer({ text: ["Not kept."] })
      )
      const first = yield* Effect.promise(() =>
        openai.responses.create({ model: "smart", input: "Capital of France?", metadata: { team: "a" }, user: "u-1", max_output_tokens: 64 })
      )
      assert.strictEqual(first.output_text, "Paris.")
      assert.strictEqual((first as unknown as { store: boolean }).store, true)
      const second = yield* Effect.promise(() =>
        openai.responses.create({ model: "smart", input: "How many people live there?", previous_response_id: first.id })
      )
      assert.strictEqual(second.output_text, "About 2 million.")
      const third = yield* Effect.promise(() =>
        openai.responses.create({
          model: "smart",
          input: [{ role: "user", content: "Capital of France?" }, { type: "item_reference", id: first.output[0]!.id! }, { role: "user", content: "Sure?" }]
        } as never)
      )
      assert.strictEqual((third as { output_text: string }).output_text, "Yes.")
      const unkept = yield* Effect.promise(() => openai.responses.create({ model: "smart", input: "hi", store: false }))
      const bodies = (yield* upstream.exchanges).map((e) => e.request.json as { messages: Array<{ role: string; content: unknown }>; user?: string })
      assert.strictEqual(bodies[0]!.user, "u-1")
      assert.deepStrictEqual(bodies[1]!.messages.map((m) => [m.role, m.content]), [
        ["user", "Capital of France?"],
        ["assistant", "Paris."],
        ["user", "How many people live there?"]
      ])
      assert.deepStrictEqual(bodies[2]!.messages.map((m) => m.role), ["user", "assistant", "user"])
      assert.include(JSON.stringify(bodies[2]!.messages[1]), "Paris.")
      const missing = yield* failureOf(() => openai.responses.create({ model: "smart", input: "more", previous_response_id: unkept.id }))
      assert.instanceOf(missing, OpenAI.BadRequestError)
    }))

  it.live("answers another method with 405", () =>
    Effect.gen(function*() {
      const { url } = yield* gatewayTo("openai")
      const response = yield* Effect.promise(() => fetch(`${url}/v1/responses`))
      assert.strictEqual(response.status, 405)
      assert.strictEqual(response.headers.get("allow"), "POST")
    }))
})
