/**
 * `GET /v1/usage`: what the cost ledger holds, as totals and breakdowns.
 *
 * Query: `from`, `to` (ISO 8601 or epoch ms; default the last 24 hours), `group_by` (comma-separated
 * `provider`, `model`, `key`, `alias`), `bucket` (`hour`, `day`, or seconds), and filters `provider`,
 * `model`, `key`, `alias`. With client keys configured, only admin keys may read it.
 */
import { Clock, Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { CostLedger, type LedgerEntry } from "@switchyard/cost"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorBody from "./ErrorBody.ts"

/** Query names of the ledger's dimensions: a fixed set, never an object lookup on a client's string. */
const dimensionOf: ReadonlyMap<string, LedgerEntry.Dimension> = new Map([
  ["provider", "provider"],
  ["model", "model"],
  ["key", "apiKeyId"],
  ["alias", "modelAlias"]
])

const nameOf = (dimension: LedgerEntry.Dimension): string =>
  [...dimensionOf].find(([, d]) => d === dimension)![0]

const bad = (param: string, expected: string) => ErrorBody.badRequest(`Invalid \`${param}\`: expected ${expected}.`, param)

const time = (param: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return Effect.succeed(fallback)
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  // ±8.64e15 ms is the range of a JavaScript Date.
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? Effect.succeed(ms)
    : Effect.fail(bad(param, "an ISO 8601 date or epoch milliseconds"))
}

/** The query, decoded; every way it can be wrong names its parameter. */
export const parseQuery = (params: ReadonlyMap<string, string>, now: number) =>
  Effect.gen(function*() {
    const to = yield* time("to", params.get("to"), now)
    const from = yield* time("from", params.get("from"), to - 86_400_000)
    const groupBy: Array<LedgerEntry.Dimension> = []
    for (const name of (params.get("group_by") ?? "").split(",").filter((n) => n !== "")) {
      const dimension = dimensionOf.get(name.trim())
      if (dimension === undefined) return yield* Effect.fail(bad("group_by", "a list of provider, model, key, alias"))
      groupBy.push(dimension)
    }
    const bucketParam = params.get("bucket")
    const bucket = bucketParam === undefined
      ? undefined
      : bucketParam === "hour"
      ? 3_600_000
      : bucketParam === "day"
      ? 86_400_000
      : /^\d+$/.test(bucketParam) && Number(bucketParam) > 0
      ? Number(bucketParam) * 1000
      : yield* Effect.fail(bad("bucket", "hour, day, or a number of seconds"))
    const where = Object.fromEntries(
      [...dimensionOf].flatMap(([name, d]) => (params.get(name) === undefined ? [] : [[d, params.get(name)]]))
    )
    return { from, to, groupBy, bucket, where }
  })

const row = (r: LedgerEntry.UsageRow) => ({
  ...Object.fromEntries(Object.entries(r.group).map(([d, v]) => [nameOf(d as LedgerEntry.Dimension), v])),
  ...(r.bucket === undefined ? {} : { bucket_start: new Date(r.bucket).toISOString() }),
  ...totals(r.totals)
})

const totals = (t: LedgerEntry.Totals) => ({
  requests: t.requests,
  attempts: t.attempts,
  cost_usd: t.cost,
  unknown_cost_attempts: t.unknownCost,
  estimated_attempts: t.estimated,
  input_tokens: t.inputTokens,
  output_tokens: t.outputTokens,
  cached_input_tokens: t.cachedInputTokens,
  cache_write_tokens: t.cacheWriteTokens,
  reasoning_tokens: t.reasoningTokens
})

/** `GET /v1/usage`: admin keys only. */
export const handler = Endpoint.make({}, ({ client, refuse }) =>
  Effect.gen(function*() {
    if (!client.admin) return refuse(ErrorBody.forbidden("Reading usage needs an admin key."))
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = new Map(new URL(request.url, "http://gateway").searchParams)
    const query = yield* Effect.result(parseQuery(params, yield* Clock.currentTimeMillis))
    if (query._tag === "Failure") return refuse(query.failure)
    const { bucket, from, groupBy, to, where } = query.success
    const ledger = yield* CostLedger.CostLedger
    const result = yield* Effect.result(Effect.all({
      total: ledger.totals({ from, to, where }),
      rows: ledger.usage({ from, to, where, groupBy, bucket })
    }))
    if (result._tag === "Failure") {
      return refuse({
        status: 500,
        body: { message: result.failure.message, type: "server_error", code: "ledger_unavailable", param: null, provider: null, retryable: true }
      })
    }
    return HttpServerResponse.jsonUnsafe({
      object: "usage",
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      group_by: groupBy.map(nameOf),
      totals: totals(result.success.total),
      data: groupBy.length === 0 && bucket === undefined ? [] : result.success.rows.map(row)
    })
  }))
