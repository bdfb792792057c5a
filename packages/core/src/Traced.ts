/**
 * Spans made only while tracing is on (`References.TracerEnabled`; the server turns it off when no
 * collector is configured). Effect's `withSpan` builds a span even then, and a stream's adds a stage
 * and a context update on every pull: costs paid on every request for spans nobody reads. The
 * options are built only when the span is.
 */
import { Effect, References, Stream, type Tracer } from "effect"

/** `self` in a span `name`, while tracing is on. */
export const effect = (name: string, options: () => Tracer.SpanOptionsNoTrace) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(References.TracerEnabled, (on) => (on ? Effect.withSpan(name, options(), { captureStackTrace: false })(self) : self))

/** `self` in a span `name` from its start to its end, while tracing is on. */
export const stream = (name: string, options: () => Tracer.SpanOptionsNoTrace) =>
<A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  Stream.unwrap(
    Effect.map(References.TracerEnabled, (on) => (on ? Stream.withSpan(self, name, { ...options(), captureStackTrace: false }) : self))
  )
