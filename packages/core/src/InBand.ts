/**
 * Failures carried as stream elements, so that a decoding stage can be a pure function applied to
 * whole chunks. Effect's `Stream.mapEffect` and `Stream.flattenIterable` run (and re-chunk) element by
 * element; on a stream of many small events that is most of the cost. `flatMap` maps each element to
 * zero or more outputs or to a `Failure`, keeps the chunks as they came, and fails the stream with the
 * failure's error only after the outputs that preceded it have been emitted (nothing is dropped).
 */
import { Effect, Stream } from "effect"

/** An error in band: raised by `flatMap` where it stands in the stream. */
export class Failure<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

/**
 * Each element as zero or more outputs, or a failure that ends the stream (after the outputs of the
 * elements before it). One step per chunk of the source, whatever its size.
 */
export const flatMap = <A, B, E2>(f: (a: A) => ReadonlyArray<B> | Failure<E2>) =>
<E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<B, E | E2, R> =>
  // `transformPull` reads the source in the stream's own scope (`toPull` would add a scope and a
  // semaphore per stream).
  Stream.transformPull(self, (pull) =>
    Effect.sync(() => {
      let pending: Failure<E2> | undefined
      const next: Effect.Effect<readonly [B, ...Array<B>], E | E2 | Effect.Error<typeof pull>> = Effect.suspend(() => {
        if (pending !== undefined) return Effect.fail(pending.error)
        return Effect.flatMap(pull, (chunk) => {
          const out: Array<B> = []
          for (const a of chunk) {
            const mapped = f(a)
            if (mapped instanceof Failure) {
              pending = mapped
              break
            }
            for (const b of mapped) out.push(b)
          }
          if (out.length > 0) return Effect.succeed(out as unknown as readonly [B, ...Array<B>])
          return pending === undefined ? next : Effect.fail(pending.error)
        })
      })
      return next
    }))
