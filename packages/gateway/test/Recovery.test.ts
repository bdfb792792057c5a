import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { ProviderError, StreamAccumulator, type StreamEvent } from "@switchyard/core"
import { Recovery } from "@switchyard/gateway"

const text = (t: string): StreamEvent.StreamEvent => ({ _tag: "TextDelta", choice: 0, text: t })
const finish: StreamEvent.StreamEvent = { _tag: "Finish", choice: 0, reason: "stop", raw: "stop" }
const cut = new ProviderError.StreamInterrupted({ provider: "a", message: "socket closed" })

const candidate = (events: ReadonlyArray<StreamEvent.StreamEvent>, prefill = false) => {
  const asked: Array<unknown> = []
  return {
    asked,
    candidate: {
      route: { provider: "b", model: "m" },
      prefill,
      stream: (request: unknown) => Stream.suspend(() => (asked.push(request), Stream.fromIterable(events)))
    }
  }
}

const request = { model: "m", messages: [{ role: "user" as const, content: "count" }] }

const rest = (delivered: string, ...candidates: ReadonlyArray<ReturnType<typeof candidate>["candidate"]>) =>
  Recovery.recover(request, { text: delivered, unstitchable: false }, candidates, cut).pipe(
    Stream.runCollect,
    Effect.map((events) => StreamAccumulator.assemble(events).choices[0]?.content ?? "")
  )

describe("Recovery.recover", () => {
  it.effect("forwards only what follows the delivered text, however the regeneration is split", () =>
    Effect.gen(function*() {
      const b = candidate([text("one t"), text("wo three"), text(" four"), finish])
      assert.strictEqual(yield* rest("one two", b.candidate), " three four")
    }))

  it.effect("moves past a regeneration that diverges, and fails with the original cause when none fits", () =>
    Effect.gen(function*() {
      const other = candidate([text("uno dos"), finish])
      const short = candidate([text("one"), finish])
      assert.strictEqual(yield* rest("one two", other.candidate, short.candidate).pipe(Effect.flip), cut)
      assert.lengthOf(other.asked, 1)
      assert.lengthOf(short.asked, 1)
    }))

  it.effect("continues from the delivered text on a prefill route, without repeating a trailing space", () =>
    Effect.gen(function*() {
      const b = candidate([text(" three"), finish], true)
      assert.strictEqual(yield* rest("one two ", b.candidate), "three")
      const sent = b.asked[0] as { messages: Array<{ role: string; content: string }> }
      assert.deepStrictEqual(sent.messages.at(-1), { role: "assistant", content: "one two" })
    }))

  it.effect("does not stitch an answer whose tool calls had started", () =>
    Effect.gen(function*() {
      const b = candidate([text("anything"), finish])
      const result = yield* Recovery.recover(request, { text: "x", unstitchable: true }, [b.candidate], cut).pipe(Stream.runDrain, Effect.result)
      assert.strictEqual(result._tag, "Failure")
      assert.lengthOf(b.asked, 0)
    }))
})
