export * as Check from "./Check.ts"
export * as Conformance from "./Conformance.ts"
export * as Dialects from "./Dialects.ts"
export * as Manifest from "./Manifest.ts"
