import { assert, describe, it } from "@effect/vitest"
import { Repair } from "@switchyard/prompts"
import { good, review } from "./fixtures.ts"

describe("parseAnswer", () => {
  it("takes plain JSON as is, without a repair", () => {
    assert.deepStrictEqual(Repair.parseAnswer(good), { value: JSON.parse(good), repair: undefined })
  })
  it("takes JSON out of a markdown fence", () => {
    const parsed = Repair.parseAnswer("```json\n{\"a\": [1, 2]}\n```")
    assert.deepStrictEqual(parsed?.value, { a: [1, 2] })
    assert.include(parsed?.repair, "markdown fence")
  })
  it("takes the first balanced JSON value out of prose, braces inside strings included", () => {
    const parsed = Repair.parseAnswer("Here you go: {\"note\": \"use } and { carefully\", \"n\": 1} Hope it helps {not json}")
    assert.deepStrictEqual(parsed?.value, { note: "use } and { carefully", n: 1 })
    assert.include(parsed?.repair, "prose")
  })
  it("finds nothing in prose without JSON", () => {
    assert.isUndefined(Repair.parseAnswer("The code subtracts instead of adding."))
    assert.isUndefined(Repair.parseAnswer("an unbalanced { \"a\": 1"))
  })
})

describe("mapEnumSynonyms", () => {
  const answer = (severity: string) => ({ issues: [{ line: 1, severity, comment: "x" }] })
  it("maps declared synonyms and translations to the canonical value", () => {
    for (const [given, wanted] of [["critical", "high"], ["高", "high"], ["严重", "high"], ["minor", "low"], ["中", "medium"]]) {
      const applied = Repair.mapEnumSynonyms(answer(given!), review)
      assert.deepStrictEqual(applied?.value, answer(wanted!), given)
      assert.include(applied?.note, `"${given}" → "${wanted}"`)
    }
  })
  it("fixes only the letter case of an allowed value", () => {
    assert.deepStrictEqual(Repair.mapEnumSynonyms(answer("HIGH"), review)?.value, answer("high"))
  })
  it("leaves alone values it has no declaration for, and values outside enum positions", () => {
    assert.isUndefined(Repair.mapEnumSynonyms(answer("urgent"), review))
    assert.isUndefined(Repair.mapEnumSynonyms({ issues: [{ line: 1, severity: "high", comment: "critical" }] }, review))
    assert.isUndefined(Repair.mapEnumSynonyms(JSON.parse(good), review))
  })
})

describe("unwrapSingleKey", () => {
  it("unwraps a single unknown key when the inside honours the contract", () => {
    const applied = Repair.unwrapSingleKey({ review: JSON.parse(good) }, review)
    assert.deepStrictEqual(applied?.value, JSON.parse(good))
  })
  it("leaves a known key, several keys, or an inside that would still fail", () => {
    assert.isUndefined(Repair.unwrapSingleKey({ issues: [] }, review))
    assert.isUndefined(Repair.unwrapSingleKey({ review: JSON.parse(good), extra: 1 }, review))
    assert.isUndefined(Repair.unwrapSingleKey({ review: { issues: [] } }, review))
  })
})
