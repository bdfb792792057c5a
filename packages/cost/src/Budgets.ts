/**
 * The `Budgets` service: spend limits per model alias and per client API key over a window (a UTC
 * day, a UTC month, or the last N seconds). Before a provider call the gateway `reserve`s the most the
 * call can cost (input tokens + the output limit, at the route's price); every budget that applies
 * must have room for it, checked and taken atomically, so concurrent calls cannot slip past a limit.
 * After the call it `settle`s the reservation with the actual cost, or `release`s it when the call
 * failed without cost.
 */
import { Clock, Context, Data, Effect, Layer, Option, Schema } from "effect"
import { type BudgetStoreShape, BudgetStore, type Counter, layerMemory as storeMemory } from "./BudgetStore.ts"

// ---------------------------------------------------------------------------------------------------
// config

/** `daily` and `monthly` are calendar windows in UTC; `{ rolling_seconds }` is a sliding window. */
export const Window = Schema.Union([
  Schema.Literals(["daily", "monthly"]),
  Schema.Struct({ rolling_seconds: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)) })
])
export type Window = typeof Window.Type

/**
 * One budget. `model` and `key` choose what it limits: a model alias or a client key id, `"*"` for
 * each alias (or key) separately, absent for all of them together. At least one must be given; with
 * both, the budget limits that key's use of that model.
 */
export const Rule = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  key: Schema.optionalKey(Schema.String),
  limit_usd: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  window: Window
}).check(
  Schema.makeFilter((rule) => rule.model !== undefined || rule.key !== undefined || "a budget needs `model` or `key`")
)
export type Rule = typeof Rule.Type

/**
 * The `budgets` section of the config.
 *
 * ```yaml
 * budgets:
 *   - { model: smart, limit_usd: 50, window: daily }
 *   - { key: "*", limit_usd: 5, window: { rolling_seconds: 3600 } }   # every key, separately
 *   - { name: team-a, key: key_team_a, limit_usd: 200, window: monthly }
 * ```
 */
export const Config = Schema.Array(Rule)
export type Config = typeof Config.Type

// ---------------------------------------------------------------------------------------------------
// service

/** Who is spending: the client key (if any) and the model alias it asked for. */
export interface Subject {
  readonly apiKeyId: string | null
  readonly modelAlias: string
  /** Budgets of the subject's own beside the config's (a virtual key's `budget`). */
  readonly rules?: ReadonlyArray<Rule> | undefined
}

/** Money held for one call until it is settled or released. */
export interface Reservation {
  readonly id: string
  /** USD reserved. */
  readonly amount: number
  /** The counters holding it (one per budget that applied). */
  readonly counters: ReadonlyArray<string>
}

/** A budget had no room for a reservation. */
export class BudgetExceeded extends Data.TaggedError("BudgetExceeded")<{
  readonly budget: string
  /** USD. */
  readonly limit: number
  /** USD already spent or reserved in the window. */
  readonly spent: number
  /** USD the refused call asked for. */
  readonly requested: number
  /** `daily`, `monthly` or `rolling <n>s`. */
  readonly window: string
  /** When a calendar window ends (epoch ms); absent for rolling windows. */
  readonly resetsAt?: number | undefined
  /** How long until that end, from the refusal (what `Retry-After` says); absent for rolling windows. */
  readonly retryAfterMs?: number | undefined
}> {
  override get message(): string {
    return `Budget "${this.budget}" exceeded: $${round(this.spent)} of $${round(this.limit)} spent (${this.window}), ` +
      `this request needs up to $${round(this.requested)}.`
  }
}

const round = (usd: number): string => (Math.round(usd * 10_000) / 10_000).toString()

/** Where a budget stands for a subject. */
export interface Status {
  readonly budget: string
  readonly limit: number
  readonly spent: number
  readonly window: string
  readonly resetsAt?: number | undefined
}

export interface BudgetsShape {
  /** Whether any budget applies to `subject` (when none does, there is nothing to reserve). */
  readonly applies: (subject: Subject) => boolean
  /** Holds `amount` USD in every budget that applies to `subject`, or fails naming the one without room. */
  readonly reserve: (subject: Subject, amount: number) => Effect.Effect<Reservation, BudgetExceeded>
  /** Replaces the reservation by the actual cost; `none` (cost unknown) keeps the reserved amount. */
  readonly settle: (reservation: Reservation, cost: Option.Option<number>) => Effect.Effect<void>
  /** Drops the reservation: the call failed and cost nothing. */
  readonly release: (reservation: Reservation) => Effect.Effect<void>
  /** Every budget that applies to `subject`, with its spend now. */
  readonly status: (subject: Subject) => Effect.Effect<ReadonlyArray<Status>>
}

export class Budgets extends Context.Service<Budgets, BudgetsShape>()("@switchyard/cost/Budgets") {}

const day = 86_400_000

const windowName = (window: Window): string =>
  typeof window === "string" ? window : `rolling ${window.rolling_seconds}s`

