import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AnthropicMessages, ErrorBody } from "@switchyard/translate"
import { answer, encode, events, finished, usage } from "./fixtures.ts"

const decode = Schema.decodeUnknownSync(AnthropicMessages.MessagesRequest)

/** A turn with a tool call answered, as Anthropic's SDK sends it. */
const body = {
  model: "claude-test",
  max_tokens: 512,
  system: [{ type: "text", text: "Be brief." }],
  messages: [
    { role: "user", content: "Weather in Paris?" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Look it up.", signature: "sig" },
        { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } }
      ]
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "18°C" }, { type: "text", text: "And tomorrow?" }]
    }
  ],
  tools: [{ name: "weather", description: "Forecast", input_schema: { type: "object" } }],
  tool_choice: { type: "any", disable_parallel_tool_use: true },
  thinking: { type: "enabled", budget_tokens: 8000 },
  output_config: { format: { type: "json_schema", schema: { type: "object" } } }
}

interface Frame {
  readonly event: string
  readonly data: any
}

/** Frames assembled into the message they make, as Anthropic's SDK stream helper does. */
const assemble = (frames: ReadonlyArray<Frame>) => {
  const content: Array<any> = []
  const json: Array<string> = []
  let message: any
  for (const { data } of frames) {
    switch (data.type) {
      case "message_start":
        message = data.message
        break
      case "content_block_start":
        content[data.index] = { ...data.content_block }
        json[data.index] = ""
        break
      case "content_block_delta": {
        const block = content[data.index]
        if (data.delta.type === "text_delta") block.text += data.delta.text
        if (data.delta.type === "thinking_delta") block.thinking += data.delta.thinking
        if (data.delta.type === "input_json_delta") json[data.index] += data.delta.partial_json
        break
      }
      case "content_block_stop":
        if (content[data.index].type === "tool_use") content[data.index].input = JSON.parse(json[data.index]!)
        break
      case "message_delta":
        message = { ...message, ...data.delta, usage: data.usage }
    }
  }
  return { ...message, content }
}

describe("AnthropicMessages", () => {
  it("translates a Messages request into the canonical one", () => {
    const request = AnthropicMessages.toChatRequest(decode(body))
    assert.deepStrictEqual(request.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "Look it up.",
        tool_calls: [{ id: "toolu_1", type: "function", function: { name: "weather", arguments: "{\"city\":\"Paris\"}" } }]
      },
      { role: "tool", tool_call_id: "toolu_1", content: "18°C" },
      { role: "user", content: [{ type: "text", text: "And tomorrow?" }] }
    ])
    assert.strictEqual(request.max_tokens, 512)
    assert.strictEqual(request.tool_choice, "required")
    assert.strictEqual(request.parallel_tool_calls, false)
    assert.strictEqual(request.reasoning_effort, "medium")
    assert.deepStrictEqual(request.response_format, {
      type: "json_schema",
      json_schema: { name: "output", schema: { type: "object" }, strict: true }
    })
  })

  it.effect("refuses what has no canonical equivalent with a 400 naming it", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(ErrorBody.translating(() => AnthropicMessages.toChatRequest(decode({ ...body, top_k: 5 }))))
      assert.strictEqual(refused.status, 400)
      assert.strictEqual(refused.body.param, "top_k")
      assert.strictEqual(refused.body.code, "unsupported_feature")
    }))

  it("decodes a count_tokens request without max_tokens", () => {
    const { max_tokens: _, ...counted } = body
    const request = Schema.decodeUnknownSync(AnthropicMessages.CountTokensRequest)(counted)
    assert.isUndefined(request.max_tokens)
    assert.throws(() => decode(counted))
  })

  it("encodes a whole answer as a message: thinking, text, tool_use blocks and Anthropic's usage", () => {
    const message = AnthropicMessages.message(answer)
    assert.strictEqual(message.id, "msg_abc123")
    assert.deepStrictEqual(message.content, [
      { type: "thinking", thinking: "The user wants two forecasts.", signature: "" },
      { type: "text", text: "Checking both cities." },
      { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_2", name: "weather", input: { city: "Oslo" } }
    ])
    assert.strictEqual(message.stop_reason, "tool_use")
    // Cache reads and writes are outside input_tokens.
    assert.deepStrictEqual(message.usage, { input_tokens: 90, output_tokens: 40, cache_creation_input_tokens: 10, cache_read_input_tokens: 20 })
  })

  it("streams the same answer: frames that assemble to the whole message", () => {
    const frames = encode(AnthropicMessages.step, AnthropicMessages.initialStreamState({ id: "fallback", model: "route" }), finished())
    assert.deepStrictEqual(assemble(frames), AnthropicMessages.message(answer))
    assert.deepStrictEqual(frames.slice(-2).map((f) => f.event), ["message_delta", "message_stop"])
    assert.isTrue(AnthropicMessages.frameText(frames[0]!).startsWith("event: message_start\ndata: {"))
  })

  it("sends no closing frames for a stream that did not finish; message_start has the fallback usage", () => {
    const estimate = { ...usage, inputTokens: 99, outputTokens: 0 }
    const frames = encode(AnthropicMessages.step, AnthropicMessages.initialStreamState({ id: "x", model: "m", usage: estimate }), events)
    assert.isFalse(frames.some((f) => f.event === "message_delta" || f.event === "message_stop"))
    assert.strictEqual((frames[0]!.data as any).message.usage.input_tokens, 99 - 20 - 10)
  })

  it("renders errors in Anthropic's shape, the type from the status", () => {
    const error = {
      status: 429,
      body: { message: "slow down", type: "rate_limited", code: "rate_limited", param: null, provider: "anthropic", retryable: true }
    }
    assert.deepStrictEqual(AnthropicMessages.renderError(error), {
      type: "error",
      error: { type: "rate_limit_error", message: "slow down", category: "rate_limited", provider: "anthropic", retryable: true }
    })
    assert.deepStrictEqual(AnthropicMessages.errorFrame(error), { event: "error", data: AnthropicMessages.renderError(error) })
  })
})
