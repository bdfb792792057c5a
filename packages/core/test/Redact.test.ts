import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { Redact } from "../src/index.ts"

const key = "LEAK2-4c18f7e2a9b3d605"
const redactor = Redact.make([Redacted.make(key), "p@ss/word+9=x", "short"])

describe("Redact", () => {
  it("masks a known secret however it is written", () => {
    for (const text of [
      `key ${key} was refused`,
      `Authorization: Bearer ${key}`,
      `?api=${encodeURIComponent("p@ss/word+9=x")}&x=1`,
      JSON.stringify({ message: `bad key "${key}"` }),
      `{"message":"${[...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"}`
    ]) {
      const out = redactor.text(text)
      assert.notInclude(out, "4c18f7e2", text)
      assert.notInclude(out, "word+9", text)
      assert.notInclude(out, "word%2B9", text)
      assert.include(out, "[REDACTED]", text)
    }
  })

  it("masks partial echoes: any 8 characters of a key, and a shown start and end around a mask", () => {
    assert.strictEqual(redactor.text("key LEAK2-4c18f7..."), "key [REDACTED]...")
    assert.strictEqual(redactor.text("ends in a9b3d605."), "ends in [REDACTED].")
    assert.strictEqual(redactor.text("seven 9b3d605 shown"), "seven 9b3d605 shown")
    assert.strictEqual(redactor.text("provided: LEAK2-****d605 is wrong"), "provided: [REDACTED] is wrong")
    assert.strictEqual(redactor.text("provided: LEA***605"), "provided: [REDACTED]")
    // A mask whose visible ends are not a known key's is left alone.
    assert.strictEqual(redactor.text("provided: abcd****wxyz"), "provided: abcd****wxyz")
  })

  it("leaves text without secrets alone, and masks only whole short secrets", () => {
    const plain = "All 2 attempts failed: up1/m1 (primary): auth (401) in 113 ms"
    assert.strictEqual(redactor.text(plain), plain)
    assert.strictEqual(redactor.text("a short one"), "a [REDACTED] one")
  })

  it("masks the credential shapes of well-known providers without being told them", () => {
    const out = Redact.shapesOnly.text("sk-proj-abcdefghijklmnop AIzaSyA1234567890abcdefghijk Bearer abc.def.ghi")
    assert.notInclude(out, "abcdefghijklmnop")
    assert.notInclude(out, "AIzaSy")
    assert.notInclude(out, "abc.def.ghi")
  })

  it("masks every credential shape alone in its text, whatever its case where the shape ignores case", () => {
    // Each on its own: the one test that skips the shapes' passes for clean text must let each through.
    for (
      const [text, hidden] of [
        ["sk-ant-abcdefghijkl", "abcdefghijkl"],
        ["sk-or-v1-abcdefghijkl", "abcdefghijkl"],
        ["AIzaSyA1234567890abcdefghijk", "1234567890abcdefghijk"],
        ["xai-abcdefghijkl", "abcdefghijkl"],
        ["gsk_abcdefghijkl", "abcdefghijkl"],
        ["hf_abcdefghijkl", "abcdefghijkl"],
        ["BEARER abc.def.ghi", "abc.def.ghi"],
        ["https://x.test/v1?API_KEY=s3cr3tvalue", "s3cr3tvalue"],
        ["https://x.test/v1?x=1&Access_Token=s3cr3tvalue", "s3cr3tvalue"],
        [`{"X-Api-Key": "s3cr3tvalue"}`, "s3cr3tvalue"],
        [`{"Authorization":"s3cr3tvalue"}`, "s3cr3tvalue"]
      ] as const
    ) {
      const out = Redact.shapesOnly.text(text)
      assert.notInclude(out, hidden, text)
      assert.include(out, "[REDACTED]", text)
    }
  })

  it("redacts every string of a JSON value, keys included", () => {
    assert.deepStrictEqual(redactor.json({ [key]: [`x ${key}`, 1, null] }), { "[REDACTED]": ["x [REDACTED]", 1, null] })
  })
})
