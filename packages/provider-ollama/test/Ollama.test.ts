import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ErrorClassifier, StreamAccumulator } from "@switchyard/core"
import { Ollama } from "../src/index.ts"
import { Replay } from "@switchyard/testing"

const context = { provider: "ollama", model: "llama3.2" }
const encoder = new TextEncoder()

const fixture = (name: string): Uint8Array => readFileSync(join(import.meta.dirname, "fixtures", name))
const fixtureText = (name: string): string => new TextDecoder().decode(fixture(name))

const split = Replay.split

/** Runs the dialect's stream decoder, keeping the events seen before any failure. */
const decode = (chunks: ReadonlyArray<Uint8Array>) => Replay.stream(Ollama.dialect, chunks, context)

const decodeFixture = (name: string) => decode([fixture(name)])
const decodeLines = (...lines: ReadonlyArray<unknown>) =>
  decode([encoder.encode(lines.map((l) => JSON.stringify(l) + "\n").join(""))])

const streamFixtures = [
  "chat-stream-text.ndjson",
  "chat-stream-thinking.ndjson",
  "chat-stream-tool-calls.ndjson",
  "chat-stream-length.ndjson",
  "chat-stream-error-midstream.ndjson",
  "chat-stream-cut.ndjson"
]

describe("Ollama stream (NDJSON)", () => {
  it.effect("text: ResponseStart from the first line, one delta per line, done:true is usage + stop", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("chat-stream-text.ndjson")
      assert.isUndefined(error)
      assert.deepStrictEqual(events.map((e) => e._tag), [
        "ResponseStart",
        ...Array<"TextDelta">(13).fill("TextDelta"),
        "UsageReport",
        "Finish"
      ])
      const response = StreamAccumulator.assemble(events)
      assert.match(response.id, /^ollama-[0-9a-f]{8}$/)
      assert.strictEqual(response.model, "llama3.2")
      assert.strictEqual(response.created, Math.floor(Date.parse("2025-03-14T09:26:53.589Z") / 1000))
      assert.strictEqual(response.choices[0]!.content, "The sky is blue because of Rayleigh scattering — naïve but true.")
      assert.strictEqual(response.choices[0]!.finishReason, "stop")
      assert.strictEqual(response.choices[0]!.rawFinishReason, "stop")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 26,
        outputTokens: 13,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        source: "provider"
      })
    }))

  it.effect("thinking is reasoning, content is text", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("chat-stream-thinking.ndjson")
      assert.isUndefined(error)
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.strictEqual(choice.reasoning, "Okay, the user asks 17 × 23. 17×20=340, 17×3=51.")
      assert.strictEqual(choice.content, "17 × 23 = 391.")
    }))

  it.effect("tool calls: object arguments become JSON text, each call gets a stable id, finish is tool_calls", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("chat-stream-tool-calls.ndjson")
      assert.isUndefined(error)
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.deepStrictEqual(choice.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)]), [
        ["get_temperature", { city: "New York" }],
        ["get_temperature", { city: "London", unit: "celsius" }]
      ])
      const ids = choice.toolCalls.map((c) => c.id)
      assert.match(ids[0]!, /^call_[0-9a-f]{8}_0$/)
      assert.match(ids[1]!, /^call_[0-9a-f]{8}_1$/)
      assert.notStrictEqual(ids[0], ids[1])
      const again = yield* decodeFixture("chat-stream-tool-calls.ndjson")
      assert.deepStrictEqual(StreamAccumulator.assemble(again.events).choices[0]!.toolCalls.map((c) => c.id), ids)
      assert.strictEqual(choice.finishReason, "tool_calls")
      assert.strictEqual(choice.rawFinishReason, "stop")
      assert.strictEqual(choice.content, null)
    }))

  it.effect("an id sent by the server is kept", () =>
    Effect.gen(function*() {
      const call = { id: "call_srv", function: { name: "f", arguments: { a: 1 } } }
      const { events } = yield* decodeLines(
        { model: "m", message: { role: "assistant", content: "", tool_calls: [call] }, done: false },
        { model: "m", message: { role: "assistant", content: "" }, done: true, done_reason: "stop" }
      )
      assert.deepStrictEqual(StreamAccumulator.assemble(events).choices[0]!.toolCalls, [
        { id: "call_srv", name: "f", arguments: "{\"a\":1}" }
      ])
    }))

  it.effect("done_reason length is a length finish", () =>
    Effect.gen(function*() {
      const { events } = yield* decodeFixture("chat-stream-length.ndjson")
      const choice = StreamAccumulator.assemble(events).choices[0]!
      assert.strictEqual(choice.content, "Once upon a time")
      assert.strictEqual(choice.finishReason, "length")
    }))

  it.effect("an {\"error\"} line mid-stream fails with the classified error, after the text so far", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("chat-stream-error-midstream.ndjson")
      assert.strictEqual(StreamAccumulator.assemble(events).choices[0]!.content, "Let me")
      assert.strictEqual(error?._tag, "ServerError")
      assert.strictEqual(error?.retryable, true)
      assert.include(error?.message, "unexpected EOF")
    }))

  it.effect("a model-not-found error line is NotFound, not retryable", () =>
    Effect.gen(function*() {
      const { error } = yield* decodeLines({ error: "model \"llama9\" not found, try pulling it first" })
      assert.strictEqual(error?._tag, "NotFound")
      assert.strictEqual(error?.retryable, false)
    }))

  it.effect("EOF without done:true is StreamInterrupted", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeFixture("chat-stream-cut.ndjson")
      assert.strictEqual(StreamAccumulator.assemble(events).choices[0]!.content, "Half an")
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.strictEqual(error?.retryable, true)
    }))

  it.effect("lines after done:true are not read", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decodeLines(
        { model: "m", message: { role: "assistant", content: "ok" }, done: true, done_reason: "stop" },
        { error: "late" }
      )
      assert.isUndefined(error)
      assert.strictEqual(StreamAccumulator.assemble(events).choices[0]!.content, "ok")
    }))

  it.effect("a malformed line fails as StreamInterrupted, never as text", () =>
    Effect.gen(function*() {
      const { error, events } = yield* decode([encoder.encode("{\"model\":\"m\",\"message\":{\"content\":\"Hi\"\n")])
      assert.strictEqual(error?._tag, "StreamInterrupted")
      assert.deepStrictEqual(events, [])
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
})

describe("Ollama response (stream: false)", () => {
  it.effect("a tool call answer: arguments as JSON text, usage from the eval counts", () =>
    Effect.gen(function*() {
      const response = yield* Ollama.dialect.decodeResponse(JSON.parse(fixtureText("chat-response-tool-call.json")), context)
      assert.strictEqual(response.model, "llama3.2")
      assert.strictEqual(response.created, 1721680408)
      const choice = response.choices[0]!
      assert.strictEqual(choice.toolCalls.length, 1)
      assert.strictEqual(choice.toolCalls[0]!.name, "get_current_weather")
      assert.deepStrictEqual(JSON.parse(choice.toolCalls[0]!.arguments), { format: "celsius", location: "Paris, FR" })
      assert.strictEqual(choice.finishReason, "tool_calls")
      assert.strictEqual(response.usage?.inputTokens, 122)
      assert.strictEqual(response.usage?.outputTokens, 33)
    }))

  it.effect("thinking and content", () =>
    Effect.gen(function*() {
      const response = yield* Ollama.dialect.decodeResponse(JSON.parse(fixtureText("chat-response-thinking.json")), context)
      assert.strictEqual(response.choices[0]!.content, "There are three r's in strawberry.")
      assert.strictEqual(response.choices[0]!.reasoning, "s-t-r-a-w-b-e-r-r-y: r at 3, 8 and 9.")
      assert.strictEqual(response.choices[0]!.finishReason, "stop")
    }))

  it.effect("an {\"error\"} body is the classified error", () =>
    Effect.gen(function*() {
      const body = { error: "server busy, please try again.  maximum pending requests exceeded" }
      const error = yield* Ollama.dialect.decodeResponse(body, context).pipe(Effect.flip)
      assert.strictEqual(error._tag, "Overloaded")
      assert.strictEqual(error.retryable, true)
    }))
})

describe("Ollama HTTP errors", () => {
  const classify = (status: number, body: string) =>
    ErrorClassifier.classify({ provider: "ollama", status, body }, Ollama.dialect.errorRules)

  it("404 model not found is NotFound", () => {
    const error = classify(404, fixtureText("error-404-model-not-found.json"))
    assert.strictEqual(error._tag, "NotFound")
    assert.include(error.message, "not found, try pulling it first")
  })

  it("a model without tool support is BadRequest", () => {
    const error = classify(400, "{\"error\":\"registry.ollama.ai/library/gemma2:latest does not support tools\"}")
    assert.strictEqual(error._tag, "BadRequest")
  })

  it("a plain-text 503 is Overloaded", () => {
    const error = classify(503, "server busy, please try again.  maximum pending requests exceeded")
    assert.strictEqual(error._tag, "Overloaded")
    assert.strictEqual(error.retryable, true)
  })

  it("a plain-text 500 from a crashed runner is a retryable ServerError", () => {
    const error = classify(500, "llama runner process has terminated: signal: killed")
    assert.strictEqual(error._tag, "ServerError")
    assert.strictEqual(error.retryable, true)
  })
})
