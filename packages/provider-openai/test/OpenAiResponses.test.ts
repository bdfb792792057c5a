import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { StreamAccumulator, type StreamEvent } from "@switchyard/core"
import { Replay } from "@switchyard/testing"
import * as OpenAiResponses from "../src/OpenAiResponses.ts"

const context = { provider: "openai", model: "gpt-test" }
const encoder = new TextEncoder()

const fixture = (name: string): Uint8Array => readFileSync(join(import.meta.dirname, "fixtures", "responses", name))
const fixtureJson = (name: string): unknown => JSON.parse(new TextDecoder().decode(fixture(name)))

const split = Replay.split

/** Runs the dialect's stream decoder, keeping the events seen before any failure. */
const decode = (chunks: ReadonlyArray<Uint8Array>) => Replay.stream(OpenAiResponses.dialect, chunks, context)

const decodeFixture = (name: string) => decode([fixture(name)])
const decodeText = (sse: string) => decode([encoder.encode(sse)])

const sse = (...events: ReadonlyArray<Record<string, unknown>>) =>
  events.map((e) => `event: ${String(e["type"])}\ndata: ${JSON.stringify(e)}\n\n`).join("")

const tags = (events: ReadonlyArray<StreamEvent.StreamEvent>) => events.map((e) => e._tag)

const streamFixtures = [
  "stream-text-cached.sse",
  "stream-reasoning-parallel-tools.sse",
  "stream-refusal.sse",
  "stream-incomplete-max-output-tokens.sse",
  "stream-error-insufficient-quota.sse",
  "stream-failed-rate-limit.sse",
  "stream-error-server-error-then-eof.sse",
  "stream-cut-before-completed.sse"
]

