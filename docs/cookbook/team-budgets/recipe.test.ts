/**
 * The per-team keys recipe: the support team's third long answer of the day would pass its $0.02
 * budget, so it is refused with a 429 `budget_exceeded` before any provider is called; the search
 * team is not affected; an admin key reads the spend per key.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { ask, usageByKey } from "./client.ts"

const keys = { search: "sk-search-team-0123", support: "sk-support-team-0123", ops: "sk-ops-admin-0123" }

describe("cookbook: per-team keys with budgets", () => {
  it.live("refuses the request that would pass a team's budget, and reports spend per key", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      // Long answers: 2,000 tokens in, 4,000 out, about $0.0085 each at gpt-5-mini's price.
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["Done."], usage: { inputTokens: 2000, outputTokens: 4000 } }))
      const url = `${yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
        OPENAI_API_KEY: "sk-openai-0123456789",
        OPENAI_BASE_URL: `${openai.url}/v1`,
        SEARCH_TEAM_KEY: keys.search,
        SUPPORT_TEAM_KEY: keys.support,
        OPS_KEY: keys.ops
      })}/v1`

      const support = []
      for (let i = 0; i < 3; i++) support.push(yield* Effect.promise(() => ask(url, keys.support, "Summarize this ticket.")))
      const search = yield* Effect.promise(() => ask(url, keys.search, "Rewrite this query."))
      const stranger = yield* Effect.promise(() => ask(url, "sk-not-a-team-key", "Hi"))

      assert.deepStrictEqual(support.map((r) => [r.status, r.status === 200 ? r.answer : r.error]), [
        [200, "Done."],
        [200, "Done."],
        [429, "budget_exceeded"]
      ])
      assert.include(support[2]!.message, "support")
      assert.deepStrictEqual([search.status, search.answer], [200, "Done."])
      assert.strictEqual(stranger.status, 401)
      // The refused request never reached the provider.
      assert.lengthOf(yield* openai.requests, 3)

      const usage = yield* Effect.promise(() => usageByKey(url, keys.ops))
      assert.deepStrictEqual(usage.map((row) => [row.key, row.requests]), [["search", 1], ["support", 2]])
      const supportCost = usage.find((row) => row.key === "support")!.cost_usd
      assert.closeTo(supportCost, 2 * (2000 * 0.25 + 4000 * 2) / 1e6, 1e-9)
      // A team key cannot read the ledger.
      const denied = yield* Effect.promise(() => fetch(`${url}/usage`, { headers: { authorization: `Bearer ${keys.search}` } }))
      assert.strictEqual(denied.status, 403)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
