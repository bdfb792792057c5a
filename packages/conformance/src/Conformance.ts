/**
 * The wire conformance run: replays every recorded case of a fixture folder through the adapter
 * that reads it and checks the result against the manifest. Streams are replayed twice, whole and
 * cut into 7-byte network chunks, and must give the same answer both times.
 */
import { Effect, FileSystem, Path, Schema } from "effect"
import { ErrorClassifier } from "@switchyard/core"
import { Replay } from "@switchyard/testing"
import * as Check from "./Check.ts"
import * as Dialects from "./Dialects.ts"
import { type Case, Manifest } from "./Manifest.ts"

export interface CaseResult {
  readonly file: string
  readonly mismatches: ReadonlyArray<string>
}

const context = (c: Case) => ({ provider: c.provider, model: "recorded" })

const runStream = (c: Case, bytes: Uint8Array) =>
  Effect.gen(function*() {
    const dialect = Dialects.forCase(c)
    const whole = yield* Replay.stream(dialect, [bytes], context(c))
    const split = yield* Replay.stream(dialect, Replay.chunked(bytes, 7), context(c))
    const mismatches = Check.outputMismatches(c.expected, whole)
    const wholeJson = JSON.stringify(whole.response)
    if (JSON.stringify(split.response) !== wholeJson) mismatches.push("7-byte chunks gave a different result than whole bytes")
    return mismatches
  })

const runError = (c: Case, text: string): Array<string> => {
  const dialect = Dialects.forCase(c)
  const headers = Object.fromEntries(
    Object.entries(c.headers ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? String(v[0]) : String(v)])
  )
  const error = ErrorClassifier.classify({ provider: c.provider, status: c.http_status ?? undefined, headers, body: text }, dialect.errorRules)
  return Check.errorMismatches(
    error,
    { category: c.expected.category ?? "unknown", ...(c.expected.retryable === undefined ? {} : { retryable: c.expected.retryable }) },
    c.expected.acceptable_alternatives
  )
}

const runResponse = (c: Case, text: string) =>
  Effect.gen(function*() {
    const body = JSON.parse(text) as unknown
    const result = yield* Dialects.forCase(c, body).decodeResponse(body, context(c)).pipe(Effect.result)
    if (result._tag === "Failure") return [`decode failed: ${result.failure.category}: ${result.failure.message}`]
    return Check.outputMismatches(c.expected, { response: result.success, error: undefined })
  })

/** Checks one case; an adapter that throws is a failed case with the reason, never a crash of the run. */
export const runCase = (dir: string, c: Case) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const bytes = yield* fs.readFile(path.join(dir, c.file))
    const text = new TextDecoder().decode(bytes)
    const mismatches = c.kind === "stream"
      ? yield* runStream(c, bytes)
      : c.kind === "error"
      ? runError(c, text)
      : yield* runResponse(c, text)
    return { file: c.file, mismatches } satisfies CaseResult
  }).pipe(
    Effect.catchCause((cause) => Effect.succeed({ file: c.file, mismatches: [`run failed: ${String(cause)}`] }))
  )

/** Reads `dir/MANIFEST.json` and checks every case. */
export const run = (dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const manifest = yield* fs.readFileString(path.join(dir, "MANIFEST.json")).pipe(
      Effect.flatMap(Schema.decodeUnknownEffect(Schema.fromJsonString(Manifest)))
    )
    return yield* Effect.forEach(manifest, (c) => runCase(dir, c))
  })

/** The report: one line per case, failures with their reasons, and the `N passed, N failed` total. */
export const report = (results: ReadonlyArray<CaseResult>): string => {
  const lines = results.map((r) =>
    r.mismatches.length === 0 ? `PASS ${r.file}` : `FAIL ${r.file}\n${r.mismatches.map((m) => `     - ${m}`).join("\n")}`
  )
  const failed = results.filter((r) => r.mismatches.length > 0).length
  return [...lines, "", `${results.length - failed} passed, ${failed} failed`].join("\n")
}
