/**
 * Error normalization of the OpenAI-compatible family from the bodies hosts and the proxies in front
 * of them really send (fixtures/errors, sources in fixtures/README.md): category and `retryable` per
 * case, through the same classifier and host rules the adapter uses.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { readFileSync } from "node:fs"
import { ErrorClassifier } from "@switchyard/core"
import { Hosts, OpenAiChat } from "@switchyard/provider-openai"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/errors/${name}`, import.meta.url), "utf8")

const classify = (host: string, status: number, file: string, headers: Record<string, string> = {}) =>
  ErrorClassifier.classify(
    { provider: host, status, headers, body: fixture(file), secrets: [] },
    OpenAiChat.dialect(Hosts.resolve(host)).errorRules
  )

const cases: ReadonlyArray<readonly [string, number, string, string, boolean]> = [
  ["openai", 429, "openai-429-rate-limit.json", "rate_limited", true],
  ["openai", 401, "openai-401-invalid-key.json", "auth", false],
  ["openai", 400, "openai-400-context-length.json", "context_overflow", false],
  ["openai", 503, "openai-503-slow-down.json", "rate_limited", true],
  ["openai", 400, "openai-400-invalid-prompt.json", "content_filter", false],
  ["moonshot", 429, "moonshot-429-engine-overloaded.json", "overloaded", true],
  ["moonshot", 429, "moonshot-429-exceeded-quota.json", "quota_exceeded", false],
  ["deepseek", 402, "deepseek-402-insufficient-balance.json", "quota_exceeded", false],
  ["xai", 400, "xai-400-invalid-key.json", "auth", false],
  ["vllm", 400, "vllm-400-context.json", "context_overflow", false],
  ["openrouter", 504, "nginx-504.html", "timeout", true],
  ["together", 502, "cloudflare-502.html", "server_error", true],
  ["vllm", 504, "envoy-504.txt", "timeout", true],
  ["groq", 429, "text-429.txt", "rate_limited", true]
]

describe("OpenAI-compatible error normalization", () => {
  for (const [host, status, file, category, retryable] of cases) {
    it(`${host} ${status} ${file} → ${category}`, () => {
      const error = classify(host, status, file)
      assert.strictEqual(error.category, category)
      assert.strictEqual(error.retryable, retryable)
      assert.strictEqual(error.status, status)
      assert.notInclude(error.message, "<html", "an HTML page never becomes the message")
    })
  }

  it("takes the wait from OpenAI's reset header and the message when there is no Retry-After", () => {
    const error = classify("openai", 429, "openai-429-rate-limit.json", { "x-ratelimit-reset-tokens": "210ms" })
    assert.strictEqual(Duration.toMillis(error.retryAfter!), 210)
  })

  it("says what a proxy page said, not its markup", () => {
    const error = classify("together", 502, "cloudflare-502.html")
    assert.include(error.message, "502")
    assert.notInclude(error.message, "<")
  })
})
