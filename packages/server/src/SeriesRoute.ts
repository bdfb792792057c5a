/**
 * `GET /v1/series`: the ledger's attempts over time, for charts: per `bucket` (default `1m`; `hour`,
 * `day`, seconds or a duration, as `/v1/usage` takes it) since `since` (default `1h`, at most 1440
 * buckets), each bucket's attempts, errors, error rate and p50/p95/p99 latency (computed by the
 * ledger's store, `Ledger.figures`);
 * buckets start on multiples of the bucket size, as `/v1/usage`'s do, and empty ones are listed.
 * Filters `provider`, `model`, `key`, `alias`. Spend over time is `/v1/usage` with `bucket` and
 * `group_by`. Admin keys only.
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { Ledger } from "@switchyard/gateway"
import * as Figures from "./Figures.ts"
import * as LedgerQuery from "./LedgerQuery.ts"
import * as UsageRoute from "./UsageRoute.ts"

export const handler = LedgerQuery.route(({ now, params }) =>
  Effect.gen(function*() {
    const from = yield* LedgerQuery.since(params, now, 3_600_000)
    const size = (yield* LedgerQuery.bucket(params.get("bucket"))) ?? 60_000
    if ((now - from) / size > 1440) return yield* Effect.fail(LedgerQuery.bad("bucket", "at most 1440 buckets in the window"))
    const rows = yield* Ledger.figures({ from, to: now + 1, where: UsageRoute.filters(params), bucket: size })
    return HttpServerResponse.jsonUnsafe({
      object: "series",
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      bucket_ms: size,
      data: Figures.series(rows, { from, to: now + 1, size }).map(({ figures, start }) => ({
        bucket_start: new Date(start).toISOString(),
        ...Figures.json(figures)
      }))
    })
  }))
