/**
 * The attempts of one request as metering recorded them, collected for the request's log line. The
 * server sets `CurrentTrail` around a request; the gateway hands it to each attempt it makes
 * (`Metering.AttemptInfo`), whose ledger entry metering appends to it.
 */
import { Context, Effect, Ref } from "effect"
import type { LedgerEntry } from "@switchyard/cost"

export type RequestTrail = Ref.Ref<ReadonlyArray<LedgerEntry.Entry>>

/** The trail of the request being served; unset outside the server. */
export const CurrentTrail = Context.Reference<RequestTrail | undefined>("@switchyard/gateway/CurrentTrail", {
  defaultValue: () => undefined
})

/** An empty trail. */
export const make: Effect.Effect<RequestTrail> = Ref.make<ReadonlyArray<LedgerEntry.Entry>>([])

/** Adds an attempt to `trail`, if there is one. */
export const append = (trail: RequestTrail | undefined, entry: LedgerEntry.Entry): Effect.Effect<void> =>
  trail === undefined ? Effect.void : Ref.update(trail, (entries) => [...entries, entry])

/** What a request's attempts add up to, for its log line. */
export interface Summary {
  readonly alias: string | null
  /** `provider/model` of the attempt that answered, if one did. */
  readonly route: string | null
  readonly attempts: ReadonlyArray<{
    readonly route: string
    readonly role: LedgerEntry.Role
    readonly outcome: LedgerEntry.Outcome
    readonly latencyMs: number
  }>
  readonly inputTokens: number
  readonly outputTokens: number
  /** USD over the attempts with a known price; `null` when none had one. */
  readonly costUsd: number | null
}

export const summarize = (entries: ReadonlyArray<LedgerEntry.Entry>): Summary => {
  const priced = entries.filter((e) => e.cost !== null)
  const answered = entries.find((e) => e.outcome === "ok")
  return {
    alias: entries[0]?.modelAlias ?? null,
    route: answered === undefined ? null : `${answered.provider}/${answered.model}`,
    attempts: entries.map((e) => ({ route: `${e.provider}/${e.model}`, role: e.role, outcome: e.outcome, latencyMs: e.latencyMs })),
    inputTokens: entries.reduce((n, e) => n + e.usage.inputTokens, 0),
    outputTokens: entries.reduce((n, e) => n + e.usage.outputTokens, 0),
    costUsd: priced.length === 0 ? null : priced.reduce((n, e) => n + (e.cost ?? 0), 0)
  }
}
