/** Helpers shared by the wire builders: SSE frames and realistic, reproducible ids. */
import type { ChunkInput } from "../Reply.ts"
import type { ResolvedToolCall } from "../Script.ts"

/** One SSE frame as a chunk: optional `event:` line, one `data:` line, blank line. */
export const sseFrame = (
  data: string,
  options: { readonly event?: string; readonly eol?: "\n" | "\r\n"; readonly terminal?: boolean } = {}
): ChunkInput => {
  const eol = options.eol ?? "\n"
  const event = options.event === undefined ? "" : `event: ${options.event}${eol}`
  return { data: `${event}data: ${data}${eol}${eol}`, terminal: options.terminal ?? false }
}

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
export const hex = "0123456789abcdef"

/** A deterministic id of `length` characters derived from `seed` (FNV-1a driven), like `call_4XzlGB...`. */
export const mockId = (seed: string, length: number, alphabet: string = alphanumeric): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0
  let out = ""
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ (i + 0x9e), 0x01000193) >>> 0
    h = (h ^ (h >>> 13)) >>> 0
    out += alphabet[h % alphabet.length]
  }
  return out
}

/** The arguments of a tool call as an object, for providers that send them parsed (Gemini, Ollama, Anthropic JSON). */
export const parseArguments = (call: ResolvedToolCall): unknown => {
  if (call.arguments.trim() === "") return {}
  try {
    return JSON.parse(call.arguments)
  } catch {
    throw new Error(`Script: the arguments of tool call "${call.name}" must be valid JSON for this provider`)
  }
}
