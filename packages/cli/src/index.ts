export * as Cli from "./Cli.ts"
export * as Serve from "./Serve.ts"
