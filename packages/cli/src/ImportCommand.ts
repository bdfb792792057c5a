/**
 * `switchyard import <file>`: converts a LiteLLM or Portkey config, checks the result with the
 * gateway's config loader, writes it as YAML and prints the report (or all of it as JSON).
 */
import { Console, Effect, FileSystem } from "effect"
import * as Import from "./Import.ts"
import { failure } from "./internal/failure.ts"

export interface ImportOptions {
  readonly file: string
  readonly from: Import.Format | undefined
  /** Where to write the YAML; `-` prints it instead. */
  readonly out: string
  readonly alias: string | undefined
  readonly json: boolean
}

export const run = (options: ImportOptions): Effect.Effect<void, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(options.file).pipe(
      Effect.mapError((error) => new Import.ImportError({ source: options.file, reason: `cannot read the file: ${error.message}` }))
    )
    const doc = yield* Import.parse(text, options.file)
    const conversion = yield* Import.convert(doc, options.file, options.from, { alias: options.alias })
    // A converter bug must not leave the user a file the gateway refuses.
    yield* Import.check(conversion, options.out).pipe(
      Effect.mapError((error) => new Import.ImportError({ source: options.file, reason: `the converted config does not load (a bug in the converter):\n${error.message}` }))
    )
    const yaml = Import.toYaml(conversion, options.file)
    if (options.out !== "-") {
      if (yield* fs.exists(options.out).pipe(Effect.orElseSucceed(() => false))) {
        return yield* new Import.ImportError({ source: options.file, reason: `${options.out} exists; remove it or choose another --out` })
      }
      yield* fs.writeFileString(options.out, yaml).pipe(
        Effect.mapError((error) => new Import.ImportError({ source: options.file, reason: `cannot write ${options.out}: ${error.message}` }))
      )
    }
    if (options.json) {
      return yield* Console.log(JSON.stringify({
        from: conversion.from,
        out: options.out === "-" ? null : options.out,
        config: conversion.config,
        variables: conversion.variables,
        report: conversion.report
      }, null, 2))
    }
    if (options.out === "-") yield* Console.log(yaml)
    const log = options.out === "-" ? Console.error : Console.log
    const counts = (["mapped", "approximate", "unsupported"] as const).map((s) => `${conversion.report.filter((i) => i.status === s).length} ${s}`)
    yield* log(`${options.out === "-" ? "Converted" : `Wrote ${options.out}`} from ${options.file} (${conversion.from}): ${counts.join(", ")}`)
    yield* log(Import.render(conversion.report))
    if (conversion.variables.length > 0) {
      yield* log(`\nSet before \`switchyard serve\`: ${conversion.variables.map((v) => v.name).join(", ")}`)
    }
  }).pipe(Effect.catchTag("ImportError", (error) => failure(error.message)))
