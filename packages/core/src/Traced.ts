/**
 * Spans made only while tracing is on (`References.TracerEnabled`; the server turns it off when no
 * collector is configured), as a service decides when it is built. Effect's `withSpan` builds a span
 * even when tracing is off, and a stream's adds stages and a context update on every pull: costs
 * paid on every request for spans nobody reads. The options are built only when the span is.
 */
import { Effect, References, Stream, type Tracer } from "effect"

/** Whether tracing is on in the current context: what a service reads once, when it is built. */
export const enabled: Effect.Effect<boolean> = References.TracerEnabled

/** `self` in a span `name` when `on`. */
export const effect = (on: boolean, name: string, options: () => Tracer.SpanOptionsNoTrace) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  on ? Effect.withSpan(name, options(), { captureStackTrace: false })(self) : self

/** `self` in a span `name`, from its start to its end, when `on`. */
export const stream = (on: boolean, name: string, options: () => Tracer.SpanOptionsNoTrace) =>
<A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  on ? Stream.withSpan(self, name, { ...options(), captureStackTrace: false }) : self
