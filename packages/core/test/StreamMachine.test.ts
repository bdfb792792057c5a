import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { ProviderError, StreamMachine } from "@switchyard/core"

// A toy machine: numbers become text deltas, 0 is the terminal marker, a negative number is an error,
// and a source that ends before 0 is a cut stream.
const machine: StreamMachine.Machine<number, number> = {
  initial: () => 0,
  step: (seen, n) =>
    n === 0
      ? [seen, [StreamMachine.End]]
      : n < 0
      ? [seen, [new ProviderError.ServerError({ provider: "toy", message: "negative" })]]
      : [seen + 1, [{ _tag: "TextDelta", choice: 0, text: String(n) }]],
  end: (seen) => [new ProviderError.StreamInterrupted({ provider: "toy", message: `cut after ${seen}` })]
}

const texts = (inputs: ReadonlyArray<number>) =>
  Stream.fromIterable(inputs).pipe(
    StreamMachine.run(machine),
    Stream.map((e) => (e._tag === "TextDelta" ? e.text : "?")),
    Stream.runCollect,
    Effect.map((a) => [...a])
  )

describe("StreamMachine.run", () => {
  it.effect("stops at End and ignores what follows", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* texts([1, 2, 0, 3, -1]), ["1", "2"])
    }))

  it.effect("fails with an emitted ProviderError", () =>
    Effect.gen(function*() {
      const error = yield* texts([1, -1, 2]).pipe(Effect.flip)
      assert.strictEqual(error._tag, "ServerError")
    }))

  it.effect("lets `end` decide what a source that just stops means", () =>
    Effect.gen(function*() {
      const error = yield* texts([1, 2]).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StreamInterrupted")
      assert.strictEqual(error.message, "cut after 2")
    }))

  it.effect("keeps the source's own failure rather than what `end` says about the cut", () =>
    Effect.gen(function*() {
      const source = Stream.concat(
        Stream.fromIterable([1]),
        Stream.fail(new ProviderError.ServerError({ provider: "toy", message: "socket reset" }))
      )
      const error = yield* source.pipe(StreamMachine.run(machine), Stream.runDrain, Effect.flip)
      assert.strictEqual(error.message, "socket reset")
    }))
})
