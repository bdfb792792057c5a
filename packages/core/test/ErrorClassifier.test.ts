import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { ErrorClassifier, Redact } from "@switchyard/core"

const classify = (status: number | undefined, body: string, headers: Record<string, string> = {}) =>
  ErrorClassifier.classify({ provider: "p", status, headers, body })

const seconds = (d: Duration.Duration | undefined) => (d === undefined ? undefined : Duration.toMillis(d) / 1000)

describe("ErrorClassifier.classify", () => {
  it("prefers the provider's code over the status: a 429 insufficient_quota is not retryable", () => {
    // Body shape: OpenAI API reference, "Error codes" (429 "You exceeded your current quota").
    const error = classify(429, JSON.stringify({
      error: { message: "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", param: null, code: "insufficient_quota" }
    }))
    assert.strictEqual(error.category, "quota_exceeded")
    assert.strictEqual(error.retryable, false)
    assert.strictEqual(error.providerCode, "insufficient_quota")
  })

  it("reads what the message says when the status misleads: a 503 that is a rate limit", () => {
    const error = classify(503, JSON.stringify({ error: { message: "Rate limit reached for requests. Please try again in 20s." } }))
    assert.strictEqual(error.category, "rate_limited")
    assert.strictEqual(seconds(error.retryAfter), 20)
  })

  it("refines a weak code with the message: a too-long prompt is a context overflow", () => {
    // Anthropic API reference, "Errors": invalid_request_error with "prompt is too long".
    const error = classify(400, JSON.stringify({
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 212345 tokens > 200000 maximum" }
    }))
    assert.strictEqual(error.category, "context_overflow")
    assert.strictEqual(error.retryable, false)
  })

  it("reads Google's array-wrapped errors and their RetryInfo delay", () => {
    // Gemini API troubleshooting guide: 429 RESOURCE_EXHAUSTED with google.rpc.RetryInfo.
    const error = classify(429, JSON.stringify([{
      error: {
        code: 429,
        message: "Resource has been exhausted (e.g. check quota).",
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "34s" }]
      }
    }]))
    assert.strictEqual(error.category, "rate_limited")
    assert.strictEqual(seconds(error.retryAfter), 34)
  })

  it("keeps the title of an HTML error page and classifies by status", () => {
    // nginx's built-in error page (ngx_http_special_response.c), as proxies in front of APIs send it.
    const html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    const error = classify(502, html)
    assert.strictEqual(error.category, "server_error")
    assert.strictEqual(error.retryable, true)
    assert.include(error.message, "502 Bad Gateway")
    assert.notInclude(error.message, "<html>")
  })

  it("classifies plain text bodies", () => {
    // Envoy's local reply text, seen in front of many hosted APIs.
    const error = classify(503, "upstream connect error or disconnect/reset before headers. reset reason: overflow")
    assert.strictEqual(error.category, "overloaded")
    assert.strictEqual(error.retryable, true)
  })

  it("parses JSON whatever the framing: SSE-framed error bodies", () => {
    const error = classify(404, "data: {\"error\": {\"code\": 404, \"message\": \"models/x is not found\", \"status\": \"NOT_FOUND\"}}\n\n")
    assert.strictEqual(error.category, "not_found")
  })

  it("falls back on the status for an empty body", () => {
    assert.strictEqual(classify(401, "").category, "auth")
    assert.strictEqual(classify(429, "").category, "rate_limited")
    assert.strictEqual(classify(504, "").category, "timeout")
    assert.strictEqual(classify(529, "").category, "overloaded")
    assert.strictEqual(classify(418, "").category, "bad_request")
    assert.strictEqual(classify(undefined, "").category, "unknown")
  })

  it("lets a provider's rules override the defaults", () => {
    const body = JSON.stringify({ error: { type: "engine_overloaded_error", message: "The engine is currently overloaded" } })
    const error = ErrorClassifier.classify({ provider: "moonshot", status: 429, body }, { codes: { engine_overloaded_error: "overloaded" } })
    assert.strictEqual(error.category, "overloaded")
  })

  it("redacts secrets from the kept body and the message", () => {
    const body = JSON.stringify({ error: { message: "Incorrect API key provided: sk-proj-abcdef1234567890XYZ. Check key=AIzaSyA1234567890abcdefghij" } })
    const error = ErrorClassifier.classify({ provider: "p", status: 401, body, secrets: ["my-configured-secret"] })
    assert.strictEqual(error.category, "auth")
    assert.notInclude(error.body ?? "", "sk-proj-abcdef1234567890XYZ")
    assert.notInclude(error.message, "sk-proj-abcdef1234567890XYZ")
    assert.notInclude(error.body ?? "", "AIzaSyA1234567890abcdefghij")
    assert.include(error.body ?? "", "[REDACTED]")
  })
})

describe("ErrorClassifier.retryAfterFromHeaders", () => {
  it("reads retry-after-ms, retry-after seconds and dates, and OpenAI reset durations", () => {
    assert.strictEqual(seconds(ErrorClassifier.retryAfterFromHeaders({ "retry-after-ms": "1500" })), 1.5)
    assert.strictEqual(seconds(ErrorClassifier.retryAfterFromHeaders({ "retry-after": "7" })), 7)
    const now = Date.parse("2026-11-24T12:00:00Z")
    assert.strictEqual(seconds(ErrorClassifier.retryAfterFromHeaders({ "retry-after": "Tue, 24 Nov 2026 12:00:30 GMT" }, now)), 30)
    assert.strictEqual(seconds(ErrorClassifier.retryAfterFromHeaders({ "x-ratelimit-reset-requests": "6m0s" })), 360)
    assert.strictEqual(seconds(ErrorClassifier.retryAfterFromHeaders({ "x-ratelimit-reset-tokens": "20ms" })), 0.02)
    assert.strictEqual(ErrorClassifier.retryAfterFromHeaders({ "retry-after": "soon" }), undefined)
  })
})

describe("Redact.redact", () => {
  it("masks credential shapes and named secrets, and leaves ordinary text alone", () => {
    assert.strictEqual(Redact.redact("Authorization: Bearer abc.def-ghi_jkl"), "Authorization: Bearer [REDACTED]")
    assert.strictEqual(Redact.redact("key sk-ant-api03-xyzxyzxyz1"), "key [REDACTED]")
    assert.strictEqual(Redact.redact("https://x/v1?key=secret123&alt=sse"), "https://x/v1?key=[REDACTED]&alt=sse")
    assert.strictEqual(Redact.redact("token hunter2hunter2 here", ["hunter2hunter2"]), "token [REDACTED] here")
    assert.strictEqual(Redact.redact("The model `gpt-5` does not exist"), "The model `gpt-5` does not exist")
  })
})
