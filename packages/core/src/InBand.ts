/**
 * Stream decoding as plain functions over whole chunks, failures carried in band. Effect's
 * `Stream.mapEffect` and `Stream.flattenIterable` run (and re-chunk) element by element, and every
 * operator is a stage of its own with its closures and a pull per chunk; a provider's stream goes
 * through a text decoder, an event parser, a JSON parse and a state machine. Here each of those is a
 * `Framing` (a plain, stateful function made for each run), framings compose, and `framed` runs the
 * composition as one stream stage: the chunks are kept as they came, and a failure ends the stream
 * only after the outputs that preceded it have been emitted (nothing is dropped).
 */
import { Cause, Effect, Pull, Stream } from "effect"

/** An error in band: the failure that ends a framing's outputs. */
export class Failure<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

/** The stop a framing may ask for after its outputs: the stream ends there (nothing more is read). */
export const End: unique symbol = Symbol.for("@switchyard/core/InBand/End")

/** What a framing says after an element: go on (`undefined`), end the stream, or fail it. */
export type Verdict<E> = undefined | typeof End | Failure<E>

/**
 * Elements to outputs, statefully: made once per run of a stream (it may hold a text decoder, a
 * parser's buffer, a state machine's state). `feed` pushes the outputs of one element to `out`;
 * `flush` pushes what is left when the source ends.
 */
export interface Framing<A, B, E> {
  readonly feed: (a: A, out: Array<B>) => Verdict<E>
  readonly flush: (out: Array<B>) => Verdict<E>
}

/** `first`'s outputs fed to `second`, as one framing. */
export const compose = <A, B, C, E1, E2>(first: Framing<A, B, E1>, second: Framing<B, C, E2>): Framing<A, C, E1 | E2> => {
  const through = (bs: ReadonlyArray<B>, out: Array<C>): Verdict<E2> => {
    for (const b of bs) {
      const verdict = second.feed(b, out)
      if (verdict !== undefined) return verdict
    }
    return undefined
  }
  return {
    feed: (a, out) => {
      const bs: Array<B> = []
      const verdict = first.feed(a, bs)
      return through(bs, out) ?? verdict
    },
    flush: (out) => {
      const bs: Array<B> = []
      const verdict = first.flush(bs)
      return through(bs, out) ?? verdict ?? second.flush(out)
    }
  }
}

/** A stateless framing: each element to zero or more outputs, or a failure. */
export const each = <A, B, E>(f: (a: A) => ReadonlyArray<B> | Failure<E>): Framing<A, B, E> => ({
  feed: (a, out) => {
    const mapped = f(a)
    if (mapped instanceof Failure) return mapped
    for (const b of mapped) out.push(b)
    return undefined
  },
  flush: () => undefined
})

/** UTF-8 bytes to text, a character split across chunks decoded whole. */
export const utf8 = (): Framing<Uint8Array, string, never> => {
  const decoder = new TextDecoder()
  const push = (text: string, out: Array<string>) => {
    if (text !== "") out.push(text)
    return undefined
  }
  return {
    feed: (bytes, out) => push(decoder.decode(bytes, { stream: true }), out),
    flush: (out) => push(decoder.decode(), out)
  }
}

/**
 * Text to lines, ended by `\n`, `\r\n` or `\r` (not included), a line split across chunks joined;
 * the last line needs no ending.
 */
export const lines = (): Framing<string, string, never> => {
  // The start of a line not ended yet, and whether the last chunk ended in `\r` (its `\n` may follow).
  const carry = { text: "", afterCr: false }
  return {
    feed: (text, out) => {
      const ending = /\r\n|\r|\n/g
      ending.lastIndex = carry.afterCr && text.startsWith("\n") ? 1 : 0
      carry.afterCr = false
      let from = ending.lastIndex
      for (let found = ending.exec(text); found !== null; found = ending.exec(text)) {
        out.push(carry.text + text.slice(from, found.index))
        carry.text = ""
        from = ending.lastIndex
        if (found[0] === "\r" && from === text.length) carry.afterCr = true
      }
      carry.text += text.slice(from)
      return undefined
    },
    flush: (out) => {
      if (carry.text !== "") out.push(carry.text)
      carry.text = ""
      return undefined
    }
  }
}

/**
 * `self` through a framing made for each run, in one stage. A source failure fails the stream as it
 * is (the framing is not flushed: what it would say about a cut source does not replace the cause).
 */
export const framed = <A, B, E2>(make: () => Framing<A, B, E2>) =>
<E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<B, E | E2, R> =>
  Stream.transformPull(self, (pull) =>
    Effect.sync(() => {
      const framing = make()
      // Once the framing ended or failed, nothing more is read from the source.
      const stop: { verdict: Verdict<E2> } = { verdict: undefined }
      const stopped = Effect.suspend((): Pull.Pull<never, E2, void> =>
        stop.verdict instanceof Failure ? Effect.fail(stop.verdict.error) : Cause.done()
      )
      const emit = (out: Array<B>, verdict: Verdict<E2>) => {
        stop.verdict = verdict
        return out.length > 0 ? Effect.succeed(out as unknown as readonly [B, ...Array<B>]) : next
      }
      const read: Pull.Pull<readonly [B, ...Array<B>], E | E2, void> = Pull.matchEffect(pull, {
        onSuccess: (chunk) => {
          const out: Array<B> = []
          let verdict: Verdict<E2> = undefined
          for (const a of chunk) {
            verdict = framing.feed(a, out)
            if (verdict !== undefined) break
          }
          return emit(out, verdict)
        },
        onFailure: Effect.failCause,
        onDone: () => {
          const out: Array<B> = []
          return emit(out, framing.flush(out) ?? End)
        }
      })
      const next: Pull.Pull<readonly [B, ...Array<B>], E | E2, void> = Effect.suspend(() => (stop.verdict === undefined ? read : stopped))
      return next
    }))

/**
 * Each element as zero or more outputs, or a failure that ends the stream (after the outputs of the
 * elements before it). One step per chunk of the source, whatever its size.
 */
export const flatMap = <A, B, E2>(f: (a: A) => ReadonlyArray<B> | Failure<E2>) => framed(() => each(f))
