/**
 * The framings and `framed`, the one stage every adapter's decoding runs in: lines split anywhere
 * (CRLF across chunks included), compositions keeping order, outputs before a failure delivered,
 * `End` ending the stream without reading further, and a source failure passed on as it is.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref, Stream } from "effect"
import * as fc from "fast-check"
import { InBand } from "@switchyard/core"

const run = <A, B, E>(make: () => InBand.Framing<A, B, E>, chunks: ReadonlyArray<A>) =>
  Stream.fromIterable(chunks).pipe(InBand.framed(make), Stream.runCollect, Effect.map((out) => [...out]))

/** `text` cut at `cuts`. */
const pieces = (text: string, cuts: ReadonlyArray<number>): Array<string> => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  return [...points, text.length].map((p, i) => text.slice(i === 0 ? 0 : points[i - 1], p))
}

describe("InBand", () => {
  it.effect("lines: \\n, \\r\\n and \\r end lines wherever the chunks are cut; the last line needs no ending", () =>
    Effect.gen(function*() {
      const text = "one\r\ntwo\nthree\rfour\r\n\r\nsix"
      const expected = ["one", "two", "three", "four", "", "six"]
      assert.deepStrictEqual(yield* run(InBand.lines, [text]), expected)
      assert.deepStrictEqual(yield* run(InBand.lines, ["one\r", "\ntwo\n", "three\r", "four\r", "\n", "\r\nsix"]), expected)
      yield* Effect.promise(() =>
        fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (cuts) => {
          const out = await Effect.runPromise(run(InBand.lines, pieces(text, cuts)))
          assert.deepStrictEqual(out, expected)
        }))
      )
    }))

  it.effect("utf8 ∘ lines: a character split across chunks is decoded whole", () =>
    Effect.gen(function*() {
      const bytes = new TextEncoder().encode("héllo 🌍\nwörld")
      const chunks = Array.from(bytes, (b) => Uint8Array.of(b))
      assert.deepStrictEqual(yield* run(() => InBand.compose(InBand.utf8(), InBand.lines()), chunks), ["héllo 🌍", "wörld"])
    }))

  it.effect("a failure ends the stream after the outputs before it, even within one chunk", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const error = yield* Stream.fromIterable([1, 2, -3, 4]).pipe(
        InBand.flatMap((n: number) => (n < 0 ? new InBand.Failure(`bad ${n}`) : [n, n * 10])),
        Stream.runForEach((n) => Effect.sync(() => seen.push(n))),
        Effect.flip
      )
      assert.strictEqual(error, "bad -3")
      assert.deepStrictEqual(seen, [1, 10, 2, 20])
    }))

  it.effect("End: the outputs before it, then the end; nothing more is read from the source", () =>
    Effect.gen(function*() {
      const read = yield* Ref.make(0)
      const source = Stream.fromIterable([1, 2, 0, 3]).pipe(Stream.rechunk(1), Stream.tap(() => Ref.update(read, (n) => n + 1)))
      const stopAtZero = (): InBand.Framing<number, number, never> => ({
        feed: (n, out) => {
          if (n === 0) return InBand.End
          out.push(n)
          return undefined
        },
        flush: (out) => {
          out.push(-1)
          return undefined
        }
      })
      const out = yield* source.pipe(InBand.framed(stopAtZero), Stream.runCollect)
      assert.deepStrictEqual([...out], [1, 2])
      assert.strictEqual(yield* Ref.get(read), 3)
    }))

  it.effect("compose: the second framing sees the first's outputs in order, and both flush at the end", () =>
    Effect.gen(function*() {
      const framing = () => InBand.compose(InBand.lines(), InBand.each((line: string) => (line === "" ? [] : [line.toUpperCase()])))
      assert.deepStrictEqual(yield* run(framing, ["a\n\nb", "c\nd"]), ["A", "BC", "D"])
    }))

  it.effect("a source failure is passed on as it is, without flushing", () =>
    Effect.gen(function*() {
      const source = Stream.concat(Stream.make("a\nb"), Stream.fail("socket reset"))
      const seen: Array<string> = []
      const error = yield* source.pipe(InBand.framed(InBand.lines), Stream.runForEach((l) => Effect.sync(() => seen.push(l))), Effect.flip)
      assert.strictEqual(error, "socket reset")
      assert.deepStrictEqual(seen, ["a"], "the unfinished line is not flushed")
    }))
})
