/**
 * The dashboard's data routes over the real server and a scripted mix (see `dashboardScenario.ts`):
 * routes with their breakers and figures, recent requests with their attempts, series per bucket,
 * all for admin keys only; and the figures' arithmetic.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Ledger } from "@switchyard/gateway"
import { Figures } from "@switchyard/server"
import { adminKey, clientKey, getJson, serveMix } from "./dashboardScenario.ts"

describe("dashboard data routes", () => {
  it.live("GET /v1/routes: every alias's routes with their breaker and figures from the ledger", () =>
    Effect.gen(function*() {
      const { sent, url } = yield* serveMix
      assert.deepStrictEqual(sent.map((s) => s.status), [200, 200, 200, 200, 200, 400])
      const { body, status } = yield* getJson(`${url}/v1/routes?since=5m`)
      assert.strictEqual(status, 200)
      const rows = body.data.map((r: any) => [r.alias, r.route, r.breaker, r.attempts, r.errors])
      assert.deepStrictEqual(rows, [
        ["smart", "primary/big", "open", 4, 2],
        ["smart", "backup/small", "closed", 3, 0],
        ["solo", "flaky/m", "closed", 1, 1]
      ])
      const primary = body.data[0]
      assert.strictEqual(primary.error_rate, 0.5)
      assert.isNumber(primary.p50_ms)
      assert.isAtLeast(primary.p95_ms, primary.p50_ms)
    }))

  it.live("GET /v1/requests: newest first, each with its attempts; GET /v1/requests/{id} for one", () =>
    Effect.gen(function*() {
      const { sent, url } = yield* serveMix
      const { body } = yield* getJson(`${url}/v1/requests?limit=4`)
      assert.deepStrictEqual(body.data.map((r: any) => r.id), sent.slice(2).map((s) => s.id).reverse())
      const [refused, pastBreaker, opening] = body.data
      assert.deepStrictEqual([refused.model, refused.outcome, refused.attempts.length], ["solo", "bad_request", 1])
      // The open breaker skipped primary without a call, so backup's was the request's first (a `primary` row).
      assert.deepStrictEqual(pastBreaker.attempts.map((a: any) => [a.provider, a.role, a.outcome]), [["backup", "primary", "ok"]])
      assert.deepStrictEqual(opening.attempts.map((a: any) => [a.provider, a.role, a.outcome]), [
        ["primary", "primary", "overloaded"],
        ["backup", "fallback", "ok"]
      ])
      assert.strictEqual(opening.key, "team-a")
      assert.strictEqual(opening.outcome, "ok")
      assert.strictEqual(opening.attempts[1].input_tokens, 8000)
      // backup/small: 8,000 in × $0.5/M + 1,000 out × $2/M.
      assert.closeTo(opening.attempts[1].cost_usd, 0.006, 1e-12)
      const one = yield* getJson(`${url}/v1/requests/${opening.id}`)
      assert.deepStrictEqual(one.body, opening)
      const missing = yield* getJson(`${url}/v1/requests/req_nothing`)
      assert.strictEqual(missing.status, 404)
    }))

  it.live("GET /v1/series: per bucket, attempts and errors that add up to the ledger's, empty buckets listed", () =>
    Effect.gen(function*() {
      const { url } = yield* serveMix
      const { body } = yield* getJson(`${url}/v1/series?since=10m&bucket=1m`)
      assert.strictEqual(body.bucket_ms, 60_000)
      assert.oneOf(body.data.length, [10, 11])
      const sum = (field: string) => body.data.reduce((s: number, b: any) => s + b[field], 0)
      const usage = yield* getJson(`${url}/v1/usage`)
      assert.strictEqual(sum("attempts"), usage.body.totals.attempts)
      assert.strictEqual(sum("errors"), 3)
      assert.isTrue(body.data.some((b: any) => b.attempts === 0 && b.p50_ms === null))
      const spend = yield* getJson(`${url}/v1/usage?bucket=1m&group_by=provider`)
      assert.deepStrictEqual([...new Set(spend.body.data.map((r: any) => r.provider))].sort(), ["backup", "flaky", "primary"])
    }))

  it.live("admin keys only: 403 to a client key, 401 without one; bad parameters are 400s naming them", () =>
    Effect.gen(function*() {
      const { url } = yield* serveMix
      for (const path of ["/v1/routes", "/v1/requests", "/v1/requests/x", "/v1/series", "/v1/usage"]) {
        assert.strictEqual((yield* getJson(`${url}${path}`, clientKey)).status, 403, path)
        assert.strictEqual((yield* getJson(`${url}${path}`, "sk-wrong-0123456789")).status, 401, path)
      }
      const since = yield* getJson(`${url}/v1/routes?since=soon`, adminKey)
      assert.deepStrictEqual([since.status, since.body.error.param], [400, "since"])
      const limit = yield* getJson(`${url}/v1/requests?limit=0`, adminKey)
      assert.deepStrictEqual([limit.status, limit.body.error.param], [400, "limit"])
      const buckets = yield* getJson(`${url}/v1/series?since=7d&bucket=1s`, adminKey)
      assert.deepStrictEqual([buckets.status, buckets.body.error.param], [400, "bucket"])
    }))
})

describe("Figures", () => {
  it("json: the error rate is errors over attempts, 0 with none", () => {
    assert.deepStrictEqual(Figures.json({ attempts: 20, errors: 1, p50: 100, p95: 5000, p99: 5000 }), {
      attempts: 20,
      errors: 1,
      error_rate: 0.05,
      p50_ms: 100,
      p95_ms: 5000,
      p99_ms: 5000
    })
    assert.deepStrictEqual(Figures.json(Figures.none), { attempts: 0, errors: 0, error_rate: 0, p50_ms: null, p95_ms: null, p99_ms: null })
  })

  it("series: epoch-aligned buckets over the window, empty ones included", () => {
    const row = (bucket: number, attempts: number, errors: number): Ledger.FiguresRow => ({
      group: {},
      bucket,
      figures: { ...Figures.none, attempts, errors }
    })
    const buckets = Figures.series([row(1000, 1, 0), row(1500, 1, 1)], { from: 950, to: 2_100, size: 500 })
    assert.deepStrictEqual(buckets.map((b) => [b.start, b.figures.attempts, b.figures.errors]), [
      [500, 0, 0],
      [1000, 1, 0],
      [1500, 1, 1],
      [2000, 0, 0]
    ])
  })
})
