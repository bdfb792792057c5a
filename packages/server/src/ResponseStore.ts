/**
 * Responses kept for later requests of OpenAI's Responses API: a request with `store` (OpenAI's
 * default) has its output items remembered by id, and its conversation (input and output) by the
 * response's id, so a later request can refer to an item (`{"type": "item_reference", "id"}`, what
 * the Vercel AI SDK sends for earlier turns) or continue the response (`previous_response_id`).
 *
 * Kept in this process's memory, for an hour, at most `MAX_ITEMS` items and `MAX_RESPONSES`
 * conversations (the oldest go first): a reference to anything older, or served by another
 * instance, is refused with a 400 that says to send the whole conversation.
 */
import { Clock, Context, Effect, Option } from "effect"

/** A Responses API item as JSON (`message`, `function_call`, `function_call_output`, `reasoning`). */
export type Item = Readonly<Record<string, unknown>>

export interface ResponseStoreShape {
  /** Remembers a response's output items by id, and its conversation by the response's id. */
  readonly remember: (response: {
    readonly id: string
    readonly input: ReadonlyArray<Item>
    readonly output: ReadonlyArray<Item>
  }) => Effect.Effect<void>
  /** An output item by its id. */
  readonly item: (id: string) => Effect.Effect<Option.Option<Item>>
  /** A response's conversation: its input items, then its output items. */
  readonly conversation: (responseId: string) => Effect.Effect<Option.Option<ReadonlyArray<Item>>>
}

const TTL_MS = 60 * 60 * 1000
const MAX_ITEMS = 10_000
const MAX_RESPONSES = 1_000

/** A map that forgets entries older than the TTL and its oldest beyond `max`. */
const expiring = <A>(max: number) => {
  const entries = new Map<string, { readonly value: A; readonly at: number }>()
  return {
    set: (key: string, value: A, now: number) => {
      entries.delete(key)
      entries.set(key, { value, at: now })
      for (const oldest of entries.keys()) {
        if (entries.size <= max) break
        entries.delete(oldest)
      }
    },
    get: (key: string, now: number): Option.Option<A> => {
      const entry = entries.get(key)
      if (entry === undefined || now - entry.at > TTL_MS) return Option.none()
      return Option.some(entry.value)
    }
  }
}

/** A store in this process's memory. */
export const makeMemory = (): ResponseStoreShape => {
  const items = expiring<Item>(MAX_ITEMS)
  const conversations = expiring<ReadonlyArray<Item>>(MAX_RESPONSES)
  return {
    remember: (response) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const item of response.output) {
          if (typeof item["id"] === "string") items.set(item["id"], item, now)
        }
        conversations.set(response.id, [...response.input, ...response.output], now)
      }),
    item: (id) => Effect.map(Clock.currentTimeMillis, (now) => items.get(id, now)),
    conversation: (responseId) => Effect.map(Clock.currentTimeMillis, (now) => conversations.get(responseId, now))
  }
}

const processStore = makeMemory()

/** The store the Responses endpoint uses: this process's, unless one is provided. */
export const CurrentResponseStore = Context.Reference<ResponseStoreShape>("@switchyard/server/ResponseStore", {
  defaultValue: () => processStore
})
