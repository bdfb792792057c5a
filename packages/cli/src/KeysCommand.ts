/**
 * `switchyard keys create|list|set|revoke`: virtual keys in the config's ledger database (the same
 * SQLite file or PostgreSQL database the gateway reads them from). `create` prints the secret once.
 */
import { Console, Data, Effect, type FileSystem, Option, Redacted } from "effect"
import { dirname } from "node:path"
import { Accounting, GatewayConfig, VirtualKeys } from "@switchyard/gateway"
import { table } from "./Costs.ts"
import { failure } from "./internal/failure.ts"

/** A budget window as typed: `daily`, `monthly`, or a rolling `<n>s`. */
export const parseWindow = (text: string): GatewayConfig.KeyBudget["window"] | undefined => {
  if (text === "daily" || text === "monthly") return text
  const match = /^(\d{1,9})s$/.exec(text)
  return match === null || Number(match[1]) < 1 ? undefined : { rolling_seconds: Number(match[1]) }
}

/** What `create` and `set` are given; `0` removes a limit on `set`. */
export interface LimitFlags {
  readonly rpm: number | undefined
  readonly tpm: number | undefined
  readonly budgetUsd: number | undefined
  readonly budgetWindow: string | undefined
}

export interface KeysOptions {
  readonly configPath: string | undefined
  readonly env: GatewayConfig.Env
}

/** Flags that cannot be used together or out of range. */
class BadFlags extends Data.TaggedError("BadFlags")<{ readonly message: string }> {}

/** The limits the flags ask for: absent, removed (`null`, from a 0), or set. */
const limitsOf = (flags: LimitFlags) =>
  Effect.gen(function*() {
    for (const [flag, n] of [["rpm", flags.rpm], ["tpm", flags.tpm]] as const) {
      if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
        return yield* new BadFlags({ message: `Invalid --${flag} ${n}: expected a whole number (0 removes the limit).` })
      }
    }
    if (flags.budgetUsd !== undefined && !(flags.budgetUsd >= 0)) {
      return yield* new BadFlags({ message: `Invalid --budget-usd ${flags.budgetUsd}: expected 0 or more (0 removes the budget).` })
    }
    const removable = (n: number | undefined) => (n === 0 ? null : n)
    if (flags.budgetUsd === undefined) {
      if (flags.budgetWindow !== undefined) return yield* new BadFlags({ message: "--budget-window needs --budget-usd." })
      return { rpm: removable(flags.rpm), tpm: removable(flags.tpm), budget: undefined }
    }
    const window = parseWindow(flags.budgetWindow ?? "daily")
    if (window === undefined) {
      return yield* new BadFlags({ message: `Invalid --budget-window "${flags.budgetWindow}": expected daily, monthly or <n>s.` })
    }
    const budget = flags.budgetUsd === 0 ? null : { limit_usd: flags.budgetUsd, window }
    return { rpm: removable(flags.rpm), tpm: removable(flags.tpm), budget }
  })

const describe = (key: VirtualKeys.VirtualKey): ReadonlyArray<string> => [
  key.id,
  key.name ?? "-",
  `${key.prefix}…`,
  key.admin ? "yes" : "no",
  key.limits.rpm === undefined ? "-" : String(key.limits.rpm),
  key.limits.tpm === undefined ? "-" : String(key.limits.tpm),
  key.limits.budget === undefined ? "-" : `$${key.limits.budget.limit_usd} ${JSON.stringify(key.limits.budget.window).replaceAll("\"", "")}`,
  key.revokedAt === null ? "active" : `revoked ${new Date(key.revokedAt).toISOString()}`
]

/** Runs `use` on the config's key store; config, store and flag problems go to stderr with exit code 1. */
const withKeys = (
  options: KeysOptions,
  use: (keys: VirtualKeys.VirtualKeysShape) => Effect.Effect<void, VirtualKeys.KeyStoreError | BadFlags>
): Effect.Effect<void, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const config = options.configPath === undefined
      ? GatewayConfig.fromEnv(options.env)
      : yield* GatewayConfig.load(options.configPath, options.env)
    const baseDir = options.configPath === undefined ? process.cwd() : dirname(options.configPath)
    yield* Effect.flatMap(VirtualKeys.VirtualKeys, use).pipe(Effect.provide(Accounting.keysLayer(config, baseDir)))
  }).pipe(
    Effect.catchTags({
      BadFlags: (error) => failure(error.message),
      ConfigError: (error) => failure(error.message),
      LedgerError: (error) => failure(error.message),
      KeyStoreError: (error) => failure(error.message)
    })
  )

/** `keys create`: prints the new key's id, then its secret (once). */
export const create = (options: KeysOptions & LimitFlags & { readonly name: string | undefined; readonly admin: boolean }) =>
  withKeys(options, (keys) =>
    Effect.gen(function*() {
      const { budget, rpm, tpm } = yield* limitsOf(options)
      const created = yield* keys.create({
        ...(options.name === undefined ? {} : { name: options.name }),
        admin: options.admin,
        ...(rpm == null ? {} : { rpm }),
        ...(tpm == null ? {} : { tpm }),
        ...(budget == null ? {} : { budget })
      })
      yield* Console.log(`Created ${created.key.id}. Its secret is shown only now:`)
      yield* Console.log(Redacted.value(created.secret))
    }))

/** `keys list`: a table, or JSON; never a secret. */
export const list = (options: KeysOptions & { readonly json: boolean }) =>
  withKeys(options, (keys) =>
    Effect.flatMap(keys.list, (all) =>
      options.json
        ? Console.log(JSON.stringify(all, null, 2))
        : Console.log(table(["id", "name", "prefix", "admin", "rpm", "tpm", "budget", "state"], all.map(describe), 0))))

const shown = (id: string) => (key: Option.Option<VirtualKeys.VirtualKey>) =>
  Option.match(key, {
    onNone: () => failure(`No key "${id}".`),
    onSome: (k) => Console.log(table(["id", "name", "prefix", "admin", "rpm", "tpm", "budget", "state"], [describe(k)], 0))
  })

/** `keys set <id>`: changes limits or the admin flag. */
export const set = (options: KeysOptions & LimitFlags & { readonly id: string; readonly admin: boolean | undefined; readonly name: string | undefined }) =>
  withKeys(options, (keys) =>
    Effect.gen(function*() {
      const { budget, rpm, tpm } = yield* limitsOf(options)
      const updated = yield* keys.update(options.id, {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.admin === undefined ? {} : { admin: options.admin }),
        ...(rpm === undefined ? {} : { rpm }),
        ...(tpm === undefined ? {} : { tpm }),
        ...(budget === undefined ? {} : { budget })
      })
      yield* shown(options.id)(updated)
    }))

/** `keys revoke <id>`. */
export const revoke = (options: KeysOptions & { readonly id: string }) =>
  withKeys(options, (keys) => Effect.flatMap(keys.revoke(options.id), shown(options.id)))
