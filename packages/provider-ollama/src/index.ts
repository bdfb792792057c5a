export * as Ollama from "./Ollama.ts"
