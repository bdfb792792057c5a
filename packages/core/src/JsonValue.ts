/**
 * Lenient readers for provider JSON. Hosts add, rename and null fields freely, so adapters read values
 * by shape (an object, an array, a string, a finite number) instead of failing on the first surprise.
 */

export type JsonObject = Record<string, unknown>

/** The value as an object, or `undefined` (arrays and `null` are not objects here). */
export const record = (u: unknown): JsonObject | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as JsonObject) : undefined

/** The value as an array; anything else is empty. */
export const array = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

export const string = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

export const number = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)
