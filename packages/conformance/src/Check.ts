/**
 * Compares what an adapter extracted with what the manifest expects, one named mismatch per field.
 */
import type { ChatResponse, ProviderError, Usage } from "@switchyard/core"
import type { Expected, ExpectedError, ExpectedUsage } from "./Manifest.ts"

/** What an adapter produced for one case. */
export interface Observed {
  readonly response: ChatResponse.ChatResponse
  readonly error: ProviderError.ProviderError | undefined
}

const show = (u: unknown) => JSON.stringify(u)

const parsedEqual = (a: string, b: string): boolean => {
  try {
    return show(JSON.parse(a)) === show(JSON.parse(b))
  } catch {
    return a === b
  }
}

const usageMismatches = (expected: ExpectedUsage, usage: Usage.Usage | undefined): Array<string> => {
  if (usage === undefined) return ["usage: expected a usage report, got none"]
  const observed: Record<keyof ExpectedUsage, number | undefined> = {
    input: usage.inputTokens,
    output: usage.outputTokens,
    cached: usage.cachedInputTokens,
    cache_write: usage.cacheWriteTokens,
    reasoning: usage.reasoningTokens
  }
  return (Object.keys(expected) as Array<keyof ExpectedUsage>).flatMap((key) => {
    const want = expected[key]
    const got = observed[key]
    // `null` means the provider did not report it: the adapter may say nothing or zero.
    if (want === null) return got === undefined || got === 0 ? [] : [`usage.${key}: expected not reported, got ${got}`]
    return got === want ? [] : [`usage.${key}: expected ${want}, got ${got ?? "nothing"}`]
  })
}

const errorMatches = (error: ProviderError.ProviderError, allowed: ReadonlyArray<ExpectedError>) =>
  allowed.some((e) => e.category === error.category && (e.retryable === undefined || e.retryable === error.retryable))

export const errorMismatches = (
  error: ProviderError.ProviderError | undefined,
  expected: ExpectedError,
  alternatives: ReadonlyArray<ExpectedError> = []
): Array<string> => {
  if (error === undefined) return [`error: expected ${expected.category}, got no error`]
  return errorMatches(error, [expected, ...alternatives])
    ? []
    : [`error: expected ${expected.category} (retryable ${expected.retryable}), got ${error.category} (retryable ${error.retryable}): ${error.message}`]
}

/** Mismatches between a stream's or response's result and the expectation. */
export const outputMismatches = (expected: Expected, observed: Observed): Array<string> => {
  const out: Array<string> = []
  const choice0 = observed.response.choices.find((c) => c.index === 0)
  const text = (choice0?.content ?? "")
  if (expected.text != null && text !== expected.text) out.push(`text: expected ${show(expected.text)}, got ${show(text)}`)
  if (expected.texts_by_choice != null) {
    for (const [index, want] of Object.entries(expected.texts_by_choice)) {
      const got = observed.response.choices.find((c) => c.index === Number(index))?.content ?? ""
      if (got !== want) out.push(`choice ${index} text: expected ${show(want)}, got ${show(got)}`)
    }
  }
  if (expected.reasoning_text != null && (choice0?.reasoning ?? "") !== expected.reasoning_text) {
    out.push(`reasoning: expected ${show(expected.reasoning_text)}, got ${show(choice0?.reasoning ?? "")}`)
  }
  if (expected.refusal_text != null && (choice0?.refusal ?? "") !== expected.refusal_text) {
    out.push(`refusal: expected ${show(expected.refusal_text)}, got ${show(choice0?.refusal ?? "")}`)
  }
  if (expected.tool_calls != null) {
    const calls = choice0?.toolCalls ?? []
    if (calls.length !== expected.tool_calls.length) {
      out.push(`tool_calls: expected ${expected.tool_calls.length}, got ${calls.length} ${show(calls)}`)
    } else {
      expected.tool_calls.forEach((want, i) => {
        const got = calls[i]!
        if (want.id != null && got.id !== want.id) out.push(`tool_calls[${i}].id: expected ${want.id}, got ${got.id}`)
        if (got.name !== want.name) out.push(`tool_calls[${i}].name: expected ${want.name}, got ${got.name}`)
        if (!parsedEqual(got.arguments, want.arguments)) {
          out.push(`tool_calls[${i}].arguments: expected ${show(want.arguments)}, got ${show(got.arguments)}`)
        }
      })
    }
  }
  if (expected.finish_reason !== undefined) {
    const raw = choice0?.rawFinishReason ?? null
    if (raw !== expected.finish_reason) out.push(`finish_reason: expected ${show(expected.finish_reason)}, got ${show(raw)}`)
  }
  if (expected.finish_reason_normalized != null && choice0?.finishReason !== expected.finish_reason_normalized) {
    out.push(`finish_reason_normalized: expected ${expected.finish_reason_normalized}, got ${choice0?.finishReason}`)
  }
  if (expected.usage != null) out.push(...usageMismatches(expected.usage, observed.response.usage))
  if (expected.stream_error != null) out.push(...errorMismatches(observed.error, expected.stream_error))
  else if (observed.error !== undefined) out.push(`unexpected error: ${observed.error.category}: ${observed.error.message}`)
  return out
}
