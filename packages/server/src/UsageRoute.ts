/**
 * `GET /v1/usage`: what the cost ledger holds, as totals and breakdowns.
 *
 * Query: `from`, `to` (ISO 8601 or epoch ms; default the last 24 hours), `group_by` (comma-separated
 * `provider`, `model`, `key`, `alias`), `bucket` (`hour`, `day`, seconds, or a duration such as
 * `5m`), and filters `provider`, `model`, `key`, `alias`. With client keys configured, only admin
 * keys may read it.
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { Ledger } from "@switchyard/gateway"
import * as LedgerQuery from "./LedgerQuery.ts"

/** Query names of the ledger's dimensions: a fixed set, never an object lookup on a client's string. */
const dimensionOf: ReadonlyMap<string, Ledger.Dimension> = new Map([
  ["provider", "provider"],
  ["model", "model"],
  ["key", "apiKeyId"],
  ["alias", "modelAlias"]
])

const nameOf = (dimension: Ledger.Dimension): string =>
  [...dimensionOf].find(([, d]) => d === dimension)![0]

/** The filters `provider`, `model`, `key`, `alias` of a query. */
export const filters = (params: LedgerQuery.Params): Partial<Record<Ledger.Dimension, string>> =>
  Object.fromEntries([...dimensionOf].flatMap(([name, d]) => (params.get(name) === undefined ? [] : [[d, params.get(name)!]])))

/** The query, decoded; every way it can be wrong names its parameter. */
export const parseQuery = (params: LedgerQuery.Params, now: number) =>
  Effect.gen(function*() {
    const to = yield* LedgerQuery.time("to", params.get("to"), now)
    const from = yield* LedgerQuery.time("from", params.get("from"), to - 86_400_000)
    const groupBy: Array<Ledger.Dimension> = []
    for (const name of (params.get("group_by") ?? "").split(",").filter((n) => n !== "")) {
      const dimension = dimensionOf.get(name.trim())
      if (dimension === undefined) return yield* Effect.fail(LedgerQuery.bad("group_by", "a list of provider, model, key, alias"))
      groupBy.push(dimension)
    }
    const bucket = yield* LedgerQuery.bucket(params.get("bucket"))
    return { from, to, groupBy, bucket, where: filters(params) }
  })

const row = (r: Ledger.UsageRow) => ({
  ...Object.fromEntries(Object.entries(r.group).map(([d, v]) => [nameOf(d as Ledger.Dimension), v])),
  ...(r.bucket === undefined ? {} : { bucket_start: new Date(r.bucket).toISOString() }),
  ...totals(r.totals)
})

const totals = (t: Ledger.Totals) => ({
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
export const handler = LedgerQuery.route(({ now, params }) =>
  Effect.gen(function*() {
    const { bucket, from, groupBy, to, where } = yield* parseQuery(params, now)
    const result = yield* Ledger.usage({ from, to, where, groupBy, bucket })
    return HttpServerResponse.jsonUnsafe({
      object: "usage",
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      group_by: groupBy.map(nameOf),
      totals: totals(result.totals),
      data: groupBy.length === 0 && bucket === undefined ? [] : result.rows.map(row)
    })
  }))