describe("OpenAiResponses stream", () => {
  it.effect("text: one ResponseStart, deltas only once, usage with cached input, completed is stop", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("stream-text-cached.sse")
      assert.isUndefined(error)
      assert.deepStrictEqual(tags(events), [
        "ResponseStart",
        ...Array<"TextDelta">(8).fill("TextDelta"),
        "UsageReport",
        "Finish"
      ])
      const response = StreamAccumulator.assemble(events)
      assert.strictEqual(response.id, "resp_68b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5")
      assert.strictEqual(response.model, "gpt-5-mini-2025-08-07")
      assert.strictEqual(response.created, 1763474589)
      assert.strictEqual(response.choices[0]!.content, "Bonjour ! Le café est prêt ☕.")
      assert.strictEqual(response.choices[0]!.finishReason, "stop")
      assert.strictEqual(response.choices[0]!.rawFinishReason, "completed")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 1290,
        outputTokens: 12,
        cachedInputTokens: 1152,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        source: "provider"
      })
    }))

  it.effect("reasoning summaries and parallel function calls keep call ids, names and arguments apart", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("stream-reasoning-parallel-tools.sse")
      assert.isUndefined(error)
      const starts = events.filter((e) => e._tag === "ToolCallStart")
      assert.deepStrictEqual(starts.map((e) => [e.index, e.id, e.name]), [
        [0, "call_Vq3xF1dLbN2pR7sT9uWy", "get_weather"],
        [1, "call_Hk8mZ4cQe6gJ0aS2dFv5", "get_weather"]
      ])
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.strictEqual(
        choice.reasoning,
        "**Checking the weather**\n\nTwo cities were asked.\n\n**Calling tools**\n\nOne call per city."
      )
      assert.strictEqual(choice.content, null)
      assert.deepStrictEqual(choice.toolCalls, [
        { id: "call_Vq3xF1dLbN2pR7sT9uWy", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
        { id: "call_Hk8mZ4cQe6gJ0aS2dFv5", name: "get_weather", arguments: "{\"city\":\"Tōkyō\"}" }
      ])
      // A completed response that calls functions ends in tool calls for a Chat Completions client.
      assert.strictEqual(choice.finishReason, "tool_calls")
      const usage = StreamAccumulator.assemble(events).usage!
      assert.strictEqual(usage.outputTokens, 214)
      assert.strictEqual(usage.reasoningTokens, 192)
    }))

  it.effect("a refusal is a refusal, not text", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("stream-refusal.sse")
      assert.isUndefined(error)
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.strictEqual(choice.refusal, "I'm sorry, I can't help with that.")
      assert.strictEqual(choice.content, "")
    }))

  it.effect("response.incomplete for max_output_tokens is a length finish with usage", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("stream-incomplete-max-output-tokens.sse")
      assert.isUndefined(error)
      const response = StreamAccumulator.assemble(events)
      assert.strictEqual(response.choices[0]!.content, "Once upon a time, in a")
      assert.strictEqual(response.choices[0]!.finishReason, "length")
      assert.strictEqual(response.choices[0]!.rawFinishReason, "max_output_tokens")
      assert.strictEqual(response.usage?.outputTokens, 16)
    }))

  it.effect("an error event then response.failed: finish error, then the classified error (quota, not retryable)", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("stream-error-insufficient-quota.sse")
      assert.deepStrictEqual(tags(events), ["ResponseStart", "Finish"])
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.strictEqual(choice.finishReason, "error")
      assert.strictEqual(choice.rawFinishReason, "failed")
      assert.strictEqual(error?._tag, "QuotaExceeded")
      assert.strictEqual(error?.retryable, false)
      assert.strictEqual(error?.providerCode, "insufficient_quota")
      assert.include(error?.message, "exceeded your current quota")
    }))

  it.effect("response.failed alone: the response's error, rate limited with the delay it names", () =>
    Effect.gen(function*() {
      const { error } = yield* decodeFixture("stream-failed-rate-limit.sse")
      assert.strictEqual(error?._tag, "RateLimited")
      assert.strictEqual(error?.retryable, true)
      assert.strictEqual(error?.retryAfter && Duration.toMillis(error.retryAfter), 2728)
    }))

  it.effect("an error event and then the source closing: that error, classified (server error, retryable)", () =>
    Effect.gen(function*() {
      const { error } = yield* decodeFixture("stream-error-server-error-then-eof.sse")
      assert.strictEqual(error?._tag, "ServerError")
      assert.strictEqual(error?.retryable, true)
    }))

  it.effect("the error event as the API reference documents it (top-level code, message, param) is classified", () =>
    Effect.gen(function*() {
      const { error } = yield* decodeText(sse(
        { type: "response.created", response: { id: "resp_2" } },
        { type: "error", code: "rate_limit_exceeded", message: "Rate limit reached. Please try again in 20s.", param: null },
        { type: "response.failed", response: { id: "resp_2", status: "failed", error: null } }
      ))
      assert.strictEqual(error?._tag, "RateLimited")
      assert.strictEqual(error?.retryAfter && Duration.toSeconds(error.retryAfter), 20)
    }))

  it.effect("a source that closes before a terminal event is StreamInterrupted, after what arrived", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("stream-cut-before-completed.sse")
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.strictEqual(error?.retryable, true)
      assert.strictEqual(StreamAccumulator.assemble(events).choices[0]!.content, "Partial answer")
    }))

  it.effect("every fixture gives the same events and error for any split into network chunks", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...streamFixtures),
          fc.array(fc.nat(), { maxLength: 30 }),
          async (name, cuts) => {
            const whole = await Effect.runPromise(decode([fixture(name)]))
            const pieces = await Effect.runPromise(decode(split(fixture(name), cuts)))
            assert.deepStrictEqual(pieces.events, whole.events)
            assert.strictEqual(pieces.error?._tag, whole.error?._tag)
          }
        ),
        { numRuns: 200 }
      )
    ))

  it.effect("content sent only in finished items or only in the final response is emitted once", () =>
    Effect.gen(function*() {
      const item = { type: "message", id: "msg_1", content: [{ type: "output_text", text: "Hi there" }] }
      const call = { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: "{\"a\":1}" }
      const completed = {
        type: "response.completed",
        response: { id: "resp_1", model: "m", created_at: 1, status: "completed", output: [item, call] }
      }
      const itemsOnly = yield* decodeText(sse(
        { type: "response.created", response: { id: "resp_1", model: "m", created_at: 1, status: "in_progress" } },
        { type: "response.output_item.done", output_index: 0, item },
        { type: "response.output_item.done", output_index: 1, item: call },
        completed
      ))
      const finalOnly = yield* decodeText(sse(completed))
      for (const outcome of [itemsOnly, finalOnly]) {
        assert.isUndefined(outcome.error)
        const choice = StreamAccumulator.assemble(outcome.events).choices[0]!
        assert.strictEqual(choice.content, "Hi there")
        assert.deepStrictEqual(choice.toolCalls, [{ id: "call_1", name: "f", arguments: "{\"a\":1}" }])
      }
      assert.deepStrictEqual(tags(itemsOnly.events), tags(finalOnly.events))
    }))

  it.effect("deltas that name their item only by item_id are matched to the finished item", () =>
    Effect.gen(function*() {
      const message = { type: "message", id: "msg_9", content: [{ type: "output_text", text: "Hello" }] }
      const { error, events } = yield* decodeText(sse(
        { type: "response.output_item.added", output_index: 0, item: { ...message, content: [] } },
        { type: "response.output_text.delta", item_id: "msg_9", content_index: 0, delta: "Hel" },
        { type: "response.output_text.delta", item_id: "msg_9", content_index: 0, delta: "lo" },
        { type: "response.output_item.done", output_index: 0, item: message },
        { type: "response.completed", response: { id: "r", status: "completed", output: [message] } }
      ))
      assert.isUndefined(error)
      assert.strictEqual(StreamAccumulator.assemble(events).choices[0]!.content, "Hello")
    }))

  it.effect("a malformed data line fails the stream as StreamInterrupted, never as text", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeText(
        sse({ type: "response.created", response: { id: "r" } }) +
          "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\n\n"
      )
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.deepStrictEqual(tags(events), ["ResponseStart"])
    }))

  it.effect("a known event with the wrong shape fails as StreamInterrupted", () =>
    Effect.gen(function*() {
      const { error } = yield* decodeText(sse({ type: "response.output_text.delta", output_index: 0, delta: 42 }))
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.include(error?.message, "malformed response.output_text.delta event")
    }))

  it.effect("[DONE] after response.completed is ignored; [DONE] instead of it is a cut stream", () =>
    Effect.gen(function*() {
      const completed = { type: "response.completed", response: { id: "r", status: "completed", output: [] } }
      const after = yield* decodeText(sse(completed) + "data: [DONE]\n\n")
      assert.isUndefined(after.error)
      const instead = yield* decodeText(sse({ type: "response.created", response: { id: "r" } }) + "data: [DONE]\n\n")
      assert.strictEqual(instead.error?._tag, "StreamInterrupted")
    }))

  it.effect("a bare {\"error\": ...} object inside the stream is classified", () =>
    Effect.gen(function*() {
      const error = { type: "invalid_request_error", code: "context_length_exceeded", message: "too long" }
      const outcome = yield* decodeText(`data: ${JSON.stringify({ error })}\n\n`)
      assert.strictEqual(outcome.error?._tag, "ContextOverflow")
      assert.strictEqual(outcome.error?.retryable, false)
    }))
})

