/**
 * `switchyard probe` as a user runs it, against mock upstreams that drift: the JSON on stdout is
 * clean while the progress bar goes to stderr, and the markdown report is written.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { run } from "./processes.ts"


const good = { verdict: "approve", reasons: ["tests pass", "small change"] }

describe("switchyard probe", () => {
  it.live("prints the portability matrix as clean JSON, progress on stderr, and a markdown report", () =>
    Effect.gen(function*() {
      const upstream = yield* MockUpstream.make()
      // One upstream, three "models" that drift differently, chosen by the requested model name.
      yield* upstream.setDefault(OpenAiChatWire.route, (request) => {
        const model = (request.json as { model: string }).model
        const text = model === "fenced"
          ? "```json\n" + JSON.stringify(good) + "\n```"
          : model === "translated"
          ? JSON.stringify({ ...good, verdict: "批准" })
          : "Looks good to me!"
        return OpenAiChatWire.json({ text: [text], usage: { inputTokens: 40, outputTokens: 12 } })
      })
      const dir = mkdtempSync(join(tmpdir(), "switchyard-probe-"))
      const file = (name: string, text: string) => {
        writeFileSync(join(dir, name), text)
        return join(dir, name)
      }
      const config = file("switchyard.yaml", [
        "providers:",
        `  mock: { kind: openai, base_url: "${upstream.url}/v1", api_key: sk-mock-0123456789 }`,
        "routing: { retries: { max: 0 } }"
      ].join("\n"))
      const prompt = file("prompt.yaml", "system: You review pull requests.\nuser: Review this diff and give a verdict.\n")
      const contract = file("contract.yaml", [
        "name: verdict",
        "schema:",
        "  type: object",
        "  required: [verdict, reasons]",
        "  properties:",
        "    verdict: { enum: [approve, reject] }",
        "    reasons: { type: array, items: { type: string } }",
        "synonyms:",
        "  verdict: { approve: [批准, lgtm] }"
      ].join("\n"))
      const report = join(dir, "report.md")
      const result = yield* run([
        "probe", "--config", config, "--prompt", prompt, "--contract", contract,
        "--models", "mock/fenced,mock/translated,mock/deaf", "--runs", "2", "--json", "--markdown", report
      ])
      assert.strictEqual(result.code, 0, result.stderr)
      const matrix = JSON.parse(result.stdout)
      assert.deepStrictEqual(matrix.routes.map((r: any) => [r.route, r.passed, r.repaired, r.reasked, r.failed]), [
        ["mock/fenced", 0, 2, 0, 0],
        ["mock/translated", 0, 2, 0, 0],
        ["mock/deaf", 0, 0, 0, 2]
      ])
      assert.include(result.stderr, "] 6/6")
      assert.include(readFileSync(report, "utf8"), "| mock/fenced | 0/2 | 2/2 | 0/2 | 0/2 |")
      // The deaf model was asked twice per run: once, then again with what was wrong.
      assert.lengthOf(yield* upstream.exchanges, 2 + 2 + 4)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), 30_000)
})
