/**
 * The probe recipe: `switchyard probe` as a user runs it, against an OpenAI upstream that answers
 * the prompt as written for it and an Anthropic upstream that drifts (a fenced answer, a synonym the
 * contract declares, a missing field). The matrix on stdout is the one the page shows.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AnthropicWire, MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, environment, read, scratchWith, switchyard } from "../../test/Docs.ts"

/** A matrix without what varies from run to run: latencies, and the column widths they set. */
const normalize = (matrix: string) =>
  matrix.trim().split("\n").map((line) => line.replace(/\d+ ms/, "N ms").replace(/-{2,}/g, "-").replace(/\s+/g, " ").trim())

/** The block after `<!-- output: probe -->` in the page. */
const shownMatrix = () => /<!-- output: probe -->\s*\n```text\n([\s\S]*?)\n```/.exec(read(beside(import.meta.url, "../probe-openai-to-claude.md")))![1]!

const good = { sentiment: "mixed", topics: ["performance", "csv export"] }

describe("cookbook: moving a prompt from OpenAI to Claude with switchyard probe", () => {
  it.live("prints the portability matrix shown in the page", () =>
    Effect.gen(function*() {
      const openai = yield* MockUpstream.make()
      const anthropic = yield* MockUpstream.make()
      const usage = { inputTokens: 60, outputTokens: 20 }
      yield* openai.setDefault(OpenAiChatWire.route, OpenAiChatWire.json({ text: [JSON.stringify(good)], usage }))
      yield* anthropic.enqueue(
        AnthropicWire.route,
        AnthropicWire.json({ text: ["```json\n" + JSON.stringify(good) + "\n```"], usage }),
        AnthropicWire.json({ text: [JSON.stringify({ ...good, sentiment: "ambivalent" })], usage }),
        AnthropicWire.json({ text: [JSON.stringify({ sentiment: "mixed" })], usage }),
        AnthropicWire.json({ text: [JSON.stringify(good)], usage })
      )
      // The files in a scratch folder, where the probe's ledger is written.
      const dir = scratchWith(["switchyard.yaml", "prompt.yaml", "contract.yaml"].map((name) => beside(import.meta.url, name)))
      const result = yield* switchyard(
        ["probe", "--config", "switchyard.yaml", "--prompt", "prompt.yaml", "--contract", "contract.yaml",
          "--models", "openai/gpt-5-mini,anthropic/claude-sonnet-4-5", "--runs", "3"],
        dir,
        environment({
          OPENAI_API_KEY: "sk-openai-0123456789",
          OPENAI_BASE_URL: `${openai.url}/v1`,
          ANTHROPIC_API_KEY: "sk-ant-0123456789",
          ANTHROPIC_BASE_URL: `${anthropic.url}/v1`
        })
      )
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(normalize(result.stdout), normalize(shownMatrix()))
      // Claude's third run was asked again, with what was missing.
      const reask = (yield* anthropic.requests)[3]!.json as { messages: ReadonlyArray<{ content: unknown }> }
      assert.include(JSON.stringify(reask.messages.at(-1)), "topics")
    }))
})
