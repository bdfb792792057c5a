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

  it.effect("ends with a takeover's own error once it has forwarded something, asking no further route", () =>
    Effect.gen(function*() {
      const broken = new ProviderError.StreamInterrupted({ provider: "b", message: "reset" })
      const asked: Array<unknown> = []
      const breaking = {
        route: { provider: "b", model: "m" },
        prefill: false,
        stream: () => Stream.suspend(() => (asked.push(1), Stream.concat(Stream.make(text("one two three")), Stream.fail(broken))))
      }
      const next = candidate([text("one two four"), finish])
      const events: Array<StreamEvent.StreamEvent> = []
      const error = yield* Recovery.recover(request, { text: "one two", unstitchable: false }, [breaking, next.candidate], cut).pipe(
        Stream.runForEach((event) => Effect.sync(() => events.push(event))),
        Effect.flip
      )
      assert.strictEqual(error, broken)
      assert.deepStrictEqual(events, [text(" three")])
      assert.lengthOf(asked, 1)
      assert.lengthOf(next.asked, 0)
    }))
})

describe("Recovery.step", () => {
  const start: StreamEvent.StreamEvent = { _tag: "ResponseStart", id: "r", model: "m", created: 0 }
  const run = (state: Recovery.Takeover, events: ReadonlyArray<StreamEvent.StreamEvent>) => {
    const out: Array<StreamEvent.StreamEvent> = []
    for (const event of events) {
      const next = Recovery.step(state, event)
      if (!Array.isArray(next)) return "diverged"
      state = next[0]
      out.push(...next[1])
    }
    return { state: state._tag, out }
  }

  it("holds a regeneration's text until it is past the prefix, then forwards the rest", () => {
    assert.deepStrictEqual(run(Recovery.pastPrefix("ab c"), [start, text("a"), text("b"), text(" cd"), text("e")]), {
      state: "Forward",
      out: [text("d"), text("e")]
    })
    assert.deepStrictEqual(run(Recovery.pastPrefix("ab"), [text("a"), text("b")]), { state: "Forward", out: [] })
    assert.deepStrictEqual(run(Recovery.pastPrefix(""), [start, text("x")]), { state: "Forward", out: [text("x")] })
  })

  it("calls a regeneration diverged on other text, another choice or a tool call before the prefix", () => {
    assert.strictEqual(run(Recovery.pastPrefix("abc"), [text("ax")]), "diverged")
    assert.strictEqual(run(Recovery.pastPrefix("abc"), [text("abx")]), "diverged")
    assert.strictEqual(run(Recovery.pastPrefix("abc"), [{ _tag: "TextDelta", choice: 1, text: "abc" }]), "diverged")
    assert.strictEqual(run(Recovery.pastPrefix("abc"), [finish]), "diverged")
  })

  it("drops a continuation's start and the echo of the trailing space, once", () => {
    assert.deepStrictEqual(run(Recovery.continuing(" "), [start, text(" x"), text(" y")]), {
      state: "Forward",
      out: [text("x"), text(" y")]
    })
    assert.deepStrictEqual(run(Recovery.continuing(" "), [text(" "), text("z")]), { state: "Forward", out: [text("z")] })
    assert.deepStrictEqual(run(Recovery.continuing(""), [finish]), { state: "Continue", out: [finish] })
  })
})
