/**
 * Mock `Provider`s for unit tests, without HTTP: each call plays an answer made of steps (canonical
 * events, `Effect.sleep` pauses, a failure, a hang). Pauses use the Effect clock, so `TestClock`
 * drives them. Answers come from a queue (one per call, in order) or from a function of the request,
 * and every call is recorded: the request, when it started and how it ended (interruptions included).
 *
 * ```ts
 * const openai = yield* MockProvider.make("openai", [
 *   MockProvider.answer({ text: ["Hel", "lo"] }, { firstTokenDelay: "200 millis" }),
 *   [MockProvider.fail("rate_limited")]
 * ])
 * ```
 */
import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Stream } from "effect"
import {
  type ChatRequest,
  Provider,
  ProviderError,
  StreamAccumulator,
  type StreamEvent
} from "@switchyard/core"
import * as Script from "./Script.ts"

/** Pause for a while (on the Effect clock). */
export interface Sleep {
  readonly _tag: "Sleep"
  readonly duration: Duration.Duration
}

/** Fail the call: with this error, or with an error of this category named after the provider. */
export interface Fail {
  readonly _tag: "Fail"
  readonly error: ProviderError.ProviderError | ProviderError.Category
  readonly message: string | undefined
}

/** Never finish (until interrupted). */
export interface Hang {
  readonly _tag: "Hang"
}

export type Step = StreamEvent.StreamEvent | Sleep | Fail | Hang

/** What one call does, step by step. */
export type Answer = ReadonlyArray<Step>

/** Answers in call order, or a function choosing one from the request and the call's index (from 0). */
export type Replies = ReadonlyArray<Answer> | ((request: ChatRequest.ChatRequest, index: number) => Answer)

export const sleep = (duration: Duration.Input): Sleep => ({
  _tag: "Sleep",
  duration: Duration.fromInputUnsafe(duration)
})

export const fail = (error: ProviderError.ProviderError | ProviderError.Category, message?: string): Fail => ({
  _tag: "Fail",
  error,
  message
})

export const hang: Hang = { _tag: "Hang" }

export interface Timing {
  /** Before the first event (time to first token). */
  readonly firstTokenDelay?: Duration.Input | undefined
  /** Before every later text, reasoning or tool-argument delta. */
  readonly chunkDelay?: Duration.Input | undefined
}

/** The steps of a successful answer described by a `Script`, with optional pauses. */
export const answer = (script: Script.Script, timing: Timing = {}): Answer => {
  const events = Script.events(script)
  const first = timing.firstTokenDelay === undefined ? [] : [sleep(timing.firstTokenDelay)]
  const between = timing.chunkDelay === undefined ? [] : [sleep(timing.chunkDelay)]
  let deltas = 0
  return [
    ...first,
    ...events.flatMap((event): ReadonlyArray<Step> => {
      const isDelta = event._tag === "TextDelta" || event._tag === "ReasoningDelta" || event._tag === "ToolCallDelta"
      return isDelta && deltas++ > 0 ? [...between, event] : [event]
    })
  ]
}

/** One recorded call. */
export interface Call {
  /** Call order, from 0. */
  readonly index: number
  readonly method: "complete" | "stream"
  readonly request: ChatRequest.ChatRequest
  /** Clock milliseconds (the `TestClock` under `it.effect`). */
  readonly startedAt: number
  /**
   * `interrupted`: the caller stopped the call before its end
   * (its fiber was interrupted, or the stream's consumer stopped early).
   */
  readonly outcome: "running" | "succeeded" | "failed" | "interrupted"
  readonly endedAt: number | undefined
}

export interface MockProviderShape extends Provider.ProviderShape {
  /** Every call so far, in order. */
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
}

/** The recorder of the provider given by `layer`. */
export class MockProvider extends Context.Service<MockProvider, MockProviderShape>()(
  "@switchyard/testing/MockProvider"
) {}

const toError = (name: string, step: Fail): ProviderError.ProviderError =>
  typeof step.error === "string"
    ? ProviderError.make(step.error, { provider: name, message: step.message ?? `${name}: mock ${step.error}` })
    : step.error

/** Runs one step: the events it emits, after its pause, or its failure. */
type Emitted = Effect.Effect<ReadonlyArray<StreamEvent.StreamEvent>, ProviderError.ProviderError>

const run = (name: string, step: Step): Emitted => {
  switch (step._tag) {
    case "Sleep":
      return Effect.as(Effect.sleep(step.duration), [])
    case "Fail":
      return Effect.fail(toError(name, step))
    case "Hang":
      return Effect.never
    default:
      return Effect.succeed([step])
  }
}

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): Call["outcome"] =>
  Exit.isSuccess(exit) ? "succeeded" : Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failed"

/** A mock provider answering from `replies`. A call beyond the queue fails with `UnknownProviderError`. */
export const make = (name: string, replies: Replies): Effect.Effect<MockProviderShape> =>
  Effect.sync(() => {
    const calls: Array<Call> = []

    const start = (method: Call["method"], request: ChatRequest.ChatRequest) =>
      Effect.map(Clock.currentTimeMillis, (startedAt) => {
        const index = calls.length
        calls.push({ index, method, request, startedAt, outcome: "running", endedAt: undefined })
        const steps = typeof replies === "function" ? replies(request, index) : replies[index]
        return { index, steps }
      })

    /** `reachedEnd`: a stream whose consumer stopped before its last step counts as interrupted. */
    const finish = (index: number, exit: Exit.Exit<unknown, unknown>, reachedEnd = true) =>
      Effect.flatMap(Clock.currentTimeMillis, (endedAt) =>
        Effect.sync(() => {
          const outcome = Exit.isSuccess(exit) && !reachedEnd ? "interrupted" : outcomeOf(exit)
          calls[index] = { ...calls[index]!, outcome, endedAt }
        }))

    const exhausted = (index: number) =>
      new ProviderError.UnknownProviderError({
        provider: name,
        message: `MockProvider ${name}: no scripted answer for call ${index}`
      })

    const stream: Provider.ProviderShape["stream"] = (request) =>
      Stream.unwrap(
        Effect.map(start("stream", request), ({ index, steps }) => {
          let reachedEnd = false
          return (steps === undefined
            ? Stream.fail(exhausted(index))
            : Stream.fromIterable(steps).pipe(
              Stream.mapEffect((step) => run(name, step)),
              Stream.flattenIterable,
              Stream.concat(Stream.fromEffectDrain(Effect.sync(() => (reachedEnd = true))))
            )).pipe(Stream.onExit((exit) => finish(index, exit, reachedEnd)))
        })
      )

    const complete: Provider.ProviderShape["complete"] = (request) =>
      Effect.flatMap(start("complete", request), ({ index, steps }) =>
        (steps === undefined
          ? Effect.fail(exhausted(index))
          : Effect.map(
            Effect.forEach(steps, (step) => run(name, step)),
            (emitted) => StreamAccumulator.assemble(emitted.flat())
          )).pipe(Effect.onExit((exit) => finish(index, exit))))

    return {
      name,
      complete,
      stream,
      calls: Effect.sync(() => [...calls])
    } satisfies MockProviderShape
  })

/** Provides core's `Provider` (answering from `replies`) and its `MockProvider` recorder. */
export const layer = (name: string, replies: Replies): Layer.Layer<Provider.Provider | MockProvider> =>
  Layer.effectContext(
    Effect.map(make(name, replies), (mock) =>
      Context.make(MockProvider, mock).pipe(Context.add(Provider.Provider, mock)))
  )
