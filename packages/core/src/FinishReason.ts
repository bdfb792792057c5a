/**
 * Why a choice stopped, in one vocabulary for every provider. The provider's own string is kept beside
 * it (`rawFinishReason`) so nothing is lost in the mapping.
 */
import { Schema } from "effect"

export const FinishReason = Schema.Literals(["stop", "length", "tool_calls", "content_filter", "error", "other"])
export type FinishReason = typeof FinishReason.Type

/**
 * Maps a provider's raw reason through a table of its own values; unknown values become `other`.
 */
export const fromTable =
  (table: Readonly<Record<string, FinishReason>>) => (raw: string | null | undefined): FinishReason =>
    raw == null ? "other" : (table[raw] ?? "other")
