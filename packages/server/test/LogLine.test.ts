/**
 * The gateway's log line writer against Effect's own (`Formatter.formatJson`): the same text for any
 * value, plain data by `JSON.stringify`, the rest by `formatJson`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Formatter, Logger, Redacted } from "effect"
import * as fc from "fast-check"
import { LogLine } from "@switchyard/server"

/** Values a log may carry that plain JSON does not: each must be written as `formatJson` writes it. */
const unusual = (): Array<[string, unknown]> => {
  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic["self"] = cyclic
  const withGetter = { plain: 1, get computed() { return Redacted.make("sk-hidden") } }
  const sparse: Array<number> = [1]
  sparse[3] = 4
  return [
    ["a redacted value", { key: Redacted.make("sk-secret") }],
    ["a bigint", { n: 12n }],
    ["an error", { error: new Error("boom") }],
    ["a cycle", cyclic],
    ["a getter returning a redacted value", withGetter],
    ["a toJSON", { when: { toJSON: () => "then" } }],
    ["a date", { at: new Date(0) }],
    ["a class instance", { inst: new (class Thing { x = 1 })() }],
    ["a function", { f: () => 1 }],
    ["a symbol", { s: Symbol("s") }],
    ["a sparse array", { xs: sparse }],
    ["deep nesting", JSON.parse("[".repeat(40) + "]".repeat(40))],
    ["a null-prototype object", Object.assign(Object.create(null), { a: 1 })],
    ["undefined in an array and an object", { xs: [undefined, 1], u: undefined }],
    ["non-finite numbers", { nan: NaN, inf: -Infinity, zero: -0 }]
  ]
}

describe("LogLine.json", () => {
  it("writes any JSON value as Formatter.formatJson does", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => LogLine.json(value) === Formatter.formatJson(value)), { numRuns: 500 })
  })

  it("writes values that are not plain JSON as Formatter.formatJson does", () => {
    for (const [what, value] of unusual()) {
      assert.strictEqual(LogLine.json(value), Formatter.formatJson(value), what)
      assert.strictEqual(LogLine.json({ nested: [value] }), Formatter.formatJson({ nested: [value] }), `${what}, nested`)
    }
    // What the redacted value turns into, so the comparison above is not between two blanks.
    assert.include(LogLine.json({ key: Redacted.make("sk-secret") }), "<redacted>")
    assert.notInclude(LogLine.json({ key: Redacted.make("sk-secret") }), "sk-secret")
  })

  it.effect("a logged entry is the line Logger.formatJson writes", () =>
    Effect.gen(function*() {
      const lines: Array<[string, string]> = []
      const both = Logger.make((options) => {
        lines.push([LogLine.formatJson.log(options), Logger.formatJson.log(options)])
      })
      yield* Effect.logInfo("request").pipe(
        Effect.annotateLogs({ requestId: "req_1", status: 200, attempts: [{ route: "a/b", outcome: "ok" }], key: Redacted.make("k") }),
        Effect.provide(Logger.layer([both]))
      )
      yield* Effect.logWarning("with a cause", new Error("boom")).pipe(Effect.provide(Logger.layer([both])))
      assert.lengthOf(lines, 2)
      for (const [ours, effects] of lines) assert.strictEqual(ours, effects)
    }))
})
