/**
 * Recorded shapes the chat fixtures do not cover: Ollama's other streaming endpoint (`/api/generate`,
 * text in `response`), and `{"error": …}` lines after text has streamed. Sources: fixtures/README.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ErrorClassifier, type ProviderError } from "@switchyard/core"
import { Replay } from "@switchyard/testing"
import { Ollama } from "../src/index.ts"

const context = { provider: "ollama", model: "llama3.2" }
const encoder = new TextEncoder()

const fixture = (name: string): Uint8Array => readFileSync(join(import.meta.dirname, "fixtures", name))
const fixtureText = (name: string): string => new TextDecoder().decode(fixture(name))
const fixtureLines = (name: string): Array<Record<string, unknown>> =>
  fixtureText(name).split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>)

const decode = (chunks: ReadonlyArray<Uint8Array>) => Replay.stream(Ollama.dialect, chunks, context)
const decodeObjects = (objects: ReadonlyArray<unknown>) =>
  decode([encoder.encode(objects.map((o) => JSON.stringify(o) + "\n").join(""))])

/** The `/api/chat` object saying what a `/api/generate` object says. */
const asChat = (line: Record<string, unknown>): Record<string, unknown> => {
  const { response, thinking, ...rest } = line
  return {
    ...rest,
    message: { role: "assistant", content: response ?? "", ...(thinking === undefined ? {} : { thinking }) }
  }
}

const recordedStreams = [
  "generate-stream-text.ndjson",
  "generate-stream-thinking.ndjson",
  "generate-stream-error-eof.ndjson",
  "chat-stream-error-oom.ndjson",
  "chat-stream-error-canceled.ndjson"
]

describe("Ollama /api/generate lines", () => {
  it.effect("a generate stream gives the same events as the equivalent chat stream", () =>
    Effect.gen(function*() {
      for (const name of ["generate-stream-text.ndjson", "generate-stream-thinking.ndjson"]) {
        const generate = yield* decode([fixture(name)])
        const chat = yield* decodeObjects(fixtureLines(name).map(asChat))
        assert.isUndefined(generate.error, name)
        assert.isAbove(generate.events.length, 3, name)
        assert.deepStrictEqual(generate.events, chat.events, name)
      }
    }))

  it.effect("text, finish and usage: as the chat recording of the same answer", () =>
    Effect.gen(function*() {
      const { error, events, response } = yield* decode([fixture("generate-stream-text.ndjson")])
      assert.isUndefined(error)
      assert.deepStrictEqual(events.map((e) => e._tag), [
        "ResponseStart",
        ...Array<"TextDelta">(13).fill("TextDelta"),
        "UsageReport",
        "Finish"
      ])
      const chat = yield* decode([fixture("chat-stream-text.ndjson")])
      const choice = response.choices[0]!
      assert.strictEqual(choice.content, "The sky is blue because of Rayleigh scattering — naïve but true.")
      assert.strictEqual(choice.content, chat.response.choices[0]!.content)
      assert.strictEqual(choice.finishReason, "stop")
      assert.strictEqual(choice.rawFinishReason, "stop")
      assert.deepStrictEqual(response.usage, chat.response.usage)
      assert.deepStrictEqual(response.usage, {
        inputTokens: 26,
        outputTokens: 13,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        source: "provider"
      })
      assert.strictEqual(response.model, "llama3.2")
      assert.strictEqual(response.created, chat.response.created)
    }))

  it.effect("top-level thinking is reasoning, response is text", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decode([fixture("generate-stream-thinking.ndjson")])
      assert.isUndefined(error)
      const choice = response.choices[0]!
      assert.strictEqual(choice.reasoning, "Okay, the user asks 17 × 23. 17×20=340, 17×3=51.")
      assert.strictEqual(choice.content, "17 × 23 = 391.")
      assert.strictEqual(choice.finishReason, "stop")
      assert.strictEqual(response.usage?.inputTokens, 18)
      assert.strictEqual(response.usage?.outputTokens, 62)
    }))

  it.effect("top-level tool_calls (generate's builtin parser) are tool calls", () =>
    Effect.gen(function*() {
      const { error, response } = yield* decodeObjects([
        { model: "qwen3:8b", created_at: "2025-09-20T08:15:30Z", response: "", done: false },
        {
          model: "qwen3:8b",
          created_at: "2025-09-20T08:15:30.9Z",
          response: "",
          done: true,
          done_reason: "stop",
          tool_calls: [{ function: { name: "get_temperature", arguments: { city: "Paris" } } }]
        }
      ])
      assert.isUndefined(error)
      const choice = response.choices[0]!
      assert.deepStrictEqual(choice.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)]), [
        ["get_temperature", { city: "Paris" }]
      ])
      assert.strictEqual(choice.finishReason, "tool_calls")
    }))

  it.effect("non-streamed generate JSON: text, finish and usage", () =>
    Effect.gen(function*() {
      const response = yield* Ollama.dialect.decodeResponse(JSON.parse(fixtureText("generate-response.json")), context)
      assert.strictEqual(response.model, "llama3.2")
      assert.strictEqual(response.created, Math.floor(Date.parse("2024-07-22T20:47:51.147561Z") / 1000))
      const choice = response.choices[0]!
      assert.strictEqual(
        choice.content,
        "The sky is blue because sunlight scatters off air molecules, and blue light scatters the most."
      )
      assert.strictEqual(choice.finishReason, "stop")
      assert.strictEqual(response.usage?.inputTokens, 17)
      assert.strictEqual(response.usage?.outputTokens, 21)
    }))

  it.effect("non-streamed generate JSON with thinking", () =>
    Effect.gen(function*() {
      const response = yield* Ollama.dialect.decodeResponse(
        JSON.parse(fixtureText("generate-response-thinking.json")),
        context
      )
      const chat = yield* Ollama.dialect.decodeResponse(JSON.parse(fixtureText("chat-response-thinking.json")), context)
      assert.strictEqual(response.choices[0]!.content, "There are three r's in strawberry.")
      assert.strictEqual(response.choices[0]!.reasoning, "s-t-r-a-w-b-e-r-r-y: r at 3, 8 and 9.")
      assert.deepStrictEqual(response, chat)
    }))
})

