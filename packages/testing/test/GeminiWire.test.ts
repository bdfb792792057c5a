import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Fault, GeminiWire } from "@switchyard/testing"
import { request, sseJson, textOf } from "./helpers.ts"

const script = {
  reasoning: ["Considering"],
  text: ["1\n2", "\n3"],
  toolCalls: [{ name: "get_country", arguments: ['{"code":', '"FR"}'] }],
  usage: { inputTokens: 29, outputTokens: 212, cachedInputTokens: 8, reasoningTokens: 202 }
}

describe("GeminiWire", () => {
  it.effect("streams data frames ended by CRLF pairs, Google's spacing, and no terminal marker", () =>
    Effect.gen(function*() {
      const reply = GeminiWire.stream(script)
      const text = textOf(reply)
      assert.match(text, /^data: \{"candidates": \[\{"content": \{"parts": \[/)
      assert.isTrue(text.endsWith("}\r\n\r\n"))
      assert.notMatch(text, /[^\r]\n/)
      const events = yield* sseJson(reply)
      assert.isTrue(events.every((e) => typeof e.data === "object"))
      assert.isFalse(text.includes("[DONE]"))
    }))

  it.effect("sends thoughts, text pieces and a whole function call; the last chunk finishes with usage", () =>
    Effect.gen(function*() {
      const chunks = (yield* sseJson(GeminiWire.stream(script))).map((e) => e.data)
      const parts = chunks.flatMap((c: any) => c.candidates[0].content.parts)
      assert.strictEqual(parts.filter((p: any) => p.thought === true).map((p: any) => p.text).join(""), "Considering")
      assert.strictEqual(parts.filter((p: any) => p.text !== undefined && p.thought !== true).map((p: any) => p.text).join(""), "1\n2\n3")
      assert.deepStrictEqual(parts.find((p: any) => p.functionCall).functionCall, { name: "get_country", args: { code: "FR" } })
      assert.isTrue(chunks.slice(0, -1).every((c: any) => c.candidates[0].finishReason === undefined))
      const last = chunks.at(-1)
      assert.strictEqual(last.candidates[0].finishReason, "STOP")
      assert.deepInclude(last.usageMetadata, {
        promptTokenCount: 29,
        candidatesTokenCount: 10,
        thoughtsTokenCount: 202,
        totalTokenCount: 241,
        cachedContentTokenCount: 8
      })
      assert.isTrue(chunks.every((c: any) => c.responseId === chunks[0].responseId && c.modelVersion === "gemini-2.5-flash"))
    }))

  it.effect("dropTerminal removes the finishing chunk (GeminiWire has no other end marker)", () =>
    Effect.gen(function*() {
      const chunks = (yield* sseJson(GeminiWire.stream({ text: ["a", "b"] }).pipe(Fault.dropTerminal))).map((e) => e.data)
      assert.strictEqual(chunks.length, 1)
      assert.isUndefined(chunks[0].candidates[0].finishReason)
    }))

  it("answers indented JSON with one part per kind and maps finish reasons", () => {
    const body = JSON.parse(textOf(GeminiWire.json(script)))
    assert.deepStrictEqual(body.candidates[0].content.parts, [
      { text: "Considering", thought: true },
      { text: "1\n2\n3" },
      { functionCall: { name: "get_country", args: { code: "FR" } } }
    ])
    assert.strictEqual(body.candidates[0].content.role, "model")
    assert.match(textOf(GeminiWire.json({ text: ["x"] })), /^\{\n {2}"candidates": \[/)
    const finishOf = (finishReason: "length" | "content_filter") =>
      JSON.parse(textOf(GeminiWire.json({ text: ["x"], finishReason }))).candidates[0].finishReason
    assert.strictEqual(finishOf("length"), "MAX_TOKENS")
    assert.strictEqual(finishOf("content_filter"), "SAFETY")
  })

  it("builds Google error bodies with code, message, status and a RetryInfo detail", () => {
    const reply = GeminiWire.error(429, { retryDelay: "37s" })
    assert.strictEqual(reply.status, 429)
    assert.deepStrictEqual(JSON.parse(textOf(reply)).error.details, [
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }
    ])
    assert.strictEqual(JSON.parse(textOf(reply)).error.status, "RESOURCE_EXHAUSTED")
    assert.deepInclude(JSON.parse(textOf(GeminiWire.error(404))).error, { code: 404, status: "NOT_FOUND" })
    assert.notProperty(JSON.parse(textOf(GeminiWire.error(503))).error, "details")
  })

  it("answer picks SSE, a JSON array or JSON from the path and alt, and takes the model from the path", () => {
    const answer = GeminiWire.answer({ text: ["ok"] })
    const path = (method: string) => `/v1beta/models/gemini-2.5-pro:${method}`
    const sse = answer(request({ path: path("streamGenerateContent"), query: { alt: "sse" } }))
    assert.strictEqual(sse.framing, "sse")
    assert.include(textOf(sse), '"modelVersion": "gemini-2.5-pro"')
    const array = JSON.parse(textOf(answer(request({ path: path("streamGenerateContent") }))))
    assert.isTrue(Array.isArray(array))
    assert.strictEqual(array[0].candidates[0].content.parts[0].text, "ok")
    const whole = JSON.parse(textOf(answer(request({ path: path("generateContent") }))))
    assert.strictEqual(whole.modelVersion, "gemini-2.5-pro")
    assert.strictEqual(GeminiWire.modelOf("/v1beta/models/gemini-2.5-flash:generateContent"), "gemini-2.5-flash")
  })
})
