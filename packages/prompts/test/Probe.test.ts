import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Probe } from "@switchyard/prompts"
import { mockCall, request, review } from "./fixtures.ts"

describe("Probe", () => {
  it.effect("counts per route how answers honoured the contract, with cost and progress", () =>
    Effect.gen(function*() {
      const progress: Array<string> = []
      const rows = yield* Probe.run({
        request,
        contract: review,
        routes: ["clean/model", "dramatic/model", "counting/model", "deaf/model"],
        runs: 2,
        call: mockCall().call,
        price: (_route, usage) => Effect.succeed((usage.inputTokens * 2 + usage.outputTokens * 8) / 1_000_000),
        onProgress: (done, total) => progress.push(`${done}/${total}`)
      })
      assert.deepStrictEqual(rows.map((r) => [r.route, r.passed, r.repaired, r.reasked, r.failed]), [
        ["clean/model", 2, 0, 0, 0],
        ["dramatic/model", 0, 2, 0, 0],
        // The mock's second answer is right, and it repeats: the second run passes as is.
        ["counting/model", 1, 0, 1, 0],
        ["deaf/model", 0, 0, 0, 2]
      ])
      assert.deepStrictEqual(progress, ["1/8", "2/8", "3/8", "4/8", "5/8", "6/8", "7/8", "8/8"])
      // Each answer: 100 × $2/M + 50 × $8/M = $0.0006; the deaf model answered twice per run.
      assert.closeTo(rows[0]!.costUsd!, 0.0012, 1e-12)
      assert.closeTo(rows[3]!.costUsd!, 0.0024, 1e-12)
      assert.deepStrictEqual(rows[1]!.repairs, { mapEnumSynonyms: 2 })

      const table = Probe.renderTable(rows)
      assert.match(table, /dramatic\/model\s+0\/2\s+2\/2\s+0\/2\s+0\/2/)
      assert.include(table, "deaf/model: (answer) expected JSON")
      const json = JSON.parse(Probe.renderJson("code_review", rows))
      assert.strictEqual(json.routes[3].failed, 2)
      assert.include(Probe.renderMarkdown("code_review", rows), "| clean/model | 2/2 | 0/2 | 0/2 | 0/2 |")
    }))
})
