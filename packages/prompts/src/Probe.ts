/**
 * The portability probe: the same prompt and contract, `runs` times on each route (no fallback), and
 * a matrix of how often each route passed as is, after repair, after a re-ask, or failed, with its
 * median latency and cost. Renders as a terminal table, JSON, or markdown.
 */
import { Effect } from "effect"
import type { ChatRequest, Usage } from "@switchyard/core"
import * as Conform from "./Conform.ts"
import type { OutputContract } from "./OutputContract.ts"
import type * as PromptTemplates from "./PromptTemplates.ts"

export interface Row {
  readonly route: Conform.Route
  readonly runs: number
  readonly passed: number
  readonly repaired: number
  readonly reasked: number
  readonly failed: number
  readonly p50LatencyMs: number
  /** USD over every run, `null` when some answer had no known price. */
  readonly costUsd: number | null
  /** The repairs applied, with how often. */
  readonly repairs: Readonly<Record<string, number>>
  /** The violations of a failed run, as an example of what goes wrong. */
  readonly example: ReadonlyArray<string>
}

export interface Options {
  readonly request: ChatRequest.ChatRequest
  readonly contract: OutputContract
  readonly routes: ReadonlyArray<Conform.Route>
  readonly runs: number
  readonly call: Conform.Call
  readonly templates?: PromptTemplates.PromptTemplates["Service"] | undefined
  /** The price of an answer's usage on a route; `undefined` when unknown. */
  readonly price?: ((route: Conform.Route, usage: Usage.Usage) => Effect.Effect<number | undefined>) | undefined
  /** Called after each run, for a progress bar. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined
}

const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** Runs the probe; a route's failures are counted, never thrown. */
export const run = (options: Options): Effect.Effect<ReadonlyArray<Row>> =>
  Effect.gen(function*() {
    const total = options.routes.length * options.runs
    let done = 0
    const rows: Array<Row> = []
    for (const route of options.routes) {
      const attempts: Array<Conform.Attempt> = []
      for (let i = 0; i < options.runs; i++) {
        const result = yield* Effect.result(Conform.run({
          request: options.request,
          contract: options.contract,
          routes: [route],
          call: options.call,
          templates: options.templates
        }))
        attempts.push(result._tag === "Success" ? result.success.attempts[0]! : result.failure.attempts[0]!)
        options.onProgress?.(++done, total)
      }
      let cost: number | null = 0
      for (const response of attempts.flatMap((a) => a.responses)) {
        const usd = response.usage === undefined || options.price === undefined ? undefined : yield* options.price(route, response.usage)
        cost = usd === undefined || cost === null ? null : cost + usd
      }
      const repairs: Record<string, number> = {}
      for (const note of attempts.flatMap((a) => a.repairs)) {
        const name = note.split(":")[0]!
        repairs[name] = (repairs[name] ?? 0) + 1
      }
      const failed = attempts.find((a) => a.outcome === "failed")
      rows.push({
        route,
        runs: attempts.length,
        passed: attempts.filter((a) => a.outcome === "passed").length,
        repaired: attempts.filter((a) => a.outcome === "repaired").length,
        reasked: attempts.filter((a) => a.outcome === "reasked").length,
        failed: attempts.filter((a) => a.outcome === "failed").length,
        p50LatencyMs: median(attempts.map((a) => a.latencyMs)),
        costUsd: cost,
        repairs,
        example: failed === undefined ? [] : failed.error !== undefined ? [failed.error] : failed.violations.map((v) => `${v.path || "(answer)"} ${v.message}`)
      })
    }
    return rows
  })

const cells = (row: Row) => [
  row.route,
  `${row.passed}/${row.runs}`,
  `${row.repaired}/${row.runs}`,
  `${row.reasked}/${row.runs}`,
  `${row.failed}/${row.runs}`,
  `${row.p50LatencyMs} ms`,
  row.costUsd === null ? "unknown" : `$${row.costUsd.toFixed(6)}`,
  Object.entries(row.repairs).map(([name, n]) => `${name}×${n}`).join(", ") || "-"
]

const header = ["route", "as is", "repaired", "re-asked", "failed", "p50", "cost", "repairs"]

/** A plain-text table for the terminal. */
export const renderTable = (rows: ReadonlyArray<Row>): string => {
  const body = rows.map(cells)
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (r: ReadonlyArray<string>) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  const failures = rows.filter((r) => r.example.length > 0).map((r) => `  ${r.route}: ${r.example.join("; ")}`)
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line), ...(failures.length === 0 ? [] : ["", "Failures, for example:", ...failures])].join("\n")
}

/** A markdown report, for CI artifacts. */
export const renderMarkdown = (contract: string, rows: ReadonlyArray<Row>): string =>
  [
    `## Portability probe: \`${contract}\``,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cells(r).join(" | ")} |`),
    ...rows.filter((r) => r.example.length > 0).map((r) => `\n- **${r.route}** failed, e.g.: ${r.example.join("; ")}`)
  ].join("\n")

/** The matrix as JSON. */
export const renderJson = (contract: string, rows: ReadonlyArray<Row>): string => JSON.stringify({ contract, routes: rows }, null, 2)
