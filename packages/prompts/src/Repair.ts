/**
 * Small, named repairs of common output drift, applied only when an answer fails its contract. Each
 * step either changes something and says what, or leaves the input alone. None invents content: a
 * wrong number of items, a missing field or an unknown enum value is a re-ask, never a guess.
 */
import { type OutputContract, enumAt, synonymKey } from "./OutputContract.ts"

/** What a step did. */
export interface Applied<A> {
  readonly value: A
  readonly note: string
}

/** The first balanced JSON object or array in `text`, parsed, with its start. */
const firstJsonValue = (text: string): { value: unknown; start: number; end: number } | undefined => {
  for (let start = 0; start < text.length; start++) {
    const open = text[start]
    if (open !== "{" && open !== "[") continue
    let depth = 0
    let inString = false
    for (let i = start; i < text.length; i++) {
      const c = text[i]
      if (inString) {
        if (c === "\\") i++
        else if (c === "\"") inString = false
      } else if (c === "\"") inString = true
      else if (c === "{" || c === "[") depth++
      else if (c === "}" || c === "]") {
        depth--
        if (depth === 0) {
          try {
            return { value: JSON.parse(text.slice(start, i + 1)), start, end: i + 1 }
          } catch {
            break
          }
        }
      }
    }
  }
  return undefined
}

/**
 * The answer as JSON. Plain JSON parses as is (no repair); otherwise the JSON inside a markdown
 * fence, or the first balanced object or array in surrounding prose, is taken.
 */
export const parseAnswer = (text: string): { readonly value: unknown; readonly repair: string | undefined } | undefined => {
  try {
    return { value: JSON.parse(text), repair: undefined }
  } catch {
    const fenced = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(text)
    if (fenced !== null) {
      try {
        return { value: JSON.parse(fenced[1]!), repair: "extractJson: took the JSON out of a markdown fence" }
      } catch {
        // fall through to the prose scan
      }
    }
    const found = firstJsonValue(text)
    return found === undefined
      ? undefined
      : { value: found.value, repair: "extractJson: took the JSON out of the surrounding prose" }
  }
}

const normalize = (s: string) => s.trim().toLowerCase()

/**
 * Enum values written as a declared synonym or translation (`critical` → `high`, `高` → `high`),
 * or in another letter case, become the canonical value. Only at enum positions of the contract.
 */
export const mapEnumSynonyms = (value: unknown, contract: OutputContract): Applied<unknown> | undefined => {
  const changes: Array<string> = []
  const walk = (node: unknown, path: ReadonlyArray<string | number>): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]))
    if (typeof node === "object" && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]))
    }
    if (typeof node !== "string") return node
    const allowed = enumAt(contract, path)
    if (allowed === undefined || allowed.includes(node)) return node
    const declared = contract.synonyms[synonymKey(path)] ?? {}
    const match = allowed.find((a) =>
      typeof a === "string" &&
      (normalize(a) === normalize(node) || (declared[a] ?? []).some((variant) => normalize(variant) === normalize(node)))
    )
    if (match === undefined) return node
    changes.push(`${synonymKey(path)}: ${JSON.stringify(node)} → ${JSON.stringify(match)}`)
    return match
  }
  const repaired = walk(value, [])
  return changes.length === 0 ? undefined : { value: repaired, note: `mapEnumSynonyms: ${changes.join("; ")}` }
}

/**
 * `{"result": {...}}` where the contract wants the inner value: unwrapped only when the wrapper has a
 * single key that the contract does not know, and the inner value then passes.
 */
export const unwrapSingleKey = (value: unknown, contract: OutputContract): Applied<unknown> | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const keys = Object.keys(value)
  if (keys.length !== 1) return undefined
  const known = (contract.jsonSchema["properties"] ?? {}) as Record<string, unknown>
  if (keys[0]! in known) return undefined
  const inner = (value as Record<string, unknown>)[keys[0]!]
  return contract.validate(inner).length === 0 ? { value: inner, note: `unwrapSingleKey: took the value under "${keys[0]}"` } : undefined
}

/** The steps after parsing, in order. */
export const steps: ReadonlyArray<(value: unknown, contract: OutputContract) => Applied<unknown> | undefined> = [
  unwrapSingleKey,
  mapEnumSynonyms
]
