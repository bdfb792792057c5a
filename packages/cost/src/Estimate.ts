/**
 * The `Estimate` service: token counts when the provider gave none (a stream cut before its usage
 * event, a provider that never reports usage) and the upper bound a budget reserves before a call.
 * OpenAI models are counted with their own encoding (`gpt-tokenizer`, chosen by model); other models
 * with `o200k_base` times a configurable factor, a documented approximation. Every result is a `Usage`
 * whose `source` is `"estimated"`, with the method that produced it.
 */
import { Context, Effect, Layer } from "effect"
import * as ChatRequest from "@switchyard/core/ChatRequest"
import * as Usage from "@switchyard/core/Usage"
import * as Tokenizer from "./internal/tokenizer.ts"

/** Estimated usage and how it was counted. */
export interface Estimation {
  readonly usage: Usage.Usage
  /**
   * `tokenizer:<encoding>` when the model's own encoding counted it (OpenAI models), or
   * `approx:o200k_base` (`approx:o200k_base*<factor>` with a factor) for other models.
   */
  readonly method: string
}

export interface EstimateShape {
  /** Input tokens of a request as the upstream model would count them. */
  readonly input: (request: ChatRequest.ChatRequest) => Effect.Effect<Estimation>
  /** Output tokens of text already generated (content, reasoning and tool arguments, concatenated). */
  readonly output: (model: string, text: string) => Effect.Effect<Estimation>
  /** Input of `request` plus output of `streamed`: the usage of a stream that ended without a report. */
  readonly usage: (request: ChatRequest.ChatRequest, streamed: string) => Effect.Effect<Estimation>
  /**
   * The most a request can use: its input plus its output limit (`max_completion_tokens` /
   * `max_tokens`, else `defaultMaxOutputTokens`). What a budget reserves before the call.
   */
  readonly upperBound: (request: ChatRequest.ChatRequest) => Effect.Effect<Estimation>
  /** The method `input`/`output` use for a model. */
  readonly methodFor: (model: string) => string
}

export class Estimate extends Context.Service<Estimate, EstimateShape>()("@switchyard/cost/Estimate") {}

export interface Options {
  /**
   * Multiplies approximate counts (models without their own encoding here). Default 1. Claude
   * tokenizers count more tokens than `o200k_base` for the same text; raise it to lean high.
   */
  readonly approximationFactor?: number | undefined
  /** The output limit assumed by `upperBound` when a request sets none. Default 4096. */
  readonly defaultMaxOutputTokens?: number | undefined
}

const estimated = (inputTokens: number, outputTokens: number): Usage.Usage =>
  Usage.make({ inputTokens, outputTokens, source: "estimated" })

export const make = (options: Options = {}): Effect.Effect<EstimateShape> =>
  Effect.sync(() => {
    const factor = options.approximationFactor ?? 1
    const defaultMax = options.defaultMaxOutputTokens ?? 4096

    const methodFor = (model: string): string => {
      const tokenizer = Tokenizer.tokenizerFor(model)
      if (tokenizer.exact) return `tokenizer:${tokenizer.encoding}`
      return factor === 1 ? `approx:${tokenizer.encoding}` : `approx:${tokenizer.encoding}*${factor}`
    }

    /** Counts with the model's tokenizer, scaled (and rounded up) when it is a stand-in. */
    const count = (model: string, measure: (countTokens: (text: string) => number) => number) => {
      const tokenizer = Tokenizer.tokenizerFor(model)
      return Effect.map(Tokenizer.load(tokenizer.encoding), (countTokens) => {
        const n = measure(countTokens)
        return tokenizer.exact ? n : Math.ceil(n * factor)
      })
    }

    const countInput = (request: ChatRequest.ChatRequest) =>
      count(request.model, (countTokens) => Tokenizer.countRequest(request, countTokens))

    const countOutput = (model: string, text: string) =>
      count(model, (countTokens) => (text.length === 0 ? 0 : Tokenizer.bounded(countTokens)(text)))

    return {
      methodFor,
      input: (request) =>
        Effect.map(countInput(request), (n) => ({ usage: estimated(n, 0), method: methodFor(request.model) })),
      output: (model, text) =>
        Effect.map(countOutput(model, text), (n) => ({ usage: estimated(0, n), method: methodFor(model) })),
      usage: (request, streamed) =>
        Effect.map(
          Effect.all([countInput(request), countOutput(request.model, streamed)]),
          ([input, output]) => ({ usage: estimated(input, output), method: methodFor(request.model) })
        ),
      upperBound: (request) =>
        Effect.map(countInput(request), (input) => ({
          usage: estimated(input, ChatRequest.maxOutputTokens(request) ?? defaultMax),
          method: methodFor(request.model)
        }))
    }
  })

/** The `Estimate` service. */
export const layer = (options: Options = {}): Layer.Layer<Estimate> => Layer.effect(Estimate, make(options))
