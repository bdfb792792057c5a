/**
 * The cost ledger as its readers see it: the server's admin routes (`/v1/usage`, `/v1/routes`,
 * `/v1/requests`, `/v1/series`) and `switchyard costs`. Each query reads the `CostLedger` in context:
 * the one a gateway writes (`Accounting.layer`), or the config's alone (`Accounting.ledgerLayer`).
 */
import { Effect } from "effect"
import { CostLedger, LedgerEntry } from "@switchyard/cost"

/** One attempt as the ledger keeps it. */
export type Entry = LedgerEntry.Entry
export type Outcome = LedgerEntry.Outcome
/** What spend can be grouped and filtered by. */
export type Dimension = LedgerEntry.Dimension
export type Window = LedgerEntry.Window
export type UsageQuery = LedgerEntry.UsageQuery
export type Totals = LedgerEntry.Totals
export type UsageRow = LedgerEntry.UsageRow
export type Figures = LedgerEntry.Figures
export type FiguresRow = LedgerEntry.FiguresRow

/** Whether an attempt ended in a provider error (not `ok`, not `cancelled`). */
export const isError = LedgerEntry.isError

/** The ledger's store failed to open or to answer. */
export const LedgerError = CostLedger.LedgerError
export type LedgerError = CostLedger.LedgerError

/**
 * The spend in a window: its totals, and its rows per group and time bucket (ordered by bucket, then
 * by the grouped values; without `groupBy` and `bucket`, one row with the totals).
 */
export const usage = (query: UsageQuery) =>
  Effect.flatMap(CostLedger.CostLedger, (ledger) => Effect.all({ totals: ledger.totals(query), rows: ledger.usage(query) }))

/**
 * Attempts, errors and latency percentiles per group and time bucket, computed by the store (see
 * `CostLedger.figures`): the dashboard's `/v1/routes` and `/v1/series`.
 */
export const figures = (query: UsageQuery) => Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.figures(query))

/** The attempts in the window, oldest first (then by request id), at most `limit`. */
export const entries = (window: Window & { readonly limit?: number | undefined }) =>
  Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.entries(window))

/**
 * The attempts of the `limit` most recent requests with attempts in the window: newest request
 * first, each request's attempts oldest first.
 */
export const requests = (window: Window & { readonly limit: number }) =>
  Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.requests(window))

/** Every attempt of one request, oldest first; none for an unknown id. */
export const request = (requestId: string) => Effect.flatMap(CostLedger.CostLedger, (ledger) => ledger.request(requestId))
