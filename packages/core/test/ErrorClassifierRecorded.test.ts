/**
 * Error bodies recorded from real providers (see fixtures/errors/README.md), classified by the shared
 * classifier alone, without any provider's rules: billing stops are never retried, rate limits are
 * whatever their type says, and a bad key is `auth` whatever the status.
 */
import { assert, describe, it } from "@effect/vitest"
import { ErrorClassifier } from "@switchyard/core"
import { readdirSync, readFileSync } from "node:fs"

interface Recorded {
  readonly source: string
  /** `null`: an error event inside a stream, no status of its own. */
  readonly status: number | null
  readonly headers: Record<string, string>
  readonly body: string
  readonly expected: { readonly category: string; readonly retryable: boolean }
}

const dir = new URL("./fixtures/errors/", import.meta.url)
const recorded = readdirSync(dir)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => [name, JSON.parse(readFileSync(new URL(name, dir), "utf8")) as Recorded] as const)

const classify = (status: number | undefined, body: string, headers: Record<string, string> = {}) =>
  ErrorClassifier.classify({ provider: "p", status, headers, body })

describe("ErrorClassifier.classify on recorded provider errors", () => {
  it("has recordings of all three hard cases", () => {
    const categories = new Set(recorded.map(([, r]) => r.expected.category))
    for (const category of ["quota_exceeded", "rate_limited", "auth"]) assert.isTrue(categories.has(category), category)
    assert.isAtLeast(recorded.length, 10)
  })

  for (const [name, r] of recorded) {
    it(`${name}: ${r.expected.category}`, () => {
      assert.match(r.source, /^https:\/\/|#\d+/, "every recording names its source")
      const error = classify(r.status ?? undefined, r.body, r.headers)
      assert.strictEqual(error.category, r.expected.category)
      assert.strictEqual(error.retryable, r.expected.retryable)
    })
  }
})

describe("ErrorClassifier.classify keeps genuine rate limits and bad requests", () => {
  it("a 429 that offers credits for a higher daily limit is still a rate limit", () => {
    // OpenRouter's free-model daily limit (message quoted in cline/cline#5301), in OpenRouter's
    // documented error shape {"error": {"code", "message", "metadata"}}.
    const body = JSON.stringify({
      error: { message: "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day", code: 429 }
    })
    const error = classify(429, body)
    assert.strictEqual(error.category, "rate_limited")
    assert.strictEqual(error.retryable, true)
  })

  it("Gemini's per-minute \"exceeded your current quota\" with a RetryInfo delay is a rate limit, not a billing stop", () => {
    // Per-minute free-tier limit (limit: 20), as quoted in ogkalu2/comic-translate#403.
    const body = JSON.stringify({
      error: {
        code: 429,
        message: "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 20, model: gemini-2.5-flash\nPlease retry in 58.821668433s.",
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "58s" }]
      }
    })
    const error = classify(429, body)
    assert.strictEqual(error.category, "rate_limited")
    assert.strictEqual(error.retryable, true)
  })

  it("a genuine 400 stays a bad request, even when its text says \"+\" or \"%\"", () => {
    // vLLM's OpenAI-compatible 400 (QwenLM/Qwen3#241).
    const body = JSON.stringify({
      object: "error",
      message: "max_tokens must be at least 1, got -2815.",
      type: "BadRequestError",
      param: null,
      code: 400
    })
    assert.strictEqual(classify(400, body).category, "bad_request")
    const encoded = JSON.stringify({ error: { message: "temperature+top_p: 100% is out of range", type: "invalid_request_error" } })
    assert.strictEqual(classify(400, encoded).category, "bad_request")
  })
})
