import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { ErrorBody, OpenAiResponses } from "@switchyard/translate"
import { answer, encode, events, finished } from "./fixtures.ts"

const decode = Schema.decodeUnknownSync(OpenAiResponses.ResponsesRequest)

/** A turn with a function call answered, as OpenAI's SDK sends it. */
const body = {
  model: "fast",
  instructions: "Be brief.",
  input: [
    { role: "user", content: "Weather in Paris?" },
    { type: "reasoning", summary: [{ text: "Look it up." }] },
    { type: "function_call", call_id: "call_1", name: "weather", arguments: "{\"city\":\"Paris\"}" },
    { type: "function_call_output", call_id: "call_1", output: "18°C" },
    { role: "user", content: [{ type: "input_text", text: "And tomorrow?" }] }
  ],
  tools: [{ type: "function", name: "weather", parameters: { type: "object" }, strict: true }],
  max_output_tokens: 256,
  text: { format: { type: "json_schema", name: "forecast", schema: { type: "object" } } }
}

const header = (request: OpenAiResponses.ResponsesRequest) => ({
  id: OpenAiResponses.responseId("req_r1"),
  model: "claude-test",
  createdAt: 1_700_000_000,
  echo: OpenAiResponses.echoOf(request)
})

/** A store holding one earlier response, as the server's `ResponseStore` would. */
const store: OpenAiResponses.StoredResponses = {
  item: (id) => Effect.succeed(id === "msg_1" ? Option.some({ type: "message", role: "assistant", content: "It is sunny." }) : Option.none()),
  conversation: (id) =>
    Effect.succeed(id === "resp_1" ? Option.some([{ role: "user", content: "Hi" }, { type: "item_reference", id: "msg_1" }]) : Option.none())
}

describe("OpenAiResponses", () => {
  it("translates a Responses request into the canonical one: an assistant turn per reasoning and calls", () => {
    const request = OpenAiResponses.toChatRequest(decode(body))
    assert.deepStrictEqual(request.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "Look it up.",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{\"city\":\"Paris\"}" } }]
      },
      { role: "tool", tool_call_id: "call_1", content: "18°C" },
      { role: "user", content: [{ type: "text", text: "And tomorrow?" }] }
    ])
    assert.deepStrictEqual(request.tools, [{ type: "function", function: { name: "weather", parameters: { type: "object" }, strict: true } }])
    assert.strictEqual(request.max_completion_tokens, 256)
    assert.deepStrictEqual(request.response_format, { type: "json_schema", json_schema: { name: "forecast", schema: { type: "object" } } })
  })

  it.effect("resolves previous_response_id and item references from the store, then translates", () =>
    Effect.gen(function*() {
      const resolved = yield* OpenAiResponses.resolveStored(decode({ model: "fast", input: "Tomorrow?", previous_response_id: "resp_1" }), store)
      assert.deepStrictEqual(OpenAiResponses.toChatRequest(resolved).messages, [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "It is sunny." },
        { role: "user", content: "Tomorrow?" }
      ])
      const missing = yield* Effect.flip(OpenAiResponses.resolveStored(decode({ model: "fast", input: "x", previous_response_id: "resp_2" }), store))
      assert.strictEqual(missing.body.param, "previous_response_id")
    }))

  it.effect("refuses a hosted tool with a 400 naming it", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(ErrorBody.translating(() => OpenAiResponses.toChatRequest(decode({ ...body, tools: [{ type: "web_search" }] }))))
      assert.strictEqual(refused.status, 400)
      assert.strictEqual(refused.body.param, "tools[0].type")
    }))

  it("encodes a whole answer as a response: reasoning, message and function_call items", () => {
    const request = decode(body)
    const response = OpenAiResponses.response(answer, header(request))
    assert.strictEqual(response.status, "completed")
    assert.deepStrictEqual((response.output as Array<any>).map((item) => item.type), ["reasoning", "message", "function_call", "function_call"])
    assert.deepStrictEqual((response.output as Array<any>)[1].content[0].text, "Checking both cities.")
    assert.deepStrictEqual((response.output as Array<any>).slice(2).map((item) => [item.call_id, item.arguments]), [
      ["call_1", "{\"city\":\"Paris\"}"],
      ["call_2", "{\"city\":\"Oslo\"}"]
    ])
    assert.strictEqual(response.usage?.input_tokens, 120)
    assert.strictEqual((response as Record<string, unknown>)["max_output_tokens"], 256)
  })

  it("streams the same answer: numbered events ending in response.completed with the whole response's output", () => {
    const request = decode(body)
    const frames = encode(OpenAiResponses.step, OpenAiResponses.initialStreamState(header(request)), finished())
    assert.deepStrictEqual(frames.map((f) => f.data["sequence_number"]), frames.map((_, i) => i))
    assert.deepStrictEqual(frames.slice(0, 2).map((f) => f.event), ["response.created", "response.in_progress"])
    const completed = frames.at(-1)!
    assert.strictEqual(completed.event, "response.completed")
    assert.deepStrictEqual(completed.data["response"], OpenAiResponses.response(answer, header(request)))
  })

  it("ends a broken stream with an error event, numbered in sequence, and no response.completed", () => {
    const error = {
      status: 502,
      body: { message: "upstream closed", type: "server_error", code: "server_error", param: null, provider: "anthropic", retryable: true }
    }
    const frames = encode(OpenAiResponses.step, OpenAiResponses.initialStreamState(header(decode(body))), [
      ...events,
      { _tag: "Failed" as const, error }
    ])
    const last = frames.at(-1)!
    assert.strictEqual(last.event, "error")
    assert.strictEqual(last.data["sequence_number"], frames.length - 1)
    assert.isFalse(frames.some((f) => f.event === "response.completed"))
    assert.isTrue(OpenAiResponses.frameText(last).startsWith("event: error\ndata: {"))
  })
})
