/**
 * JSON serializers in the byte styles the providers really use. Clients must not depend on
 * formatting, so mock bodies deliberately differ in it the way real ones do.
 */

const serialize = (value: unknown, itemSeparator: string, keySeparator: string): string => {
  if (Array.isArray(value)) {
    return "[" + value.map((item) => serialize(item, itemSeparator, keySeparator)).join(itemSeparator) + "]"
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    return "{" +
      entries.map(([k, v]) => JSON.stringify(k) + keySeparator + serialize(v, itemSeparator, keySeparator))
        .join(itemSeparator) +
      "}"
  }
  return JSON.stringify(value) ?? "null"
}

/** `{"a":1,"b":2}`: OpenAI and Anthropic stream chunks, Ollama lines. */
export const compact = (value: unknown): string => JSON.stringify(value)

/** `{"a": 1, "b": 2}`: Python's default separators (OpenAI and Anthropic error bodies, Anthropic's ping). */
export const spaced = (value: unknown): string => serialize(value, ", ", ": ")

/** `{"a": 1,"b": 2}`: Google's one-line style in Gemini SSE chunks. */
export const google = (value: unknown): string => serialize(value, ",", ": ")

/** Two-space indentation and a final newline: Google's non-streamed bodies and errors. */
export const pretty = (value: unknown): string => JSON.stringify(value, null, 2) + "\n"
