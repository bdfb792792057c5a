import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { ProviderError } from "@switchyard/core"
import { Deadline, StreamTimeouts } from "../src/index.ts"

const ticks = (...delays: ReadonlyArray<number>) =>
  Stream.fromIterable(delays).pipe(Stream.mapEffect((ms) => Effect.as(Effect.sleep(ms), ms)))

const collect = <A, E>(stream: Stream.Stream<A, E>, advance: number) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(Effect.flip(Stream.runCollect(stream)))
    yield* TestClock.adjust(advance)
    return yield* Fiber.join(fiber)
  })

describe("StreamTimeouts", () => {
  it.effect("fails with a first_token Timeout when the first event is late", () =>
    Effect.gen(function*() {
      const stream = ticks(600, 10).pipe(StreamTimeouts.stream({ provider: "p" }, { firstToken: 500, idle: 1000 }))
      const error = (yield* collect(stream, 1000)) as ProviderError.Timeout
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error.phase, "first_token")
      assert.strictEqual(error.provider, "p")
    }))

  it.effect("fails with an idle Timeout when a gap is too long, not for a slow first event", () =>
    Effect.gen(function*() {
      const stream = ticks(400, 100, 250).pipe(StreamTimeouts.stream({ provider: "p" }, { firstToken: 500, idle: 200 }))
      const error = (yield* collect(stream, 1000)) as ProviderError.Timeout
      assert.strictEqual(error.phase, "idle")
      const fine = ticks(400, 150, 150).pipe(StreamTimeouts.stream({ provider: "p" }, { firstToken: 500, idle: 200 }))
      const fiber = yield* Effect.forkChild(Stream.runCollect(fine))
      yield* TestClock.adjust(1000)
      assert.deepStrictEqual(yield* Fiber.join(fiber), [400, 150, 150])
    }))

  it.effect("the deadline caps every limit and names the deadline phase", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.make("1 second")
      const stream = ticks(400, 400, 400).pipe(
        StreamTimeouts.stream({ provider: "p", deadline }, { firstToken: 500, idle: 500 })
      )
      const fiber = yield* Effect.forkChild(Effect.flip(Stream.runCollect(stream)))
      yield* TestClock.adjust(999)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1)
      const error = (yield* Fiber.join(fiber)) as ProviderError.Timeout
      assert.strictEqual(error.phase, "deadline")
    }))

  it.effect("an effect is bounded by total", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Effect.flip(
        Effect.sleep(2000).pipe(StreamTimeouts.effect({ provider: "p" }, { total: "1 second" }))
      ))
      yield* TestClock.adjust(1000)
      assert.strictEqual(((yield* Fiber.join(fiber)) as ProviderError.Timeout)._tag, "Timeout")
    }))
})
