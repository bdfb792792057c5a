/**
 * A small YAML writer for plain data (objects, arrays, strings, numbers, booleans, null), because
 * `effect/encoding`'s `Yaml` only parses. Block style throughout; a string is written plain only when
 * YAML cannot read it as anything else, otherwise as a JSON string (a valid YAML double-quoted scalar).
 */

const plain = /^[A-Za-z_$][A-Za-z0-9_$.\/@{}+-]*$/
const reserved = /^(true|false|yes|no|on|off|null|y|n)$/i

const scalar = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : JSON.stringify(String(value))
  if (typeof value === "boolean") return String(value)
  const text = String(value)
  return plain.test(text) && !reserved.test(text) ? text : JSON.stringify(text)
}

const isBlock = (value: unknown): value is object =>
  typeof value === "object" && value !== null && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0)

const empty = (value: unknown): string | undefined =>
  Array.isArray(value) && value.length === 0
    ? "[]"
    : typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
    ? "{}"
    : undefined

const lines = (value: unknown, indent: string): Array<string> => {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isBlock(item)) return [`${indent}- ${empty(item) ?? scalar(item)}`]
      // `- - x` is valid YAML that effect's parser refuses; JSON is YAML's flow style.
      if (Array.isArray(item)) return [`${indent}- ${JSON.stringify(item)}`]
      const [first, ...rest] = lines(item, `${indent}  `)
      return [`${indent}- ${first!.slice(indent.length + 2)}`, ...rest]
    })
  }
  return Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).flatMap(([key, v]) =>
    isBlock(v) ? [`${indent}${scalar(key)}:`, ...lines(v, `${indent}  `)] : [`${indent}${scalar(key)}: ${empty(v) ?? scalar(v)}`]
  )
}

/** The YAML text of a plain object, ending with a newline. */
export const stringify = (document: Readonly<Record<string, unknown>>): string => `${lines(document, "").join("\n")}\n`
