export * as BudgetStoreRedis from "./BudgetStoreRedis.ts"
export * as HealthStoreRedis from "./HealthStoreRedis.ts"
export * as HedgeBudgetRedis from "./HedgeBudgetRedis.ts"
export * as SharedState from "./SharedState.ts"
