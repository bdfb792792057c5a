import { assert, describe, it } from "@effect/vitest"
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base"
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base"
import * as Bpe from "../src/internal/bpe.ts"

const ordinary = { disallowedSpecial: new Set<string>() }
const reference = { o200k_base: (text: string) => o200k(text, ordinary), cl100k_base: (text: string) => cl100k(text, ordinary) }

/** Texts where splitting and merging differ: scripts, emoji sequences, digits, contractions, code, runs. */
const corpus = [
  "Hello there",
  "The quick brown fox jumps over the lazy dog, and then 42 more things happen!\n",
  "日本語のテキストは英語より多くのトークンを使います。",
  "漢字かな交じり文".repeat(40),
  "Привет, как дела? Всё хорошо.",
  "مرحبا بالعالم، كيف حالك؟",
  "नमस्ते दुनिया",
  "emoji 🎉🎉 👩‍👩‍👧 🇫🇷 ok 🙂🙂🙂",
  "can't won't I'LL they're WE'VE",
  "const x = 1;\n\tfunction f(a, b) { return a ** b }\n",
  '{"key": [1, 2, 3], "nested": {"a": null, "b": true}}',
  "https://example.com/path/to/page?query=1&other=two#frag",
  "1234567890123 3.14159 -0.5e10",
  "  lots   of    spaces\n\n\n  and\r\n\r\nlines\t\t",
  "A".repeat(300),
  "aGVsbG8gd29ybGQ=ZmZmZmZmZmYxMjM0NTY3ODkw",
  "\u0000\u0001\u0002 control \u007f characters",
  "<|endoftext|> <|im_start|>system<|im_sep|>",
  "Ünïcödé façade naïve coöperate",
  "a\u0301 e\u0301 combining marks",
  ""
]

/** A seeded generator of strings over a mixed alphabet, so the comparison covers what no list would. */
const randomTexts = (count: number, seed: number): Array<string> => {
  let state = seed
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff
  const alphabet = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 \n\t.,;:'\"!?-_/\\()[]{}<>|@#$%^&*+=~`", "é", "ß", "ж", "λ", "日", "本", "の", "😀", "🎉", "\u200d", "\u0301", "ا", "한"]
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(next() * 120) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""))
}

describe("Bpe (token counting over the compact ranks)", () => {
  for (const file of ["o200k_base", "cl100k_base"] as const) {
    it(`${file}: the same counts as gpt-tokenizer, text by text`, async () => {
      const count = Bpe.counter(file, await Bpe.load(file))
      for (const text of [...corpus, ...randomTexts(400, file.length)]) {
        assert.strictEqual(count(text), reference[file](text), JSON.stringify(text).slice(0, 80))
      }
    })
  }

  it("counts the same again once pieces' merges are remembered (and after the oldest are forgotten)", async () => {
    const count = Bpe.counter("o200k_base", await Bpe.load("o200k_base"))
    const texts = randomTexts(3000, 99)
    const first = texts.map(count)
    assert.deepStrictEqual(texts.map(count), first)
    assert.deepStrictEqual(first.slice(0, 50), texts.slice(0, 50).map(reference.o200k_base))
  })

  it("holds o200k_base's 199,998 tokens in typed arrays of under 6 MB", async () => {
    const ranks = await Bpe.load("o200k_base")
    assert.strictEqual(ranks.offsets.length - 1, 199_998)
    const size = ranks.bytes.byteLength + ranks.offsets.byteLength + ranks.table.byteLength
    assert.isBelow(size, 6 * 1024 * 1024)
  })

  it("refuses a rank file whose ranks are out of order, or a line without its rank", () => {
    const text = (s: string) => new TextEncoder().encode(s)
    assert.throws(() => Bpe.parse(text("YQ== 0\nYg== 2\n")), /line 2 states rank 2/)
    assert.throws(() => Bpe.parse(text("YQ== 0\nYg==\n")), /line 2 has no rank/)
    const ranks = Bpe.parse(text("YQ== 0\nYg== 1\nYWI= 2\n"))
    assert.deepStrictEqual([...ranks.offsets], [0, 1, 2, 4])
    assert.deepStrictEqual([...ranks.bytes], [97, 98, 97, 98])
  })
})
