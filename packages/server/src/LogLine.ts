/**
 * The gateway's log lines: Effect's structured log entry (`Logger.formatStructured`) as one line of
 * JSON, exactly as `Formatter.formatJson` writes it (what `Logger.formatJson` does), at a fraction of
 * its cost for what the gateway logs. `formatJson` inspects every value it writes (redactable
 * values, getters, cycles, errors, bigints) through a replacer, about 15 µs for a request's log line;
 * an entry of plain data (strings, numbers, booleans, null, arrays and plain objects, no getters, no
 * `toJSON`, not too deep) is written the same by `JSON.stringify` alone, and anything else still goes
 * to `formatJson`.
 */
import { Formatter, Logger, Redactable } from "effect"

/** Deeper than this, an entry goes to `formatJson` (which also stops cycles). */
const MAX_DEPTH = 32

/** Whether `JSON.stringify` writes `value` as `Formatter.formatJson` does. */
const isPlain = (value: unknown, depth: number): boolean => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return true
    case "object": {
      if (value === null) return true
      if (depth >= MAX_DEPTH) return false
      const prototype = Object.getPrototypeOf(value)
      if (prototype === Array.prototype) {
        const array = value as ReadonlyArray<unknown>
        for (let i = 0; i < array.length; i++) {
          if (!isPlain(array[i], depth + 1)) return false
        }
        return Object.keys(array).length === array.length
      }
      if ((prototype !== Object.prototype && prototype !== null) || Redactable.symbolRedactable in value) return false
      for (const key of Object.keys(value)) {
        const property = Object.getOwnPropertyDescriptor(value, key)!
        if (property.get !== undefined || key === "toJSON" || !isPlain(property.value, depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

/** `entry` as `Formatter.formatJson` writes it. */
export const json = (entry: unknown): string =>
  isPlain(entry, 0) ? (JSON.stringify(entry) ?? "null") : Formatter.formatJson(entry)

/** `Logger.formatJson`, through `json`. */
export const formatJson = Logger.map(Logger.formatStructured, json)
