#!/usr/bin/env node
/**
 * `npm run test:wire -- DIR`: the wire conformance run over a fixture folder. Exits 1 on any failure.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Console, Effect } from "effect"
import * as Conformance from "./Conformance.ts"

const dir = process.argv[2]

const main = Effect.gen(function*() {
  if (dir === undefined) {
    yield* Console.error("usage: npm run test:wire -- DIR   (a folder with MANIFEST.json)")
    process.exitCode = 2
    return
  }
  const results = yield* Conformance.run(dir)
  yield* Console.log(Conformance.report(results))
  if (results.some((r) => r.mismatches.length > 0)) process.exitCode = 1
})

NodeRuntime.runMain(main.pipe(Effect.provide(NodeServices.layer)))
