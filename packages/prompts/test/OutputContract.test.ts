import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { OutputContract } from "@switchyard/prompts"
import { review } from "./fixtures.ts"

describe("OutputContract", () => {
  it("reports every violation of a JSON Schema with its path", () => {
    const violations = review.validate({ issues: [{ line: 1.5, severity: "urgent" }], extra: true })
    assert.deepStrictEqual(violations, [
      { path: "issues", message: "expected at least 3 items, got 1" },
      { path: "issues[0].comment", message: "is required" },
      { path: "issues[0].line", message: "expected integer, got number" },
      { path: "issues[0].severity", message: "expected one of \"low\", \"medium\", \"high\", got \"urgent\"" },
      { path: "extra", message: "is not allowed" }
    ])
  })

  it("builds a contract from an Effect Schema, with its JSON Schema for native structured output", () => {
    const Verdict = Schema.Struct({ verdict: Schema.Literals(["approve", "reject"]), reasons: Schema.Array(Schema.String) })
    const contract = OutputContract.fromSchema("verdict", Verdict, { synonyms: { verdict: { approve: ["lgtm"] } } })
    assert.deepStrictEqual(contract.validate({ verdict: "approve", reasons: [] }), [])
    const [violation] = contract.validate({ verdict: "maybe", reasons: [] })
    assert.strictEqual(violation?.path, "verdict")
    assert.strictEqual((contract.jsonSchema["properties"] as any).verdict.enum.join(","), "approve,reject")
  })

  it("ignores keywords of the wrong shape in a client's schema instead of throwing", () => {
    const junk = { type: 7, required: 5, enum: "x", properties: "y", items: 3, minItems: "2" }
    assert.deepStrictEqual(OutputContract.checkJsonSchema(junk, { a: 1 }), [])
    assert.deepStrictEqual(OutputContract.checkJsonSchema(junk, [1, 2]), [])
    const proto = { type: "object", properties: { a: { type: "string" } }, required: ["__proto__", "toString"] }
    assert.deepStrictEqual(OutputContract.checkJsonSchema(proto, { a: "x" }).map((v) => v.path), ["__proto__", "toString"])
    const contract = OutputContract.fromJsonSchema("x", { type: "object", properties: { s: { enum: "not-a-list" } } })
    assert.strictEqual(OutputContract.enumAt(contract, ["s"]), undefined)
    assert.strictEqual(OutputContract.enumAt(contract, ["constructor"]), undefined)
  })
})
