/**
 * What differs between the model families the Gemini API serves, told apart by model id:
 *
 * - Gemini 1.x / 2.x take a thinking token budget (`thinkingBudget`, 0 turns thinking off) and accept
 *   replayed function calls without thought signatures.
 * - Gemini 3 and later (and aliases such as `gemini-flash-latest`) take a thinking level
 *   (`thinkingLevel`: minimal, low, medium, high; `thinkingBudget` is only kept for compatibility) and
 *   reject a replayed function call that lacks its thought signature.
 * - Gemma 4 takes the levels `minimal` and `high` only.
 *
 * https://ai.google.dev/gemini-api/docs/thinking and https://ai.google.dev/gemini-api/docs/thought-signatures
 */
import type { ChatRequest } from "@switchyard/core"

type Family = "budget" | "level" | "gemma"

type Effort = NonNullable<ChatRequest.ChatRequest["reasoning_effort"]>

const familyOf = (model: string): Family => {
  const id = model.toLowerCase().replace(/^models\//, "")
  if (id.startsWith("gemma")) return "gemma"
  return /^gemini-[12][.-]/.test(id) ? "budget" : "level"
}

/** Budgets for the efforts on budget models; `none` turns thinking off. */
const budgets: Readonly<Record<Effort, number>> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768
}

/** Levels for the efforts: `high` is the deepest Google offers, `minimal` the closest to no thinking. */
const levels: Readonly<Record<Exclude<Family, "budget">, Readonly<Record<Effort, string>>>> = {
  level: { none: "minimal", minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "high" },
  gemma: { none: "minimal", minimal: "minimal", low: "minimal", medium: "high", high: "high", xhigh: "high" }
}

/** `generationConfig.thinkingConfig` for a reasoning effort; thoughts are returned unless thinking is off. */
export const thinkingConfig = (model: string, effort: Effort): Record<string, unknown> => {
  const family = familyOf(model)
  if (family === "budget") {
    const budget = budgets[effort]
    return { thinkingBudget: budget, includeThoughts: budget > 0 }
  }
  return { thinkingLevel: levels[family][effort], includeThoughts: effort !== "none" }
}

/**
 * The value Google documents for function calls that carry no signature of their own (calls made
 * elsewhere, or whose signature the client could not keep): it skips the validation.
 */
export const skipSignature = "skip_thought_signature_validator"

/** Whether replayed function calls need a thought signature for this model. */
export const validatesSignatures = (model: string): boolean => familyOf(model) === "level"
