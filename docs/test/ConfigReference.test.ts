/**
 * docs/configuration.md against the config schema: every key the schema accepts is in the page's
 * reference table, every key in the table is accepted, and every key of every YAML example in the
 * page is accepted. The keys are read from the schema's AST (`SchemaAST`), in the encoded form a
 * config file has; record keys (provider names, aliases, `provider/model`) are written `<...>` in
 * the table and `*` here.
 */
import { describe, expect, it } from "@effect/vitest"
import { SchemaAST } from "effect"
import { Yaml } from "effect/encoding"
import { GatewayConfig } from "@switchyard/gateway"
import { beside, blocks, read } from "./Docs.ts"

/** A union's members (nested unions and suspensions unwrapped); anything else is itself. */
const members = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.AST> =>
  ast._tag === "Union" ? ast.types.flatMap(members) : ast._tag === "Suspend" ? members(ast.thunk()) : [ast]

/** What may sit under `key` in an object of any of `asts`: the property's type, or a record's values (`*`). */
const child = (asts: ReadonlyArray<SchemaAST.AST>, key: string) => {
  const objects = asts.flatMap(members).filter((ast): ast is SchemaAST.Objects => ast._tag === "Objects")
  const properties = objects.flatMap((o) => o.propertySignatures.filter((p) => p.name === key).map((p) => p.type))
  if (properties.length > 0) return { name: key, asts: properties }
  const values = objects.flatMap((o) => o.indexSignatures.map((i) => i.type))
  return values.length > 0 ? { name: "*", asts: values } : undefined
}

const items = (asts: ReadonlyArray<SchemaAST.AST>) =>
  asts.flatMap(members).flatMap((ast) => (ast._tag === "Arrays" ? [...ast.elements, ...ast.rest] : []))

const join = (path: string, name: string) => (path === "" ? name : `${path}.${name}`)

/** Every key path the schema accepts: `server.port`, `providers.*.kind`, `budgets[].window.rolling_seconds`. */
const accepted = (asts: ReadonlyArray<SchemaAST.AST>, path: string, into: Set<string>): Set<string> => {
  for (const ast of asts.flatMap(members)) {
    if (ast._tag === "Objects") {
      for (const p of ast.propertySignatures) {
        const at = join(path, String(p.name))
        accepted([p.type], at, into.add(at))
      }
      for (const i of ast.indexSignatures) accepted([i.type], join(path, "*"), into)
    }
    if (ast._tag === "Arrays") accepted([...ast.elements, ...ast.rest], `${path}[]`, into)
  }
  return into
}

/** The key paths a document uses, guided by the schema (record keys become `*`), and the keys it has no place for. */
const used = (value: unknown, asts: ReadonlyArray<SchemaAST.AST>, path: string, found: Set<string>, unknown: Array<string>) => {
  if (Array.isArray(value)) {
    for (const item of value) used(item, items(asts), `${path}[]`, found, unknown)
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      const next = child(asts, key)
      if (next === undefined) {
        unknown.push(join(path, key))
        continue
      }
      const at = join(path, next.name)
      if (next.name !== "*") found.add(at)
      used(inner, next.asts, at, found, unknown)
    }
  }
}

const schema = [SchemaAST.toEncoded(GatewayConfig.GatewayConfig.ast)]
const page = read(beside(import.meta.url, "../configuration.md"))

/** The keys of the page's reference table (the section "Every key"): its first column. */
const tableKeys = (): ReadonlyArray<string> => {
  const section = page.split(/^## Every key\n/m)[1]?.split(/^## /m)[0] ?? ""
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!.replace(/<[^>]+>/g, "*"))
}

describe("docs/configuration.md documents the config schema", () => {
  it("the reference table has every accepted key, and only those", () => {
    const keys = accepted(schema, "", new Set())
    const documented = tableKeys()
    expect(documented.length).toBeGreaterThan(50)
    expect([...keys].filter((key) => !documented.includes(key)), "accepted but not documented").toEqual([])
    expect(documented.filter((key) => !keys.has(key)), "documented but not accepted").toEqual([])
    expect(documented.filter((key, i) => documented.indexOf(key) !== i), "documented twice").toEqual([])
  })

  it("every key of every YAML example is accepted", () => {
    const examples = blocks(page, "yaml")
    expect(examples.length).toBeGreaterThan(0)
    const found = new Set<string>()
    const unknown: Array<string> = []
    for (const example of examples) used(Yaml.parse(example), schema, "", found, unknown)
    expect(unknown, "keys in the examples that the schema does not accept").toEqual([])
    expect(found.size).toBeGreaterThan(30)
  })

  it("the walk sees a key the schema does not accept", () => {
    const unknown: Array<string> = []
    used({ providers: { openai: { kind: "openai", api_keys: "x" } }, routing: { hedge: { delay: 1 } } }, schema, "", new Set(), unknown)
    expect(unknown).toEqual(["providers.*.api_keys", "routing.hedge.delay"])
  })
})