const ruleName = (rule: Rule): string =>
  rule.name ??
    [rule.model === undefined ? [] : [`model=${rule.model}`], rule.key === undefined ? [] : [`key=${rule.key}`]]
      .flat()
      .concat(windowName(rule.window))
      .join(" ")

/** The part of a subject a rule's field selects: `undefined` when the rule does not apply. */
const select = (pattern: string | undefined, value: string | null): string | undefined =>
  pattern === undefined ? "" : value === null ? undefined : pattern === "*" || pattern === value ? value : undefined

/** The calendar window containing `now`: [start, end). */
const calendar = (window: "daily" | "monthly", now: number): readonly [number, number] => {
  if (window === "daily") return [now - (now % day), now - (now % day) + day]
  const date = new Date(now)
  const year = date.getUTCFullYear()
  const month = date.getUTCMonth()
  return [Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1)]
}

interface Applied {
  readonly name: string
  readonly counter: Counter
  readonly window: string
  readonly resetsAt: number | undefined
}

/** A budget's counter for the window containing `now`; `base` names the budget and subject. */
const counterFor = (window: Window, base: string, limit: number, now: number): Omit<Applied, "name"> => {
  if (typeof window !== "string") {
    const counter = { key: base, limit, rollingMs: window.rolling_seconds * 1000 }
    return { window: windowName(window), resetsAt: undefined, counter }
  }
  const [start, end] = calendar(window, now)
  return { window, resetsAt: end, counter: { key: `${base}|${start}`, limit, expiresAt: end } }
}

/**
 * The budgets that apply to a subject at `now`, each with its counter. A counter is keyed by the
 * budget's name (not its place in the config), so spend survives a reordered config; two budgets
 * with the same name, subject and window share one counter and the lower limit.
 */
const applicable = (rules: ReadonlyArray<Rule>, subject: Subject, now: number): ReadonlyArray<Applied> => {
  const byKey = new Map<string, Applied>()
  for (const rule of subject.rules === undefined ? rules : [...rules, ...subject.rules]) {
    const model = select(rule.model, subject.modelAlias)
    const key = select(rule.key, subject.apiKeyId)
    if (model === undefined || key === undefined) continue
    const name = ruleName(rule)
    const applied: Applied = {
      name,
      ...counterFor(rule.window, `${name}|model=${model}|key=${key}`, rule.limit_usd, now)
    }
    const existing = byKey.get(applied.counter.key)
    if (existing === undefined || applied.counter.limit < existing.counter.limit) {
      byKey.set(applied.counter.key, applied)
    }
  }
  return [...byKey.values()]
}

/** A usable amount of USD: negative and non-finite amounts count as 0. */
const usd = (amount: number): number => (Number.isFinite(amount) && amount > 0 ? amount : 0)

/** Budgets over `store`. */
export const make = (config: Config, store: BudgetStoreShape): BudgetsShape => ({
  applies: (subject) =>
    (subject.rules?.length ?? 0) > 0 ||
    config.some((rule) => select(rule.model, subject.modelAlias) !== undefined && select(rule.key, subject.apiKeyId) !== undefined),
  reserve: (subject, requested) =>
    Effect.gen(function*() {
      const amount = usd(requested)
      const now = yield* Clock.currentTimeMillis
      const applied = applicable(config, subject, now)
      const id = crypto.randomUUID()
      const refusal = yield* store.reserve(id, applied.map((a) => a.counter), amount, now)
      if (Option.isSome(refusal)) {
        const budget = applied[refusal.value.index]!
        return yield* new BudgetExceeded({
          budget: budget.name,
          limit: budget.counter.limit,
          spent: refusal.value.spent,
          requested: amount,
          window: budget.window,
          resetsAt: budget.resetsAt,
          retryAfterMs: budget.resetsAt === undefined ? undefined : Math.max(0, budget.resetsAt - now)
        })
      }
      return { id, amount, counters: applied.map((a) => a.counter.key) }
    }),
  settle: (reservation, cost) =>
    Option.match(cost, {
      onNone: () => Effect.void,
      onSome: (actual) => store.settle(reservation.id, reservation.counters, usd(actual))
    }),
  release: (reservation) => store.release(reservation.id, reservation.counters),
  status: (subject) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const applied = applicable(config, subject, now)
      const spent = yield* store.spent(applied.map((a) => a.counter), now)
      return applied.map((a, i) => ({
        budget: a.name,
        limit: a.counter.limit,
        spent: spent[i]!,
        window: a.window,
        resetsAt: a.resetsAt
      }))
    })
})

/** `Budgets` over the `BudgetStore` in context. */
export const layer = (config: Config): Layer.Layer<Budgets, never, BudgetStore> =>
  Layer.effect(Budgets, Effect.map(BudgetStore, (store) => make(config, store)))

/** `Budgets` with spend kept in this process's memory. */
export const layerMemory = (config: Config): Layer.Layer<Budgets> => layer(config).pipe(Layer.provide(storeMemory))
