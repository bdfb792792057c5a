/**
 * What a request may ask of routing, beyond its `model`: more models to fall back on (OpenRouter's
 * `"models": [...]` in the body), and per-request settings in headers: `x-switchyard-deadline-ms`,
 * `x-switchyard-first-token-ms`, `x-switchyard-idle-ms`, `x-switchyard-attempt-ms` (a whole answer's
 * attempt), `x-switchyard-hedge-ms` (`off` disables hedging). A malformed hint is a 400 naming it, on
 * every endpoint.
 */
import { Effect } from "effect"
import { HttpServerRequest } from "effect/http"
import type { Gateway, RoutingConfig } from "@switchyard/gateway"
import { ErrorBody } from "@switchyard/translate"

const millis = (headers: Readonly<Record<string, string | undefined>>, name: string) => {
  const value = headers[name]
  if (value === undefined) return Effect.succeed(undefined)
  return /^\d{1,9}$/.test(value)
    ? Effect.succeed(Number(value))
    : Effect.fail(ErrorBody.badRequest(`Invalid header ${name}: expected a number of milliseconds.`, name))
}

/** The routing part of the caller, from the request's headers and the body's `models`. */
export const fromRequest = (models: ReadonlyArray<string> | undefined) =>
  Effect.gen(function*() {
    const { headers } = yield* HttpServerRequest.HttpServerRequest
    const deadline = yield* millis(headers, "x-switchyard-deadline-ms")
    const firstToken = yield* millis(headers, "x-switchyard-first-token-ms")
    const idle = yield* millis(headers, "x-switchyard-idle-ms")
    const attempt = yield* millis(headers, "x-switchyard-attempt-ms")
    const hedgeHeader = headers["x-switchyard-hedge-ms"]
    const hedge = hedgeHeader === "off" ? null : yield* millis(headers, "x-switchyard-hedge-ms")
    const routing: RoutingConfig.RequestRouting = {
      ...(deadline === undefined ? {} : { deadline_ms: deadline }),
      // A client's limit is for every attempt, the last route's too.
      ...(firstToken === undefined ? {} : { first_token_ms: firstToken, last_first_token_ms: firstToken }),
      ...(idle === undefined ? {} : { idle_ms: idle }),
      ...(attempt === undefined ? {} : { attempt_ms: attempt, last_attempt_ms: attempt }),
      ...(hedge === undefined ? {} : { hedge: hedge === null ? null : { delay_ms: hedge } })
    }
    return { routing, fallbackModels: models ?? [] } satisfies Gateway.Caller
  })
