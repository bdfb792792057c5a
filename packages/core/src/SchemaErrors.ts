/**
 * Turns a `SchemaError` into what a person can act on: which field (`messages[1].role`) and what was
 * expected. Used for bad requests (OpenAI error `param`) and bad config files.
 */
import type { Schema } from "effect"
import { SchemaIssue } from "effect"

export interface Problem {
  /** The field path in dotted/indexed form, e.g. `messages[1].role`; empty for the root. */
  readonly path: string
  readonly message: string
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const pathText = (path: ReadonlyArray<unknown>): string =>
  path
    .map((segment) => {
      const key = typeof segment === "object" && segment !== null && "key" in segment ? segment.key : segment
      return typeof key === "number" ? `[${key}]` : `.${String(key)}`
    })
    .join("")
    .replace(/^\./, "")

/** Every problem the error reports, duplicates removed, in order. */
export const problems = (error: Schema.SchemaError): ReadonlyArray<Problem> => {
  const seen = new Set<string>()
  const out: Array<Problem> = []
  for (const issue of formatter(error.issue).issues) {
    const problem = { path: pathText(issue.path ?? []), message: issue.message }
    const key = `${problem.path}\u0000${problem.message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(problem)
    }
  }
  return out
}

/** One line per problem: `messages[1].role: Expected "user" | ...`. */
export const describe = (error: Schema.SchemaError): string =>
  problems(error).map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; ")
