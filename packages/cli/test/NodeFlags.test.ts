import { assert, describe, it } from "@effect/vitest"
import { LARGE_HEAP_LIMIT, restartFlags, SEMI_SPACE_MB } from "../src/NodeFlags.ts"

const large = { args: ["serve"], execArgv: [], nodeOptions: undefined, heapSizeLimit: 4288 * 2 ** 20 }

describe("NodeFlags.restartFlags", () => {
  it("sizes the young generation for `serve` when V8 sized the heap for a large machine", () => {
    assert.deepStrictEqual(restartFlags(large), [`--max-semi-space-size=${SEMI_SPACE_MB}`])
    assert.deepStrictEqual(restartFlags({ ...large, args: ["serve", "--port", "0"], nodeOptions: "--conditions=x" }), [
      "--max-semi-space-size=16"
    ])
  })

  it("changes nothing where V8 keeps the heap small (a container, a small machine)", () => {
    assert.deepStrictEqual(restartFlags({ ...large, heapSizeLimit: LARGE_HEAP_LIMIT }), [])
    assert.deepStrictEqual(restartFlags({ ...large, heapSizeLimit: 260 * 2 ** 20 }), [])
  })

  it("keeps a size the operator chose, in the command line or NODE_OPTIONS, in either spelling", () => {
    assert.deepStrictEqual(restartFlags({ ...large, execArgv: ["--max-semi-space-size=64"] }), [])
    assert.deepStrictEqual(restartFlags({ ...large, execArgv: ["--max_semi_space_size", "8"] }), [])
    assert.deepStrictEqual(restartFlags({ ...large, nodeOptions: "--conditions=x --max-semi-space-size=8" }), [])
  })

  it("leaves short-lived commands alone (a restart costs a Node start)", () => {
    assert.deepStrictEqual(restartFlags({ ...large, args: ["costs", "--since", "1d"] }), [])
    assert.deepStrictEqual(restartFlags({ ...large, args: [] }), [])
  })
})
