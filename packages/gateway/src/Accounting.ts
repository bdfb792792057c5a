/**
 * The cost services a config asks for, as one layer: the `CostLedger` (SQLite next to the config by
 * default, or in memory, or PostgreSQL), `Pricing` (the bundled dataset plus the config's prices),
 * the tokenizer `Estimate`, `Budgets` (counters in memory, or in Redis per `state`), and `Metering`, which writes every attempt to the ledger.
 */
import { Layer } from "effect"
import { isAbsolute, join } from "node:path"
import { Budgets, CostLedger, Estimate, Pricing } from "@switchyard/cost"
import { BudgetStoreRedis } from "@switchyard/state-redis"
import type { GatewayConfig, ProviderConfig } from "./GatewayConfig.ts"
import * as Metering from "./Metering.ts"
import * as StateConfig from "./StateConfig.ts"

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

/** The ledger layer; relative SQLite paths are relative to `baseDir` (the config file's folder). */
export const ledgerLayer = (
  config: GatewayConfig,
  baseDir: string
): Layer.Layer<CostLedger.CostLedger, CostLedger.LedgerError> => {
  const ledger = config.ledger ?? { kind: "sqlite" as const }
  switch (ledger.kind) {
    case "memory":
      return CostLedger.layerMemory
    case "sqlite": {
      const path = ledger.path ?? defaultLedgerFile
      return CostLedger.layerSqlite({ filename: isAbsolute(path) ? path : join(baseDir, path) })
    }
    case "postgres":
      return CostLedger.layerPostgres({ url: ledger.url, table: ledger.table })
  }
}

export type Services =
  | CostLedger.CostLedger
  | Pricing.Pricing
  | Estimate.Estimate
  | Budgets.Budgets
  | Metering.Metering

/** Budgets with their counters in this process, or in Redis when `state` is `redis` (shared by the instances). */
const budgetsLayer = (config: GatewayConfig): Layer.Layer<Budgets.Budgets> =>
  config.state?.kind === "redis"
    ? Budgets.layer(config.budgets ?? []).pipe(
      Layer.provide(BudgetStoreRedis.layer),
      Layer.provide(StateConfig.sharedState(config.state))
    )
    : Budgets.layerMemory(config.budgets ?? [])

/** All cost services for `config`. */
export const layer = (config: GatewayConfig, baseDir: string): Layer.Layer<Services, CostLedger.LedgerError> =>
  Metering.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(
      ledgerLayer(config, baseDir),
      Pricing.layer(pricingConfig(config)),
      Estimate.layer(),
      budgetsLayer(config)
    ))
  )
