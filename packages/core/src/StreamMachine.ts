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

/** `machine` as a framing: its state kept from one input to the next; `End` and a `ProviderError` stop it. */
export const framing = <S, I>(machine: Machine<S, I>): InBand.Framing<I, StreamEvent, ProviderError> => {
  const current = { state: machine.initial() }
  const push = (outputs: ReadonlyArray<Output>, out: Array<StreamEvent>): InBand.Verdict<ProviderError> => {
    for (const output of outputs) {
      if (output === End) return InBand.End
      if (isProviderError(output)) return new InBand.Failure(output)
      out.push(output)
    }
    return undefined
  }
  return {
    feed: (input, out) => {
      const [next, outputs] = machine.step(current.state, input)
      current.state = next
      return push(outputs, out)
    },
    flush: (out) => push(machine.end(current.state), out)
  }
}

/**
 * Inputs to events through `machine`, in one stream stage. A source failure wins over what `end`
 * would say about the cut.
 */
export const run = <S, I>(machine: Machine<S, I>) =>
<E, R>(inputs: Stream.Stream<I, E, R>): Stream.Stream<StreamEvent, E | ProviderError, R> =>
  InBand.framed(() => framing(machine))(inputs)

/**
 * A body's bytes to events, in one stream stage: `body` makes the machine's inputs (`Sse.providerBody`,
 * `Ndjson.body`), `machine` the events. Once the machine says `End`, nothing more is read (the
 * connection is released when the stream ends).
 */
export const decode = <S, I, E2 extends ProviderError>(
  body: () => InBand.Framing<Uint8Array, I, E2>,
  machine: Machine<S, I>
) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<StreamEvent, E | ProviderError, R> =>
  InBand.framed(() => InBand.compose(body(), framing(machine)))(bytes)
