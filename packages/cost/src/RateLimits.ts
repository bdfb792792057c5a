/**
 * The `RateLimits` service: requests per minute (`rpm`) and tokens per minute (`tpm`) per client key
 * and per model alias, over a sliding minute. Before a provider call the gateway `acquire`s a permit:
 * one request from every `rpm` limit that applies and, when a `tpm` limit applies, the request's
 * estimated tokens (input + output limit, what a budget reserves) from every `tpm` limit, checked
 * and taken atomically, all or none. When the request ends it `settle`s the permit with the tokens
 * its attempts really used, which frees what the estimate held beyond them.
 */
import { Clock, Context, Data, Effect, Layer, Option, Schema } from "effect"
import { layerMemory as storeMemory, RateLimitStore, type RateLimitStoreShape, type Take } from "./RateLimitStore.ts"

// ---------------------------------------------------------------------------------------------------
// config

const PerMinute = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** Limits per minute: requests (`rpm`) and tokens (`tpm`, input + output). */
export const Limits = Schema.Struct({
  rpm: Schema.optionalKey(PerMinute),
  tpm: Schema.optionalKey(PerMinute)
})
export type Limits = typeof Limits.Type

/**
 * The `rate_limits` section of the config: the limits of every client key (each separately) that
 * sets none of its own, and of every model name clients ask for (each separately, all keys together)
 * whose alias sets none.
 *
 * ```yaml
 * rate_limits:
 *   key: { rpm: 60, tpm: 100000 }
 *   alias: { rpm: 600 }
 * ```
 */
export const Config = Schema.Struct({
  key: Schema.optionalKey(Limits),
  alias: Schema.optionalKey(Limits)
})
export type Config = typeof Config.Type

/** The window every limit counts over. */
export const windowMs = 60_000

// ---------------------------------------------------------------------------------------------------
// service

/** Who is asking: the client key (if any) with its own limits, and the model name it asked for. */
export interface Subject {
  readonly apiKeyId: string | null
  readonly modelAlias: string
  /** The key's own limits, each over the `key` default. */
  readonly key?: Limits | undefined
}

/** A limit had no room for a request. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly scope: "key" | "alias"
  /** The key id or the model name. */
  readonly name: string
  readonly unit: "requests" | "tokens"
  readonly limit: number
  /** What the window counted (including open reservations). */
  readonly used: number
  readonly requested: number
  /** Ms until the window frees enough; absent when the request is larger than the limit. */
  readonly retryAfterMs?: number | undefined
}> {
  override get message(): string {
    const who = `${this.scope === "key" ? "Key" : "Model"} "${this.name}"`
    if (this.retryAfterMs === undefined) {
      return `${who} allows ${this.limit} ${this.unit} per minute; this request needs up to ${this.requested}.`
    }
    return `Rate limit reached: ${who} allows ${this.limit} ${this.unit} per minute (${this.used} used); ` +
      `try again in ${Math.ceil(this.retryAfterMs / 1000)} s.`
  }
}

/** What a request holds until it ends: the token counters to settle. */
export interface Permit {
  readonly id: string
  /** The tokens counters holding the reservation. */
  readonly counters: ReadonlyArray<string>
  /** Tokens reserved. */
  readonly reserved: number
}

/** The permit of a request no limit applies to. */
export const unlimited: Permit = { id: "", counters: [], reserved: 0 }

export interface RateLimitsShape {
  /** Whether any limit applies to `subject` (when none does, there is nothing to acquire). */
  readonly applies: (subject: Subject) => boolean
  /**
   * Takes one request, and `tokens` (run only when a `tpm` limit applies) from every limit that
   * applies to `subject`, or fails naming the first without room.
   */
  readonly acquire: (subject: Subject, tokens: Effect.Effect<number>) => Effect.Effect<Permit, RateLimited>
  /** Replaces the permit's reservation by the tokens really used. */
  readonly settle: (permit: Permit, tokens: number) => Effect.Effect<void>
}

export class RateLimits extends Context.Service<RateLimits, RateLimitsShape>()("@switchyard/cost/RateLimits") {}

/** The defaults, and each alias's own limits (`models.<alias>.rpm`/`tpm`). */
export interface Options {
  readonly defaults?: Config | undefined
  readonly aliases?: Readonly<Record<string, Limits>> | undefined
}

interface Applied {
  readonly scope: "key" | "alias"
  readonly name: string
  readonly unit: "requests" | "tokens"
  readonly limit: number
}

const limited = (scope: Applied["scope"], name: string, limits: Limits): ReadonlyArray<Applied> => [
  ...(limits.rpm === undefined ? [] : [{ scope, name, unit: "requests" as const, limit: limits.rpm }]),
  ...(limits.tpm === undefined ? [] : [{ scope, name, unit: "tokens" as const, limit: limits.tpm }])
]

const counterKey = (a: Applied): string => `${a.unit === "requests" ? "rpm" : "tpm"}|${a.scope}=${a.name}`

/** A usable token count: negative and non-finite counts as 0. */
const tokenCount = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0)

/** Rate limits over `store`. */
export const make = (options: Options, store: RateLimitStoreShape): RateLimitsShape => {
  const aliases = options.aliases ?? {}
  const defaults = options.defaults ?? {}
  const applicable = (subject: Subject): ReadonlyArray<Applied> => [
    ...(subject.apiKeyId === null ? [] : limited("key", subject.apiKeyId, { ...defaults.key, ...subject.key })),
    ...limited("alias", subject.modelAlias, Object.hasOwn(aliases, subject.modelAlias) ? { ...defaults.alias, ...aliases[subject.modelAlias] } : defaults.alias ?? {})
  ]
  return {
    applies: (subject) => applicable(subject).length > 0,
    acquire: (subject, tokens) =>
      Effect.gen(function*() {
        const applied = applicable(subject)
        if (applied.length === 0) return unlimited
        const reserved = applied.some((a) => a.unit === "tokens") ? tokenCount(yield* tokens) : 0
        const takes: ReadonlyArray<Take> = applied.map((a) => ({
          counter: { key: counterKey(a), limit: a.limit, windowMs },
          amount: a.unit === "requests" ? 1 : reserved,
          held: a.unit === "tokens"
        }))
        const id = crypto.randomUUID()
        const refusal = yield* store.acquire(id, takes, yield* Clock.currentTimeMillis)
        if (Option.isSome(refusal)) {
          const { index, retryAfterMs, used } = refusal.value
          return yield* new RateLimited({ ...applied[index]!, used, requested: takes[index]!.amount, retryAfterMs })
        }
        return { id, reserved, counters: takes.filter((t) => t.held).map((t) => t.counter.key) }
      }),
    settle: (permit, tokens) =>
      permit.counters.length === 0
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) => store.settle(permit.id, permit.counters, tokenCount(tokens), now))
  }
}

/** `RateLimits` over the `RateLimitStore` in context. */
export const layer = (options: Options): Layer.Layer<RateLimits, never, RateLimitStore> =>
  Layer.effect(RateLimits, Effect.map(RateLimitStore, (store) => make(options, store)))

/** `RateLimits` counted in this process's memory. */
export const layerMemory = (options: Options): Layer.Layer<RateLimits> => layer(options).pipe(Layer.provide(storeMemory))