describe("OpenAiResponses response", () => {
  it.effect("reasoning summary, text and a function call with its call_id; usage parts", () =>
    Effect.gen(function*() {
      const response = yield* OpenAiResponses.dialect.decodeResponse(
        fixtureJson("response-reasoning-text-function-call.json"),
        context
      )
      assert.strictEqual(response.id, "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b")
      assert.strictEqual(response.model, "gpt-5-2025-08-07")
      assert.strictEqual(response.created, 1741476542)
      assert.deepStrictEqual(response.choices, [{
        index: 0,
        content: "Let me check the weather in Paris.",
        reasoning: "**Planning a lookup**\n\nThe user wants the weather; call the tool.",
        toolCalls: [{ id: "call_pZ2wL0rYb7sK1cXq9dVe", name: "get_weather", arguments: "{\"city\":\"Paris\",\"unit\":\"celsius\"}" }],
        finishReason: "tool_calls",
        rawFinishReason: "completed"
      }])
      assert.deepStrictEqual(response.usage, {
        inputTokens: 312,
        outputTokens: 158,
        cachedInputTokens: 256,
        cacheWriteTokens: 0,
        reasoningTokens: 128,
        source: "provider"
      })
    }))

  it.effect("incomplete for content_filter is a content_filter finish", () =>
    Effect.gen(function*() {
      const response = yield* OpenAiResponses.dialect.decodeResponse(
        fixtureJson("response-incomplete-content-filter.json"),
        context
      )
      assert.strictEqual(response.choices[0]!.content, "I can describe the general")
      assert.strictEqual(response.choices[0]!.finishReason, "content_filter")
      assert.strictEqual(response.choices[0]!.rawFinishReason, "content_filter")
    }))

  it.effect("a failed response object is its classified error", () =>
    Effect.gen(function*() {
      const error = yield* OpenAiResponses.dialect.decodeResponse({
        id: "resp_x",
        status: "failed",
        error: { code: "vector_store_timeout", message: "File search timed out" },
        output: []
      }, context).pipe(Effect.flip)
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error.retryable, true)
    }))

  it.effect("a body that is not a response object is a ServerError", () =>
    Effect.gen(function*() {
      const error = yield* OpenAiResponses.dialect.decodeResponse({ output: "nope" }, context).pipe(Effect.flip)
      assert.strictEqual(error._tag, "ServerError")
    }))
})