describe("Ollama error lines after text", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly text: string
    readonly tag: ProviderError.ProviderError["_tag"]
    readonly retryable: boolean
    readonly says: string
  }> = [
    {
      name: "generate-stream-error-eof.ndjson",
      text: "Hello! How",
      tag: "ServerError",
      retryable: true,
      says: "unexpected EOF"
    },
    {
      name: "chat-stream-error-oom.ndjson",
      text: "Sure, here",
      tag: "Overloaded",
      retryable: true,
      says: "requires more system memory"
    },
    {
      name: "chat-stream-error-canceled.ndjson",
      text: "1. Boot",
      tag: "ServerError",
      retryable: true,
      says: "context canceled"
    }
  ]

  for (const c of cases) {
    it.effect(`${c.name}: the text so far is delivered, then ${c.tag}`, () =>
      Effect.gen(function*() {
        const { error, events, response } = yield* decode([fixture(c.name)])
        assert.strictEqual(response.choices[0]!.content, c.text)
        assert.strictEqual(events[0]?._tag, "ResponseStart")
        assert.notInclude(events.map((e) => e._tag), "Finish")
        assert.strictEqual(error?._tag, c.tag)
        assert.strictEqual(error?.retryable, c.retryable)
        assert.include(error?.message, c.says)
        assert.isUndefined(error?.status)
      }))
  }

  it.effect("the thinking before a cancel is delivered too", () =>
    Effect.gen(function*() {
      const { response } = yield* decode([fixture("chat-stream-error-canceled.ndjson")])
      assert.strictEqual(response.choices[0]!.reasoning, "Need a test list")
    }))

  const says: ReadonlyArray<readonly [string, ProviderError.Category, boolean]> = [
    ["model requires more system memory (39.4 GiB) than is available (30.0 GiB)", "overloaded", true],
    ["model \"llama9\" not found, try pulling it first", "not_found", false],
    ["model 'llama9' not found", "not_found", false],
    [
      "{\"error\":{\"code\":400,\"message\":\"request (351 tokens) exceeds the available context size (256 tokens), try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":351,\"n_ctx\":256}}",
      "context_overflow",
      false
    ],
    ["the input length exceeds the context length", "context_overflow", false],
    ["POST predict: Post \"http://127.0.0.1:63330/completion\": EOF", "server_error", true],
    ["Post \"http://127.0.0.1:40933/completion\": context deadline exceeded", "timeout", true],
    ["Post \"http://127.0.0.1:40933/completion\": context canceled", "server_error", true],
    ["llama runner process has terminated: signal: killed", "server_error", true]
  ]

  it.effect("an error line is classified by what it says, after the text before it", () =>
    Effect.gen(function*() {
      for (const [message, category, retryable] of says) {
        const { error, response } = yield* decodeObjects([
          { model: "m", created_at: "2025-01-01T00:00:00Z", response: "partial", done: false },
          { error: message }
        ])
        assert.strictEqual(response.choices[0]!.content, "partial", message)
        assert.strictEqual(error?.category, category, message)
        assert.strictEqual(error?.retryable, retryable, message)
      }
    }))

  it("the same messages as HTTP bodies: a 400 context-size body is ContextOverflow, a 500 OOM Overloaded", () => {
    const classify = (status: number, body: string) =>
      ErrorClassifier.classify({ provider: "ollama", status, body }, Ollama.dialect.errorRules)
    const overflow = classify(400, fixtureText("error-400-context-size.json"))
    assert.strictEqual(overflow._tag, "ContextOverflow")
    assert.strictEqual(overflow.retryable, false)
    const oom = classify(500, "{\"error\":\"model requires more system memory (5.3 GiB) than is available (4.4 GiB)\"}")
    assert.strictEqual(oom._tag, "Overloaded")
    assert.strictEqual(oom.retryable, true)
  })
})

describe("recorded fixtures in network chunks", () => {
  it.effect("every recorded fixture gives the same events and error in small fixed chunks", () =>
    Effect.gen(function*() {
      for (const name of recordedStreams) {
        const whole = yield* decode([fixture(name)])
        for (const size of [1, 2, 3, 7, 64]) {
          const pieces = yield* decode(Replay.chunked(fixture(name), size))
          assert.deepStrictEqual(pieces.events, whole.events, `${name} / ${size}`)
          assert.strictEqual(pieces.error?._tag, whole.error?._tag, `${name} / ${size}`)
        }
      }
    }))

  it.effect("and for any split", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...recordedStreams),
          fc.array(fc.nat(), { maxLength: 30 }),
          async (name, cuts) => {
            const whole = await Effect.runPromise(decode([fixture(name)]))
            const pieces = await Effect.runPromise(decode(Replay.split(fixture(name), cuts)))
            assert.deepStrictEqual(pieces.events, whole.events)
            assert.strictEqual(pieces.error?._tag, whole.error?._tag)
            assert.strictEqual(pieces.error?.message, whole.error?.message)
          }
        ),
        { numRuns: 200 }
      )
    ))
})
