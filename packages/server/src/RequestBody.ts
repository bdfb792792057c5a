/**
 * Reads and decodes a JSON request body against a schema, turning each way it can be wrong into a
 * 400 that names the field and what was expected. Bodies are bounded before any work is done on
 * them: a declared length over the limit is refused with 413 before a byte is read, a body that grows
 * past it is cut off and refused the same way, and JSON nested deeper than the limit is a 400 (deep
 * nesting costs recursion everywhere downstream: schema decoding, tokenizing, schema compiling).
 */
import { ByteSize, Context, Effect, Layer, Schema } from "effect"
import { HttpIncomingMessage, HttpServerRequest } from "effect/http"
import { SchemaErrors } from "@switchyard/core"
import { ErrorBody } from "@switchyard/translate"

export interface Limits {
  /** The largest request body accepted, in bytes. */
  readonly maxBodyBytes: number
  /** The deepest nesting of arrays and objects accepted in a JSON body. */
  readonly maxJsonDepth: number
}

/**
 * 32 MiB, the request size limit of Anthropic's Messages API (images travel inline as base64; no
 * provider accepts more), and 128 levels of JSON: a tool schema 60 levels deep still fits.
 */
export const defaultLimits: Limits = { maxBodyBytes: 32 * 1024 * 1024, maxJsonDepth: 128 }

/** The limits in force (the config's `server` section sets them). */
export const RequestLimits = Context.Reference<Limits>("@switchyard/server/RequestLimits", {
  defaultValue: () => defaultLimits
})

/** `limits` in force, the platform's cap on a body it reads (`HttpIncomingMessage.MaxBodySize`) included. */
export const limitsLayer = (limits: Limits): Layer.Layer<never> =>
  Layer.mergeAll(
    Layer.succeed(RequestLimits, limits),
    Layer.succeed(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(BigInt(limits.maxBodyBytes)))
  )

const tooLarge = (limit: number): ErrorBody.HttpError => ({
  status: 413,
  body: {
    message: `The request body is larger than ${limit} bytes.`,
    type: "bad_request",
    code: "request_too_large",
    param: null,
    provider: null,
    retryable: false
  }
})

/**
 * The deepest nesting of `[` and `{` outside strings, stopping as soon as it passes `limit` (so before
 * `JSON.parse` spends time on it). Jumps from one structural character to the next with native
 * searches, so long strings cost next to nothing.
 */
export const jsonDepth = (text: string, limit: number): number => {
  const structural = /["{}[\]]/g
  let depth = 0
  let deepest = 0
  for (let found = structural.exec(text); found !== null; found = structural.exec(text)) {
    const c = found[0]
    if (c === "\"") {
      const end = stringEnd(text, structural.lastIndex)
      if (end < 0) return deepest
      structural.lastIndex = end + 1
    } else if (c === "{" || c === "[") {
      depth++
      if (depth > deepest && (deepest = depth) > limit) return deepest
    } else {
      depth--
    }
  }
  return deepest
}

/** The index of the quote that closes a string starting at `from`, or -1. */
const stringEnd = (text: string, from: number): number => {
  let at = from
  for (;;) {
    const quote = text.indexOf("\"", at)
    if (quote < 0) return -1
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++
    if (backslashes % 2 === 0) return quote
    at = quote + 1
  }
}

/** The body as text, within the size limit. */
const readText = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const { maxBodyBytes } = yield* RequestLimits
  const declared = Number(request.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBodyBytes) return yield* Effect.fail(tooLarge(maxBodyBytes))
  // The platform's own cap is set to the same limit with the limits (`egressLayer`).
  return yield* request.text.pipe(
    Effect.mapError((error) =>
      error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
        ? tooLarge(maxBodyBytes)
        : ErrorBody.badRequest("Could not read the request body.")
    )
  )
})

/**
 * The body decoded against `schema`; with `knownFields`, a top-level field outside them is refused
 * with a 400 naming it (a field the gateway cannot honour is never silently dropped).
 */
export const decode = <S extends Schema.Top>(schema: S, options: { readonly knownFields?: ReadonlyArray<string> } = {}) =>
  Effect.gen(function*() {
    const text = yield* readText
    const { maxJsonDepth } = yield* RequestLimits
    if (jsonDepth(text, maxJsonDepth) > maxJsonDepth) {
      return yield* Effect.fail(
        ErrorBody.badRequest(`The request body nests JSON deeper than ${maxJsonDepth} levels.`, null, "json_too_deep")
      )
    }
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => ErrorBody.badRequest("The request body is not valid JSON.", null, "invalid_json")
    })
    const unknown = options.knownFields === undefined || typeof json !== "object" || json === null || Array.isArray(json)
      ? undefined
      : Object.keys(json).find((field) => !options.knownFields!.includes(field))
    if (unknown !== undefined) {
      return yield* Effect.fail(ErrorBody.badRequest(
        `Unknown field \`${unknown}\`: this gateway does not support it, and refuses a request rather than drop part of it.`,
        unknown,
        "unknown_field"
      ))
    }
    return yield* Schema.decodeUnknownEffect(schema)(json, { errors: "all" }).pipe(
      Effect.mapError((error) => {
        const first = SchemaErrors.problems(error)[0]
        return ErrorBody.badRequest(
          `Invalid request: ${SchemaErrors.describe(error)}`,
          first === undefined || first.path === "" ? null : first.path
        )
      })
    )
  })
