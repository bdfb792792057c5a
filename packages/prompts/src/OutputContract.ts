/**
 * An output contract: what a model's answer must be. Built from an Effect Schema (library use) or
 * from a JSON Schema (what `response_format` carries over HTTP; the common subset: object, array,
 * string, number, integer, boolean, null, enum, const, required, properties, items, minItems,
 * maxItems, additionalProperties: false). It may declare synonyms and translations for enum
 * values, which the `mapEnumSynonyms` repair uses; it never guesses them.
 */
import { Result, Schema } from "effect"
import { SchemaErrors } from "@switchyard/core"

/** One way an answer breaks the contract: where (`issues[3].severity`, empty for the root) and what. */
export interface Violation {
  readonly path: string
  readonly message: string
}

/** Enum positions (a path with `[]` for any array index) → canonical value → accepted variants. */
export type Synonyms = Readonly<Record<string, Readonly<Record<string, ReadonlyArray<string>>>>>

export interface OutputContract {
  readonly name: string
  /** The JSON Schema sent to providers with native structured output. */
  readonly jsonSchema: Record<string, unknown>
  readonly validate: (value: unknown) => ReadonlyArray<Violation>
  readonly synonyms: Synonyms
}

type JsonSchema = Readonly<Record<string, unknown>>

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value

const matchesType = (type: string, value: unknown): boolean =>
  type === "number" ? typeof value === "number" : type === "integer" ? Number.isInteger(value) : typeOf(value) === type

const join = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`

/** A keyword's value when it has the expected shape; a client's schema may hold anything. */
const arrayAt = (schema: JsonSchema, keyword: string): ReadonlyArray<unknown> | undefined =>
  Array.isArray(schema[keyword]) ? schema[keyword] : undefined
const schemaAt = (schema: JsonSchema, keyword: string): JsonSchema | undefined => {
  const value = schema[keyword]
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as JsonSchema : undefined
}
const numberAt = (schema: JsonSchema, keyword: string): number | undefined =>
  typeof schema[keyword] === "number" ? schema[keyword] : undefined

/**
 * The violations of `value` against a JSON Schema (the subset above), with paths. Keywords of the
 * wrong shape are ignored, as a schema given by a client may hold anything.
 */
export const checkJsonSchema = (schema: JsonSchema, value: unknown, path = ""): Array<Violation> => {
  const out: Array<Violation> = []
  const type = schema["type"]
  const types = typeof type === "string" ? [type] : (arrayAt(schema, "type") ?? []).filter((t) => typeof t === "string")
  if (types.length > 0 && !types.some((t) => matchesType(t, value))) {
    return [{ path, message: `expected ${types.join(" or ")}, got ${typeOf(value)}` }]
  }
  const allowed = arrayAt(schema, "enum")
  if (allowed !== undefined && !allowed.some((a) => a === value)) {
    out.push({ path, message: `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}` })
  }
  if (schema["const"] !== undefined && schema["const"] !== value) {
    out.push({ path, message: `expected ${JSON.stringify(schema["const"])}, got ${JSON.stringify(value)}` })
  }
  if (Array.isArray(value)) {
    const min = numberAt(schema, "minItems")
    const max = numberAt(schema, "maxItems")
    if (min !== undefined && value.length < min) out.push({ path, message: `expected at least ${min} items, got ${value.length}` })
    if (max !== undefined && value.length > max) out.push({ path, message: `expected at most ${max} items, got ${value.length}` })
    const items = schemaAt(schema, "items")
    if (items !== undefined) value.forEach((item, i) => out.push(...checkJsonSchema(items, item, join(path, i))))
  } else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>
    const properties = schemaAt(schema, "properties") ?? {}
    for (const key of arrayAt(schema, "required") ?? []) {
      if (typeof key === "string" && !Object.hasOwn(record, key)) out.push({ path: join(path, key), message: "is required" })
    }
    for (const [key, child] of Object.entries(record)) {
      const property = Object.hasOwn(properties, key) ? schemaAt(properties, key) : undefined
      if (property !== undefined) out.push(...checkJsonSchema(property, child, join(path, key)))
      else if (schema["additionalProperties"] === false) out.push({ path: join(path, key), message: "is not allowed" })
    }
  }
  return out
}

/** A contract from a JSON Schema (for example an OpenAI `response_format.json_schema`). */
export const fromJsonSchema = (
  name: string,
  jsonSchema: Record<string, unknown>,
  options: { readonly synonyms?: Synonyms | undefined } = {}
): OutputContract => ({
  name,
  jsonSchema,
  validate: (value) => checkJsonSchema(jsonSchema, value),
  synonyms: options.synonyms ?? {}
})

/** A contract from an Effect Schema; its JSON Schema is derived for providers' native structured output. */
export const fromSchema = <S extends Schema.Top>(
  name: string,
  schema: S,
  options: { readonly synonyms?: Synonyms | undefined } = {}
): OutputContract => {
  const decode = Schema.decodeUnknownResult(schema as Schema.Top as Schema.Codec<unknown, unknown, never, never>)
  return {
    name,
    jsonSchema: Schema.toJsonSchemaDocument(schema).schema as Record<string, unknown>,
    validate: (value) => {
      const result = decode(value, { errors: "all" })
      return Result.isSuccess(result) ? [] : SchemaErrors.problems(result.failure)
    },
    synonyms: options.synonyms ?? {}
  }
}

/** The enum values a contract allows at `path` (array indexes written `[]`), if it is an enum position. */
export const enumAt = (contract: OutputContract, path: ReadonlyArray<string | number>): ReadonlyArray<unknown> | undefined => {
  let schema: JsonSchema | undefined = contract.jsonSchema
  for (const key of path) {
    if (schema === undefined) return undefined
    if (typeof key === "number") schema = schemaAt(schema, "items")
    else {
      const properties = schemaAt(schema, "properties")
      schema = properties !== undefined && Object.hasOwn(properties, key) ? schemaAt(properties, key) : undefined
    }
  }
  return schema === undefined ? undefined : arrayAt(schema, "enum")
}

/** `issues[].severity` for the path `["issues", 2, "severity"]`. */
export const synonymKey = (path: ReadonlyArray<string | number>): string =>
  path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[]` : out === "" ? key : `${out}.${key}`), "")
