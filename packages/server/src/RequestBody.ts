/**
 * Reads and decodes a JSON request body against a schema, turning each way it can be wrong into a
 * 400 that names the field and what was expected.
 */
import { Effect, Schema } from "effect"
import { HttpServerRequest } from "effect/http"
import { SchemaErrors } from "@switchyard/core"
import * as ErrorBody from "./ErrorBody.ts"

export const decode = <S extends Schema.Top>(schema: S) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const text = yield* request.text.pipe(
      Effect.mapError(() => ErrorBody.badRequest("Could not read the request body."))
    )
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => ErrorBody.badRequest("The request body is not valid JSON.", null, "invalid_json")
    })
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
