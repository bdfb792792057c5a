/**
 * The built-in demo provider: answers on a machine with no API keys and no network, so the README's
 * first request works anywhere. It is honest about being a demo: it echoes the last user message (its
 * first 200 characters) and counts tokens by words. It streams word by word like a real provider.
 */
import { Clock, Effect, Stream } from "effect"
import { ChatRequest, type ChatResponse, type Provider, type StreamEvent, Usage } from "@switchyard/core"

const lastUserText = (request: ChatRequest.ChatRequest): string => {
  const user = [...request.messages].reverse().find((m) => m.role === "user")
  return user === undefined ? "" : ChatRequest.contentText(user.content).trim()
}

/** The model the demo provider lists (it answers to any name). */
export const model = "demo"

/** How much of the last user message the demo quotes back. */
const QUOTED_CHARS = 200

const answerText = (request: ChatRequest.ChatRequest): string => {
  const whole = lastUserText(request)
  const said = whole.length > QUOTED_CHARS ? `${whole.slice(0, QUOTED_CHARS)}…` : whole
  return said === ""
    ? "Hello from Switchyard's demo provider. Configure a real provider to get real answers."
    : `Hello from Switchyard's demo provider. You said: "${said}"`
}

const countWords = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length

const usageOf = (request: ChatRequest.ChatRequest, answer: string): Usage.Usage =>
  Usage.make({
    inputTokens: request.messages.reduce((n, m) => n + countWords(ChatRequest.contentText(m.content)), 0),
    outputTokens: countWords(answer)
  })

/** Output limited to the request's token budget (one token per word), with the matching finish reason. */
const limited = (request: ChatRequest.ChatRequest) => {
  const words = answerText(request).split(/(?<=\s)/)
  const max = ChatRequest.maxOutputTokens(request)
  const kept = max === undefined ? words : words.slice(0, max)
  return { pieces: kept, finish: kept.length < words.length ? "length" as const : "stop" as const }
}

/** A demo `Provider` named `name`. */
export const make = (name: string): Provider.ProviderShape => ({
  name,
  complete: (request) =>
    Effect.gen(function*() {
      const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const { finish, pieces } = limited(request)
      const text = pieces.join("")
      const response: ChatResponse.ChatResponse = {
        id: `demo-${created}`,
        model: request.model,
        created,
        choices: [{ index: 0, content: text, toolCalls: [], finishReason: finish, rawFinishReason: finish }],
        usage: usageOf(request, text)
      }
      return response
    }),
  stream: (request) =>
    Stream.unwrap(Effect.gen(function*() {
      const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const { finish, pieces } = limited(request)
      const events: Array<StreamEvent.StreamEvent> = [
        { _tag: "ResponseStart", id: `demo-${created}`, model: request.model, created },
        ...pieces.map((text): StreamEvent.StreamEvent => ({ _tag: "TextDelta", choice: 0, text })),
        { _tag: "Finish", choice: 0, reason: finish, raw: finish },
        { _tag: "UsageReport", usage: usageOf(request, pieces.join("")) }
      ]
      return Stream.fromIterable(events)
    }))
})
