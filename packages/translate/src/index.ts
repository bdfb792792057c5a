export * as ErrorBody from "./ErrorBody.ts"
export * as StreamEnd from "./StreamEnd.ts"
