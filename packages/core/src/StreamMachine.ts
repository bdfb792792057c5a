/**
 * Runs a provider's stream adapter written as a pure state machine: `step(state, input)` returns the
 * next state and what to emit: canonical events, a `ProviderError` (fails the stream), or `End`
 * (the provider's terminal marker: the stream stops there and the connection is released). `end`
 * decides what the source ending means (normal end, or a cut stream).
 */
import { Stream } from "effect"
import * as InBand from "./InBand.ts"
import { isProviderError, type ProviderError } from "./ProviderError.ts"
import type { StreamEvent } from "./StreamEvent.ts"

/** The terminal marker a step may emit. */
export const End: unique symbol = Symbol.for("@switchyard/core/StreamMachine/End")
export type End = typeof End

export type Output = StreamEvent | ProviderError | End

export interface Machine<S, I> {
  readonly initial: () => S
  readonly step: (state: S, input: I) => readonly [S, ReadonlyArray<Output>]
  /** Called when the source ends without the step having emitted `End`. */
  readonly end: (state: S) => ReadonlyArray<Output>
}

/** A source failure carried in band, so that it wins over whatever `end` would say about the cut. */
class SourceFailure<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

export const run = <S, I>(machine: Machine<S, I>) =>
<E, R>(inputs: Stream.Stream<I, E, R>): Stream.Stream<StreamEvent, E | ProviderError, R> =>
  inputs.pipe(
    Stream.map((input): I | SourceFailure<E> => input),
    Stream.catch((error) => Stream.succeed(new SourceFailure(error))),
    Stream.mapAccum(
      machine.initial,
      (state, input): readonly [S, ReadonlyArray<Output | SourceFailure<E>>] =>
        input instanceof SourceFailure ? [state, [input]] : machine.step(state, input),
      { onHalt: machine.end }
    ),
    Stream.takeWhile((output): output is StreamEvent | ProviderError | SourceFailure<E> => output !== End),
    InBand.flatMap((output): ReadonlyArray<StreamEvent> | InBand.Failure<E | ProviderError> =>
      output instanceof SourceFailure
        ? new InBand.Failure(output.error)
        : isProviderError(output)
        ? new InBand.Failure(output)
        : [output]
    )
  )
