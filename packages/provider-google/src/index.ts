export * as Gemini from "./Gemini.ts"
