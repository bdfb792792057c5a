/**
 * The hedge budget through the real server on a fresh gateway: its first slow request is hedged
 * (the budget's per-second floor), a refused hedge shows in `x-switchyard-attempts`, and under a
 * burst the hedges the upstreams see stay within ratio × requests + floor × seconds.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { GatewayConfig } from "@switchyard/gateway"
import { Fault, MockUpstream, OpenAiChatWire, type Reply } from "@switchyard/testing"
import { content, postChat, type Result, servePair, streamed } from "./harness.ts"

const script = (text: string) => ({ text: text.split(" ").map((w, i) => (i === 0 ? w : ` ${w}`)), usage: { inputTokens: 10, outputTokens: 4 } })
/** Answers as the request asks (JSON or a stream), after `ms` for a JSON answer or before the first chunk of a stream. */
const slowAnswer = (text: string, ms: number) => (request: MockUpstream.RecordedRequest): Reply.Reply => {
  const reply = OpenAiChatWire.answer(script(text))(request)
  return (request.json as { stream?: unknown } | undefined)?.stream === true
    ? reply.pipe(Fault.firstChunkDelay(ms))
    : reply.pipe(Fault.latency(ms))
}

/** A fresh gateway: alias `smart` over a slow primary then a fast backup, hedged after `delay_ms`. */
const setup = (primaryMs: number, routing: GatewayConfig.GatewayConfig["routing"] = { hedge: { delay_ms: 200 } }) =>
  Effect.gen(function*() {
    const pair = yield* servePair({ routing })
    yield* pair.primary.setDefault(OpenAiChatWire.route, slowAnswer("from primary", primaryMs))
    yield* pair.backup.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer(script("from backup")))
    return pair
  })

const post = (url: string, body: Record<string, unknown> = {}) => postChat(url, body)

/**
 * The backup was asked about 200 ms (the configured delay) after the primary, as the upstreams saw
 * it: the delay runs from the attempt's start, before the primary's first connection is made.
 */
const hedgedAtTheDelay = (primary: MockUpstream.MockUpstreamShape, backup: MockUpstream.MockUpstreamShape) =>
  Effect.gen(function*() {
    const [first] = yield* primary.requests
    const [hedge] = yield* backup.requests
    const gap = hedge!.receivedAt - first!.receivedAt
    assert.isAtLeast(gap, 120)
    assert.isBelow(gap, 450)
  })

const HEDGED = "primary/big:primary=cancelled, backup/small:hedge=ok"
const SKIPPED = "primary/big:primary=ok(hedge skipped: budget)"

describe("hedging on a fresh gateway", () => {
  it.live("the very first plain request is hedged at the configured delay: the backup answers, the primary's connection is closed", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup(3000)
      const r = yield* post(url)
      assert.strictEqual(r.status, 200)
      assert.strictEqual(content(r), "from backup")
      yield* hedgedAtTheDelay(primary, backup)
      assert.isBelow(r.elapsed, 2000, "answered long before the slow primary (3 s)")
      assert.strictEqual(r.headers.get("x-switchyard-attempts"), HEDGED)
      const exchange = yield* primary.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }))

  it.live("the very first streamed request is hedged at the configured delay: the backup answers, the primary's connection is closed", () =>
    Effect.gen(function*() {
      const { backup, primary, url } = yield* setup(3000)
      const r = yield* post(url, { stream: true })
      assert.strictEqual(r.status, 200)
      assert.strictEqual(streamed(r), "from backup")
      yield* hedgedAtTheDelay(primary, backup)
      assert.isBelow(r.elapsed, 2000, "answered long before the slow primary (3 s)")
      assert.strictEqual(r.headers.get("x-switchyard-attempts"), HEDGED)
      const exchange = yield* primary.awaitOutcome(0).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(exchange.outcome._tag, "ClosedByClient")
    }))

  it.live("a hedge the budget refuses is named in x-switchyard-attempts, with no extra attempt", () =>
    Effect.gen(function*() {
      const { backup, url } = yield* setup(500)
      assert.strictEqual((yield* post(url)).headers.get("x-switchyard-attempts"), HEDGED)
      // Right after: the floor is spent and 2 requests earn 0.2 hedges.
      const r = yield* post(url)
      assert.strictEqual(content(r), "from primary")
      assert.strictEqual(r.headers.get("x-switchyard-attempts"), SKIPPED)
      assert.lengthOf(yield* backup.exchanges, 1)
    }))

  it.live("under a burst the hedges the upstreams see stay within ratio × requests + floor × seconds", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const { backup, url } = yield* setup(400, { hedge: { delay_ms: 100 } })
      const waves = 4
      const perWave = 15
      const results: Array<Result> = []
      for (let w = 0; w < waves; w++) {
        results.push(...(yield* Effect.all(Array.from({ length: perWave }, () => post(url)), { concurrency: "unbounded" })))
      }
      const elapsedSeconds = (Date.now() - started) / 1000
      const n = waves * perWave
      const hedges = (yield* backup.exchanges).length
      const headers = results.map((r) => r.headers.get("x-switchyard-attempts"))
      // Every primary outlived the delay: each request was hedged or says why not.
      assert.strictEqual(headers.filter((h) => h === HEDGED).length, hedges)
      assert.strictEqual(headers.filter((h) => h === SKIPPED).length, n - hedges)
      assert.isAtLeast(hedges, 1)
      assert.isAtMost(hedges, 0.1 * n + 1 * elapsedSeconds + 1)
    }))
})
