/**
 * `GET /v1/requests` and `GET /v1/requests/{id}`: requests as the cost ledger holds them, each with
 * its attempts (provider, model, role, outcome, start, latency, tokens, cost). The list is the
 * `limit` (default 50, at most 500) most recent requests with attempts since `since` (default the
 * last 24 hours), newest first; filters `provider`, `model`, `key`, `alias` select attempts. The id
 * is the request's `x-request-id`. Admin keys only.
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { Ledger } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"
import * as Figures from "./Figures.ts"
import * as LedgerQuery from "./LedgerQuery.ts"
import * as UsageRoute from "./UsageRoute.ts"

const attempt = (e: Ledger.Entry) => ({
  provider: e.provider,
  model: e.model,
  role: e.role,
  outcome: e.outcome,
  started_at: new Date(e.timestamp).toISOString(),
  latency_ms: e.latencyMs,
  input_tokens: e.usage.inputTokens,
  output_tokens: e.usage.outputTokens,
  cached_input_tokens: e.usage.cachedInputTokens,
  reasoning_tokens: e.usage.reasoningTokens ?? null,
  usage_source: e.usage.source,
  cost_usd: e.cost
})

/**
 * One request from its attempts (oldest first): `ok` when an attempt answered, else the last
 * error; its duration from the first attempt's start to the last attempt's end; its sums.
 */
export const request = (attempts: ReadonlyArray<Ledger.Entry>) => {
  const first = attempts[0]!
  const failed = attempts.filter(Ledger.isError)
  const known = attempts.flatMap((e) => (e.cost === null ? [] : [e.cost]))
  return {
    id: first.requestId,
    model: first.modelAlias,
    key: first.apiKeyId,
    started_at: new Date(first.timestamp).toISOString(),
    duration_ms: Math.max(...attempts.map((e) => e.timestamp + e.latencyMs)) - first.timestamp,
    outcome: attempts.some((e) => e.outcome === "ok") ? "ok" : failed.at(-1)?.outcome ?? attempts.at(-1)!.outcome,
    input_tokens: attempts.reduce((sum, e) => sum + e.usage.inputTokens, 0),
    output_tokens: attempts.reduce((sum, e) => sum + e.usage.outputTokens, 0),
    cost_usd: known.reduce((sum, c) => sum + c, 0),
    unknown_cost_attempts: attempts.length - known.length,
    attempts: attempts.map(attempt)
  }
}

/** `GET /v1/requests`. */
export const list = LedgerQuery.route(({ now, params }) =>
  Effect.gen(function*() {
    const from = yield* LedgerQuery.since(params, now, 86_400_000)
    const limit = yield* LedgerQuery.integer(params, "limit", 1, 500, 50)
    const entries = yield* Ledger.requests({ from, to: now + 1, where: UsageRoute.filters(params), limit })
    return HttpServerResponse.jsonUnsafe({
      object: "list",
      from: new Date(from).toISOString(),
      data: [...Figures.group(entries, (e) => e.requestId).values()].map(request)
    })
  }))

/** `GET /v1/requests/{id}`. */
export const retrieve = LedgerQuery.route(() =>
  Effect.gen(function*() {
    const id = (yield* HttpRouter.params)["id"] ?? ""
    const attempts = yield* Ledger.request(id)
    return attempts.length === 0
      ? yield* Effect.fail(ErrorBody.notFound(`No request "${id}" in the cost ledger.`))
      : HttpServerResponse.jsonUnsafe(request(attempts))
  }))
