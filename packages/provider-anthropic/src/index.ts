export * as Anthropic from "./Anthropic.ts"
