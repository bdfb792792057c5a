/**
 * Replays recorded wire bytes through a dialect's stream decoder, as network chunks of any split,
 * keeping the events seen before a failure. For adapter tests and the wire conformance run.
 */
import { Effect, Stream } from "effect"
import { type ChatResponse, type ProviderError, type ProviderHttp, StreamAccumulator, type StreamEvent } from "@switchyard/core"

/** What a decoder produced from some bytes. */
export interface Outcome {
  readonly events: ReadonlyArray<StreamEvent.StreamEvent>
  /** The events assembled, as a client would see the answer. */
  readonly response: ChatResponse.ChatResponse
  readonly error: ProviderError.ProviderError | undefined
}

/** The bytes cut at the given offsets (taken modulo the length, deduplicated). */
export const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let start = 0
  for (const p of points) {
    out.push(bytes.subarray(start, p))
    start = p
  }
  out.push(bytes.subarray(start))
  return out
}

/** The bytes in chunks of `size`. */
export const chunked = (bytes: Uint8Array, size: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

/** Runs `dialect`'s stream decoder over the chunks. */
export const stream = (
  dialect: ProviderHttp.Dialect,
  chunks: ReadonlyArray<Uint8Array>,
  context: ProviderHttp.CallContext
): Effect.Effect<Outcome> =>
  Effect.gen(function*() {
    const events: Array<StreamEvent.StreamEvent> = []
    const result = yield* dialect.decodeStream(Stream.fromIterable(chunks), context).pipe(
      Stream.runForEach((event) => Effect.sync(() => events.push(event))),
      Effect.result
    )
    return {
      events,
      response: StreamAccumulator.assemble(events),
      error: result._tag === "Failure" ? result.failure : undefined
    }
  })
