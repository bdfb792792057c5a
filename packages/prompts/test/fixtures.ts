/**
 * The worked example of docs/portability.md: a code-review prompt whose contract asks for exactly
 * three issues with a severity enum, and mock routes that each drift the way real models do.
 */
import { Effect } from "effect"
import { type ChatRequest, type ChatResponse, ProviderError } from "@switchyard/core"
import type { Conform } from "@switchyard/prompts"
import { OutputContract } from "@switchyard/prompts"

export const review = OutputContract.fromJsonSchema(
  "code_review",
  {
    type: "object",
    properties: {
      issues: {
        type: "array",
        minItems: 3,
        maxItems: 3,
        items: {
          type: "object",
          properties: {
            line: { type: "integer" },
            severity: { enum: ["low", "medium", "high"] },
            comment: { type: "string" }
          },
          required: ["line", "severity", "comment"]
        }
      }
    },
    required: ["issues"],
    additionalProperties: false
  },
  { synonyms: { "issues[].severity": { high: ["critical", "severe", "高", "严重"], medium: ["moderate", "中"], low: ["minor", "低"] } } }
)

export const request: ChatRequest.ChatRequest = {
  model: "review",
  messages: [
    { role: "system", content: "You are a strict code reviewer. Report exactly three issues." },
    { role: "user", content: "Review:\nfunction add(a, b) { return a - b }" }
  ]
}

const issue = (line: number, severity: string) => ({ line, severity, comment: `problem on line ${line}` })
export const good = JSON.stringify({ issues: [issue(1, "high"), issue(1, "medium"), issue(1, "low")] })

/** What each mock route answers, call after call (the last answer repeats). */
export const drifts: Readonly<Record<string, ReadonlyArray<string>>> = {
  "clean/model": [good],
  "fenced/model": ["```json\n" + good + "\n```"],
  "chatty/model": [`Sure! Here is my review:\n${good}\nLet me know if you need more.`],
  "dramatic/model": [JSON.stringify({ issues: [issue(1, "critical"), issue(1, "medium"), issue(1, "low")] })],
  "chinese/model": [JSON.stringify({ issues: [issue(1, "高"), issue(1, "中"), issue(1, "低")] })],
  "counting/model": [JSON.stringify({ issues: [issue(1, "high"), issue(1, "high"), issue(1, "low"), issue(1, "low")] }), good],
  "stubborn/model": [JSON.stringify({ issues: [issue(1, "high"), issue(1, "high"), issue(1, "low"), issue(1, "low")] })],
  "deaf/model": ["The code subtracts instead of adding. You should fix it."]
}

const response = (text: string): ChatResponse.ChatResponse => ({
  id: "r",
  model: "m",
  created: 0,
  choices: [{ index: 0, content: text, toolCalls: [], finishReason: "stop", rawFinishReason: "stop" }],
  usage: { inputTokens: 100, outputTokens: 50, cachedInputTokens: 0, cacheWriteTokens: 0, source: "provider" }
})

/** A `Call` over the drifting mocks; it records every request it was sent. */
export const mockCall = () => {
  const sent: Array<{ route: string; request: ChatRequest.ChatRequest }> = []
  const counts = new Map<string, number>()
  const call: Conform.Call = (route, req) =>
    Effect.suspend(() => {
      sent.push({ route, request: req })
      const answers = drifts[route]
      if (answers === undefined) return Effect.fail(new ProviderError.NotFound({ provider: route, message: `${route}: no such model`, status: 404 }))
      const n = counts.get(route) ?? 0
      counts.set(route, n + 1)
      return Effect.succeed(response(answers[Math.min(n, answers.length - 1)]!))
    })
  return { call, sent }
}
