import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Provider, ProviderError, type StreamEvent } from "@switchyard/core"
import { MockProvider, Script } from "@switchyard/testing"

const request = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }] }

const script: Script.Script = {
  model: "gpt-4o",
  text: ["Hel", "lo"],
  toolCalls: [{ id: "call_1", name: "lookup", arguments: ['{"q":', '"x"}'] }],
  usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 4 }
}

describe("Script", () => {
  it("describes canonical events and the response an adapter should assemble", () => {
    const tags = Script.events(script).map((e) => e._tag)
    assert.deepStrictEqual(tags, [
      "ResponseStart",
      "TextDelta",
      "TextDelta",
      "ToolCallStart",
      "ToolCallDelta",
      "ToolCallDelta",
      "Finish",
      "UsageReport"
    ])
    const response = Script.response(script)
    assert.strictEqual(response.choices[0]!.content, "Hello")
    assert.deepStrictEqual(response.choices[0]!.toolCalls, [{ id: "call_1", name: "lookup", arguments: '{"q":"x"}' }])
    assert.strictEqual(response.choices[0]!.finishReason, "tool_calls")
    assert.deepStrictEqual(response.usage, {
      inputTokens: 12,
      outputTokens: 5,
      cachedInputTokens: 4,
      cacheWriteTokens: 0,
      source: "provider"
    })
  })
})

describe("MockProvider", () => {
  it.effect("streams scripted events, paced by the TestClock", () =>
    Effect.gen(function*() {
      const provider = yield* MockProvider.make("openai", [
        MockProvider.answer({ text: ["a", "b", "c"] }, { firstTokenDelay: "200 millis", chunkDelay: "100 millis" })
      ])
      const seen: Array<StreamEvent.StreamEvent> = []
      const fiber = yield* provider.stream(request).pipe(
        Stream.runForEach((event) => Effect.sync(() => void seen.push(event))),
        Effect.forkChild
      )
      const texts = () => seen.filter((e) => e._tag === "TextDelta").length
      yield* TestClock.adjust("199 millis")
      assert.strictEqual(seen.length, 0)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(texts(), 1)
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(texts(), 2)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(texts(), 3)
      assert.deepStrictEqual(seen.at(-1)!._tag, "UsageReport")
      const [call] = yield* provider.calls
      assert.deepInclude(call, { index: 0, method: "stream", startedAt: 0, outcome: "succeeded", endedAt: 400 })
    }))

  it.effect("complete assembles the scripted answer", () =>
    Effect.gen(function*() {
      const provider = yield* MockProvider.make("openai", [MockProvider.answer(script)])
      const response = yield* provider.complete(request)
      assert.deepStrictEqual(response, Script.response(script))
      assert.strictEqual(provider.name, "openai")
    }))

  it.effect("consumes the queue per call, fails with scripted errors, and fails past the end", () =>
    Effect.gen(function*() {
      const given = new ProviderError.Overloaded({ provider: "anthropic", message: "busy", status: 529 })
      const provider = yield* MockProvider.make("anthropic", [
        [MockProvider.fail("rate_limited")],
        [MockProvider.sleep("1 second"), MockProvider.fail(given)],
        MockProvider.answer({ text: ["ok"] })
      ])
      const first = yield* Effect.flip(provider.complete(request))
      assert.strictEqual(first._tag, "RateLimited")
      assert.strictEqual(first.provider, "anthropic")
      assert.isTrue(first.retryable)
      const second = yield* provider.complete(request).pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(second), given)
      assert.strictEqual((yield* provider.complete(request)).choices[0]!.content, "ok")
      const beyond = yield* Effect.flip(Stream.runCollect(provider.stream(request)))
      assert.strictEqual(beyond._tag, "UnknownProviderError")
      assert.include(beyond.message, "no scripted answer for call 3")
      const calls = yield* provider.calls
      assert.deepStrictEqual(calls.map((c) => c.outcome), ["failed", "failed", "succeeded", "failed"])
      assert.deepStrictEqual(calls.map((c) => c.method), ["complete", "complete", "complete", "stream"])
    }))

  it.effect("answers from a function of the request", () =>
    Effect.gen(function*() {
      const provider = yield* MockProvider.make("echo", (req, index) =>
        MockProvider.answer({ model: req.model, text: [`call ${index}`] }))
      const first = yield* provider.complete({ ...request, model: "m1" })
      const second = yield* provider.complete({ ...request, model: "m2" })
      assert.deepStrictEqual([first.model, first.choices[0]!.content], ["m1", "call 0"])
      assert.deepStrictEqual([second.model, second.choices[0]!.content], ["m2", "call 1"])
      assert.deepStrictEqual((yield* provider.calls).map((c) => c.request.model), ["m1", "m2"])
    }))

  it.effect("a hang interrupted by a timeout is recorded as interrupted", () =>
    Effect.gen(function*() {
      const provider = yield* MockProvider.make("slow", [[MockProvider.hang], [MockProvider.hang]])
      const fiber = yield* provider.complete(request).pipe(Effect.timeout("5 seconds"), Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "TimeoutError")
      const streamFiber = yield* Stream.runDrain(provider.stream(request)).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(streamFiber)
      const calls = yield* provider.calls
      assert.deepStrictEqual(calls.map((c) => [c.outcome, c.endedAt]), [["interrupted", 5000], ["interrupted", 6000]])
    }))

  it.effect("a stream whose consumer stops early is recorded as interrupted", () =>
    Effect.gen(function*() {
      const provider = yield* MockProvider.make("cut", [MockProvider.answer({ text: ["a", "b", "c"] })])
      const taken = yield* provider.stream(request).pipe(Stream.take(2), Stream.runCollect)
      assert.deepStrictEqual(taken.map((e) => e._tag), ["ResponseStart", "TextDelta"])
      assert.strictEqual((yield* provider.calls)[0]!.outcome, "interrupted")
    }))

  it.effect("nothing is recorded until a stream runs", () =>
    Effect.gen(function*() {
      const provider = yield* MockProvider.make("lazy", [MockProvider.answer({ text: ["x"] })])
      const stream = provider.stream(request)
      assert.deepStrictEqual(yield* provider.calls, [])
      yield* Stream.runDrain(stream)
      assert.strictEqual((yield* provider.calls).length, 1)
    }))

  it.effect("layer provides core's Provider and the recorder", () =>
    Effect.gen(function*() {
      const provider = yield* Provider.Provider
      const response = yield* provider.complete(request)
      const recorder = yield* MockProvider.MockProvider
      assert.strictEqual(response.choices[0]!.content, "from layer")
      assert.strictEqual((yield* recorder.calls)[0]!.request, request)
    }).pipe(Effect.provide(MockProvider.layer("layered", [MockProvider.answer({ text: ["from layer"] })]))))
})
