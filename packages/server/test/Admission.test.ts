/**
 * The cap on concurrent requests, through the real server: streams count until their last byte, a
 * request over the cap is refused at once in its route's dialect without an upstream call, and the
 * health check is never refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Ref } from "effect"
import { Race } from "@switchyard/core"
import { Fault, OpenAiChatWire } from "@switchyard/testing"
import { Admission } from "@switchyard/server"
import { postChat, servePair } from "./harness.ts"

const script = (text: string) => ({ text: text.split(" ").map((w, i) => (i === 0 ? w : ` ${w}`)), usage: { inputTokens: 10, outputTokens: 4 } })

const post = (url: string, path: string, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    return { status: response.status, headers: response.headers, json: (await response.json()) as any }
  })

/** A streamed chat request, once its headers have arrived. */
const openStream = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smart", stream: true, messages: [{ role: "user", content: "hi" }] })
    })
  )

const shutDown = (exit: Exit.Exit<unknown, unknown>) => {
  const error = Exit.findErrorOption(exit)
  return error._tag === "Some" && error.value instanceof Admission.ShuttingDown
}

describe("admission", () => {
  it("admits up to the limit, then refuses; draining refuses everything; leaving frees a place", () => {
    const [first, one] = Admission.enter(Admission.initial, 2)
    const [second, two] = Admission.enter(one, 2)
    const [third, still] = Admission.enter(two, 2)
    assert.deepStrictEqual([first, second, third], ["admitted", "admitted", "full"])
    assert.strictEqual(still.inFlight, 2)
    assert.strictEqual(Admission.enter(Admission.leave(still), 2)[0], "admitted")
    assert.strictEqual(Admission.enter({ ...Admission.initial, draining: true }, 2)[0], "draining")
  })

  it.effect("cutAt: the effect's own result when it ends first; ShuttingDown, the effect interrupted, when the signal fires first", () =>
    Effect.gen(function*() {
      const signal = Race.makeSignal()
      assert.strictEqual(yield* Admission.cutAt(Effect.succeed(1), signal), 1)
      assert.strictEqual(yield* Admission.cutAt(Effect.as(Effect.yieldNow, 2), signal), 2)

      const interrupted = yield* Ref.make(false)
      const started = yield* Deferred.make<void>()
      const slow = Deferred.succeed(started, undefined).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Ref.set(interrupted, true))
      )
      const fiber = yield* Effect.forkChild(Effect.exit(Admission.cutAt(slow, signal)))
      yield* Deferred.await(started)
      signal.fire()
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(shutDown(exit))
      assert.isTrue(yield* Ref.get(interrupted), "the cut effect was interrupted")
      // Once fired, nothing more is started.
      const ran = yield* Ref.make(false)
      const after = yield* Effect.exit(Admission.cutAt(Ref.set(ran, true), signal))
      assert.isTrue(Exit.isFailure(after))
      assert.isFalse(yield* Ref.get(ran))
    }))

  it.live("drain: waits for what is in flight, fires the deadline after the grace; what runs is cut with ShuttingDown", () =>
    Effect.gen(function*() {
      const admission = yield* Admission.make(10)
      // A request admitted and still running: its scope is open.
      yield* Effect.forkChild(Effect.scoped(Effect.andThen(admission.enter, Effect.never)))
      yield* Effect.yieldNow
      const stream = yield* Effect.forkChild(Effect.exit(Admission.cutAt(Effect.never, admission.deadline)))
      const drained = yield* Effect.forkChild(admission.drain(Duration.millis(50)))
      yield* Effect.sleep(Duration.millis(20))
      assert.isTrue(yield* admission.draining)
      assert.isFalse(admission.deadline.fired(), "not before the grace is over")
      assert.strictEqual(yield* Effect.scoped(admission.enter), "draining")
      const exit = yield* Fiber.join(stream)
      assert.isTrue(admission.deadline.fired())
      assert.isTrue(shutDown(exit))
      yield* Fiber.interrupt(drained)
    }))

  it.live("over max_concurrent_requests, 503 with Retry-After in the route's dialect, no upstream call; streams count until their end; /healthz is never capped", () =>
    Effect.gen(function*() {
      const { primary, url } = yield* servePair({ server: { max_concurrent_requests: 2 } })
      // Two streams that take about a second each hold both places.
      const slow = OpenAiChatWire.stream(script("one two three four five"), { includeUsage: true }).pipe(Fault.chunkDelay("200 millis"))
      yield* primary.setDefault(OpenAiChatWire.route, slow)
      // Their headers are in: the handlers have returned, the bodies still stream.
      const streams = yield* Effect.all([openStream(url), openStream(url)], { concurrency: 2 })

      const openAi = yield* post(url, "/v1/chat/completions", { model: "smart", messages: [{ role: "user", content: "hi" }] })
      assert.strictEqual(openAi.status, 503)
      assert.strictEqual(openAi.headers.get("retry-after"), "1")
      assert.isNotNull(openAi.headers.get("x-request-id"))
      assert.strictEqual(openAi.json.error.code, "too_many_concurrent_requests")
      assert.strictEqual(openAi.json.error.retryable, true)

      const anthropic = yield* post(url, "/v1/messages", { model: "smart", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      assert.strictEqual(anthropic.status, 503)
      assert.strictEqual(anthropic.json.type, "error")
      assert.strictEqual(anthropic.json.error.type, "overloaded_error")

      const health = yield* Effect.promise(() => fetch(`${url}/healthz`))
      assert.strictEqual(health.status, 200)
      assert.lengthOf(yield* primary.requests, 2, "the refused requests called no upstream")

      // Both streams were whole when the places were held; once they ended, a request is admitted.
      for (const response of streams) {
        const text = yield* Effect.promise(() => response.text())
        assert.isTrue(text.endsWith("data: [DONE]\n\n"), text)
      }
      const after = yield* postChat(url, { stream: true })
      assert.strictEqual(after.status, 200)
      assert.lengthOf(yield* primary.requests, 3)
    }), 20_000)
})
