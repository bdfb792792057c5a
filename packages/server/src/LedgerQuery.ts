/**
 * What the admin routes over the cost ledger share (`/v1/usage`, `/v1/routes`, `/v1/requests`,
 * `/v1/series`): admin keys only, the query's times and durations decoded with every way they can
 * be wrong naming their parameter, and a ledger that fails answered as a 500 `ledger_unavailable`.
 */
import { Clock, Effect } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { Ledger } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as Endpoint from "./Endpoint.ts"
import * as ErrorResponse from "./ErrorResponse.ts"

/** A query's parameters (the last of a repeated one). */
export type Params = ReadonlyMap<string, string>

/** A 400 naming the parameter and what it should have been. */
export const bad = (param: string, expected: string) => ErrorBody.badRequest(`Invalid \`${param}\`: expected ${expected}.`, param)

/** A point in time: ISO 8601 or epoch milliseconds; `fallback` when absent. */
export const time = (param: string, value: string | undefined, fallback: number): Effect.Effect<number, ErrorBody.HttpError> => {
  if (value === undefined) return Effect.succeed(fallback)
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  // ±8.64e15 ms is the range of a JavaScript Date.
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? Effect.succeed(ms)
    : Effect.fail(bad(param, "an ISO 8601 date or epoch milliseconds"))
}

const units: ReadonlyMap<string, number> = new Map([["s", 1000], ["m", 60_000], ["h", 3_600_000], ["d", 86_400_000]])

/** `30s`, `15m`, `1h`, `7d` in milliseconds; `undefined` for anything else. */
export const duration = (value: string): number | undefined => {
  const match = /^(\d{1,9})([smhd])$/.exec(value)
  return match === null ? undefined : Number(match[1]) * units.get(match[2]!)!
}

/** The start of a window ending `now`: `since` as a duration back (`15m`) or a time; else `fallback` ms back. */
export const since = (params: Params, now: number, fallback: number): Effect.Effect<number, ErrorBody.HttpError> => {
  const value = params.get("since")
  const back = value === undefined ? fallback : duration(value)
  return back !== undefined
    ? Effect.succeed(now - back)
    : Effect.mapError(time("since", value, now), () => bad("since", "a duration (30s, 15m, 1h, 7d), an ISO 8601 date or epoch milliseconds"))
}

/** A time bucket: `hour`, `day`, a number of seconds, or a duration (`5m`); `undefined` when absent. */
export const bucket = (value: string | undefined): Effect.Effect<number | undefined, ErrorBody.HttpError> => {
  if (value === undefined) return Effect.succeed(undefined)
  const ms = value === "hour"
    ? 3_600_000
    : value === "day"
    ? 86_400_000
    : /^\d{1,9}$/.test(value)
    ? Number(value) * 1000
    : duration(value)
  return ms !== undefined && ms > 0 ? Effect.succeed(ms) : Effect.fail(bad("bucket", "hour, day, a number of seconds, or a duration (1m)"))
}

/** An integer parameter within `[min, max]`, `fallback` when absent. */
export const integer = (params: Params, param: string, min: number, max: number, fallback: number): Effect.Effect<number, ErrorBody.HttpError> => {
  const value = params.get(param)
  if (value === undefined) return Effect.succeed(fallback)
  const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN
  return n >= min && n <= max ? Effect.succeed(n) : Effect.fail(bad(param, `an integer from ${min} to ${max}`))
}

/** What an admin ledger route is given: the query and the time it runs at. */
export interface Query {
  readonly params: Params
  readonly now: number
}

/** An admin-only route whose handler may fail with a client's error or the ledger's. */
export const route = <R>(
  handler: (query: Query) => Effect.Effect<HttpServerResponse.HttpServerResponse, ErrorBody.HttpError | Ledger.LedgerError, R>
) =>
  Endpoint.make({ admin: true }, ({ refuse }) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const params = new Map(new URL(request.url, "http://gateway").searchParams)
      const now = yield* Clock.currentTimeMillis
      return yield* handler({ params, now }).pipe(
        Effect.catch((error) =>
          Effect.succeed(refuse(error instanceof Ledger.LedgerError ? ErrorResponse.ledgerUnavailable(error.message) : error))
        )
      )
    }))
