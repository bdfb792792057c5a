export * as AnthropicMessages from "./AnthropicMessages.ts"
export * as ErrorBody from "./ErrorBody.ts"
export * as OpenAiChat from "./OpenAiChat.ts"
export * as StreamEnd from "./StreamEnd.ts"
