/**
 * `switchyard costs`: what the cost ledger holds, read straight from the config's ledger (the same
 * SQLite file or PostgreSQL table the gateway writes), as a terminal table or JSON.
 */
import { Clock, Console, Effect, type FileSystem } from "effect"
import { dirname } from "node:path"
import { Accounting, GatewayConfig, Ledger } from "@switchyard/gateway"
import { failure } from "./internal/failure.ts"

export interface CostsOptions {
  readonly configPath: string | undefined
  /** How far back: `90m`, `24h`, `7d`. */
  readonly since: string
  /** Dimensions to group by: provider, model, key, alias. */
  readonly by: ReadonlyArray<string>
  readonly json: boolean
  readonly env: GatewayConfig.Env
}

const dimensions: Readonly<Record<string, Ledger.Dimension>> = {
  provider: "provider",
  model: "model",
  key: "apiKeyId",
  alias: "modelAlias"
}

/** `90m`, `24h`, `7d` in milliseconds; `undefined` for anything else. */
export const parseSince = (since: string): number | undefined => {
  const match = /^(\d+)([mhd])$/.exec(since.trim())
  if (match === null) return undefined
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "m" | "h" | "d"]
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 6 : 2)}`

/** Left-aligned text columns, right-aligned numbers. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, numeric: number): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i >= header.length - numeric ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

export const costs = (options: CostsOptions): Effect.Effect<void, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const span = parseSince(options.since)
    if (span === undefined) return yield* failure(`Invalid --since "${options.since}": expected a number and m, h or d (90m, 24h, 7d).`)
    const groupBy: Array<Ledger.Dimension> = []
    for (const name of options.by) {
      const dimension = dimensions[name]
      if (dimension === undefined) return yield* failure(`Invalid --by "${name}": expected provider, model, key or alias.`)
      groupBy.push(dimension)
    }
    const config = options.configPath === undefined
      ? GatewayConfig.fromEnv(options.env)
      : yield* GatewayConfig.load(options.configPath, options.env)
    const baseDir = options.configPath === undefined ? process.cwd() : dirname(options.configPath)
    const to = yield* Clock.currentTimeMillis
    const from = to - span
    const { rows, totals } = yield* Ledger.usage({ from, to, groupBy }).pipe(Effect.provide(Accounting.ledgerLayer(config, baseDir)))

    if (options.json) {
      return yield* Console.log(JSON.stringify({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        group_by: options.by,
        totals,
        rows: groupBy.length === 0 ? [] : rows.map((r) => ({ ...r.group, ...r.totals }))
      }, null, 2))
    }
    const header = [...options.by, "requests", "attempts", "input", "output", "cached", "cost", "estimated"]
    const render = (group: ReadonlyArray<string>, t: Ledger.Totals) => [
      ...group,
      String(t.requests),
      String(t.attempts),
      String(t.inputTokens),
      String(t.outputTokens),
      String(t.cachedInputTokens),
      usd(t.cost) + (t.unknownCost > 0 ? ` (+${t.unknownCost} unpriced)` : ""),
      String(t.estimated)
    ]
    const body = groupBy.length === 0 ? [] : rows.map((r) => render(groupBy.map((d) => r.group[d] ?? "-"), r.totals))
    yield* Console.log(`Spend from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`)
    yield* Console.log(table(header, [...body, render(options.by.map((_, i) => (i === 0 ? "total" : "")), totals)], 7))
  }).pipe(
    Effect.catchTag("ConfigError", (error) => failure(error.message)),
    Effect.catchTag("LedgerError", (error) => failure(error.message))
  )
