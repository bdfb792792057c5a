/**
 * The cost services a config asks for, as one layer: the `CostLedger` (SQLite next to the config by
 * default, or in memory, or PostgreSQL) and the `VirtualKeys` in the same database, `Pricing` (the
 * bundled dataset plus the config's prices), the tokenizer `Estimate`, `Budgets` and `RateLimits` (the
 * config's `rate_limits` and each alias's `rpm`/`tpm`), each counted in memory or in Redis per
 * `state`, and `Metering`, which writes every attempt to the ledger.
 */
import { Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { isAbsolute, join } from "node:path"
import { Budgets, CostLedger, Estimate, Pricing, RateLimits } from "@switchyard/cost"
import type { GatewayConfig, ProviderConfig } from "./GatewayConfig.ts"
import * as Metering from "./Metering.ts"
import * as StateConfig from "./StateConfig.ts"
import * as VirtualKeys from "./VirtualKeys.ts"

/** The ledger file used when the config names none. */
export const defaultLedgerFile = "switchyard-ledger.sqlite"

/** The pricing dataset's provider for a configured provider: its host profile, or its kind's vendor. */
const datasetProvider = (name: string, config: ProviderConfig): string => {
  switch (config.kind) {
    case "openai":
      return config.host ?? name
    case "openai-responses":
      return "openai"
    case "anthropic":
      return "anthropic"
    case "gemini":
      return "google"
    case "ollama":
    case "demo":
      return name
  }
}

/** Every configured provider mapped to its dataset provider, under the config's own mapping. */
const pricingConfig = (config: GatewayConfig): Pricing.Config => ({
  ...config.pricing,
  providers: {
    ...Object.fromEntries(Object.entries(config.providers).map(([name, p]) => [name, datasetProvider(name, p)])),
    ...config.pricing?.providers
  }
})

/**
 * The ledger's database (`undefined` for the memory ledger); relative SQLite paths are relative to
 * `baseDir` (the config file's folder).
 */
const database = (config: GatewayConfig, baseDir: string): Layer.Layer<SqlClient.SqlClient, CostLedger.LedgerError> | undefined => {
  const ledger = config.ledger ?? { kind: "sqlite" as const }
  switch (ledger.kind) {
    case "memory":
      return undefined
    case "sqlite": {
      const path = ledger.path ?? defaultLedgerFile
      return CostLedger.sqliteClient({ filename: isAbsolute(path) ? path : join(baseDir, path), synchronous: ledger.synchronous })
    }
    case "postgres":
      return CostLedger.postgresClient({ url: ledger.url })
  }
}

const ledgerOn = (config: GatewayConfig, db: Layer.Layer<SqlClient.SqlClient, CostLedger.LedgerError> | undefined) =>
  db === undefined
    ? CostLedger.layerMemory
    : CostLedger.layerSql({ table: config.ledger?.kind === "postgres" ? config.ledger.table : undefined }).pipe(Layer.provide(db))

const keysOn = (config: GatewayConfig, db: Layer.Layer<SqlClient.SqlClient, CostLedger.LedgerError> | undefined) => {
  const options = { cacheTtlMs: config.server?.key_cache_ms }
  return db === undefined ? VirtualKeys.layerMemory(options) : VirtualKeys.layerSql(options).pipe(Layer.provide(db))
}

/** The ledger layer; relative SQLite paths are relative to `baseDir` (the config file's folder). */
export const ledgerLayer = (config: GatewayConfig, baseDir: string): Layer.Layer<CostLedger.CostLedger, CostLedger.LedgerError> =>
  ledgerOn(config, database(config, baseDir))

/** The virtual keys, in the ledger's database. */
export const keysLayer = (
  config: GatewayConfig,
  baseDir: string
): Layer.Layer<VirtualKeys.VirtualKeys, CostLedger.LedgerError | VirtualKeys.KeyStoreError> => keysOn(config, database(config, baseDir))

/** The rate limits of a config: the `rate_limits` defaults and each alias's own. */
export const rateLimitOptions = (config: GatewayConfig): RateLimits.Options => ({
  defaults: config.rate_limits,
  aliases: Object.fromEntries(
    Object.entries(config.models ?? {}).map(([alias, model]) => [alias, {
      ...(model.rpm === undefined ? {} : { rpm: model.rpm }),
      ...(model.tpm === undefined ? {} : { tpm: model.tpm })
    }])
  )
})

export type Services =
  | CostLedger.CostLedger
  | Pricing.Pricing
  | Estimate.Estimate
  | Budgets.Budgets
  | RateLimits.RateLimits
  | VirtualKeys.VirtualKeys
  | Metering.Metering

/** Budgets with their counters in this process, or in Redis when `state` is `redis` (shared by the instances). */
const budgetsLayer = (config: GatewayConfig): Layer.Layer<Budgets.Budgets> =>
  config.state?.kind === "redis"
    ? Budgets.layer(config.budgets ?? []).pipe(
      Layer.provide(StateConfig.redisLayer(({ BudgetStoreRedis }) => BudgetStoreRedis.layer)),
      Layer.provide(StateConfig.sharedState(config.state))
    )
    : Budgets.layerMemory(config.budgets ?? [])

/** Rate limits counted in this process, or in Redis when `state` is `redis` (shared by the instances). */
const rateLimitsLayer = (config: GatewayConfig): Layer.Layer<RateLimits.RateLimits> =>
  config.state?.kind === "redis"
    ? RateLimits.layer(rateLimitOptions(config)).pipe(
      Layer.provide(StateConfig.redisLayer(({ RateLimitStoreRedis }) => RateLimitStoreRedis.layer())),
      Layer.provide(StateConfig.sharedState(config.state))
    )
    : RateLimits.layerMemory(rateLimitOptions(config))

/** All cost services for `config`. */
export const layer = (
  config: GatewayConfig,
  baseDir: string
): Layer.Layer<Services, CostLedger.LedgerError | VirtualKeys.KeyStoreError> => {
  // One connection (or pool) for the ledger and the keys.
  const db = database(config, baseDir)
  return Metering.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(
      ledgerOn(config, db),
      keysOn(config, db),
      Pricing.layer(pricingConfig(config)),
      Estimate.layer(),
      budgetsLayer(config),
      rateLimitsLayer(config)
    ))
  )
}
