/** Route patterns for the mock upstream: `"POST /v1/messages"`, `"POST /v1beta/models/*"`, `"/health"`. */

export interface Pattern {
  /** Upper-case method, or undefined for any method. */
  readonly method: string | undefined
  readonly path: string
  /** A trailing `*` matches any rest of the path. */
  readonly prefix: boolean
}

export const parse = (route: string): Pattern => {
  const trimmed = route.trim()
  const space = trimmed.indexOf(" ")
  const method = space === -1 ? undefined : trimmed.slice(0, space).toUpperCase()
  const path = space === -1 ? trimmed : trimmed.slice(space + 1).trim()
  return path.endsWith("*")
    ? { method: method === "*" ? undefined : method, path: path.slice(0, -1), prefix: true }
    : { method: method === "*" ? undefined : method, path, prefix: false }
}

export const matches = (pattern: Pattern, method: string, path: string): boolean =>
  (pattern.method === undefined || pattern.method === method) &&
  (pattern.prefix ? path.startsWith(pattern.path) : path === pattern.path)

/** Higher is more specific: exact paths beat prefixes, longer prefixes beat shorter, a method beats none. */
export const specificity = (pattern: Pattern): number =>
  (pattern.prefix ? 0 : 1_000_000) + pattern.path.length * 2 + (pattern.method === undefined ? 0 : 1)
