/**
 * Metering: every attempt that reaches a provider is priced and written to the `CostLedger`, whether
 * it answered, failed, or was cut off (a hedge that lost, a client that left, a deadline). Usage is the
 * provider's report when there is one, else a tokenizer estimate of the input sent and the output
 * already streamed, marked as estimated. A stream's last report covers what had streamed when it
 * came: output streamed after it (a stream that broke after an early, input-only report, such as
 * Anthropic's `message_start`) is estimated and added to the reported output, the provider's input
 * count kept, and the usage marked as estimated. The ledger row is written before the answer is
 * handed on, so an answered request is in the ledger even if the gateway is killed right after.
 * Embeddings are metered the same way: input tokens as the provider reported them, else counted
 * from the input texts (the answer then carries that estimate as its usage), no output.
 */
import { Cause, Clock, Context, Effect, Exit, Layer, Option, Pull, Scope, Stream } from "effect"
import { type ChatRequest, type ChatResponse, Embeddings, type Provider, ProviderError, type StreamEvent, Traced, Usage } from "@switchyard/core"
import { CostLedger, Estimate, type LedgerEntry, Pricing } from "@switchyard/cost"
import * as GatewayMetrics from "./GatewayMetrics.ts"
import * as RequestTrail from "./RequestTrail.ts"

/** Who an attempt is for: the request, key and alias its row is recorded under, and its role. */
export interface AttemptInfo {
  readonly requestId: string
  readonly apiKeyId: string | null
  readonly modelAlias: string
  readonly role: LedgerEntry.Role
  /**
   * Adds an attempt's usage and cost (`null`: unknown) to its request's running totals (what budgets
   * and token rate limits settle to).
   */
  readonly used: (usage: Usage.Usage, usd: number | null) => void
  /** The request's trail, the attempt's entry appended to it once recorded. */
  readonly trail?: RequestTrail.RequestTrail | undefined
}

export class Metering extends Context.Service<Metering, {
  /**
   * The same provider, every call metered (`embed` too, when it has it) as an attempt of `attempt`'s
   * request (without one: a row of its own, request id `direct`, role `primary`).
   */
  readonly wrap: (provider: Provider.ProviderShape, attempt?: AttemptInfo) => Provider.ProviderShape
}>()("@switchyard/gateway/Metering") {}

/** What an attempt produced, as far as it got. */
export interface Progress {
  readonly usage: Usage.Usage | undefined
  readonly text: string
  /** Output streamed since the last usage report, which that report does not count. */
  readonly unreported: string
  /** Clock milliseconds of the first output, for a stream. */
  readonly firstOutputAt?: number | undefined
}

/** Nothing produced yet. */
export const started: Progress = { usage: undefined, text: "", unreported: "" }

const responseText = (response: ChatResponse.ChatResponse): string =>
  response.choices
    .flatMap((c) => [c.reasoning ?? "", c.content ?? "", ...c.toolCalls.map((t) => t.name + t.arguments)])
    .join("")

const eventText = (event: StreamEvent.StreamEvent): string => {
  switch (event._tag) {
    case "TextDelta":
    case "ReasoningDelta":
    case "RefusalDelta":
      return event.text
    case "ToolCallStart":
      return event.name
    case "ToolCallDelta":
      return event.arguments
    default:
      return ""
  }
}

/** The progress after one stream event: a usage report replaces the last one; output text adds up. */
export const step = (progress: Progress, event: StreamEvent.StreamEvent): Progress => {
  if (event._tag === "UsageReport") return { ...progress, usage: event.usage, unreported: "" }
  const text = eventText(event)
  return text === "" ? progress : { ...progress, text: progress.text + text, unreported: progress.unreported + text }
}

/** The progress after events that arrived together at `now`: the first output's time is kept. */
export const stepAt = (progress: Progress, events: ReadonlyArray<StreamEvent.StreamEvent>, now: number): Progress => {
  const next = events.reduce(step, progress)
  return next.firstOutputAt === undefined && next.text !== "" ? { ...next, firstOutputAt: now } : next
}

/** The OpenTelemetry GenAI attributes of a chat attempt's span. */
const chatSpanAttributes = (provider: string, request: ChatRequest.ChatRequest): Record<string, unknown> => ({
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": provider,
  "gen_ai.system": provider,
  "gen_ai.request.model": request.model,
  ...(request.max_completion_tokens ?? request.max_tokens) == null
    ? {}
    : { "gen_ai.request.max_tokens": request.max_completion_tokens ?? request.max_tokens },
  ...(request.temperature == null ? {} : { "gen_ai.request.temperature": request.temperature }),
  ...(request.top_p == null ? {} : { "gen_ai.request.top_p": request.top_p })
})

/** What the answer says of itself, for the attempt's span. */
const responseSpanAttributes = (response: ChatResponse.ChatResponse): Record<string, unknown> => ({
  "gen_ai.response.id": response.id,
  "gen_ai.response.model": response.model,
  "gen_ai.response.finish_reasons": response.choices.map((c) => c.finishReason)
})

const zero = Usage.make({ inputTokens: 0, outputTokens: 0 })

/** An attempt's usage, and the method that estimated it (`null` when reported). */
export interface Measured {
  readonly usage: Usage.Usage
  readonly method: string | null
}

/** The input tokens of an embeddings request, counted: token arrays by length, texts by tokenizer. */
export const embeddingInput = (
  estimate: Estimate.EstimateShape,
  request: Embeddings.EmbeddingRequest
): Effect.Effect<Measured> => {
  const tokens = Embeddings.tokenCount(request.input)
  if (tokens !== undefined) {
    return Effect.succeed({ usage: Usage.make({ inputTokens: tokens, outputTokens: 0, source: "estimated" }), method: "input:token_arrays" })
  }
  return Effect.map(
    Effect.forEach(Embeddings.texts(request.input) ?? [], (text) => estimate.output(request.model, text)),
    (counts) => ({
      usage: Usage.make({ inputTokens: counts.reduce((n, e) => n + e.usage.outputTokens, 0), outputTokens: 0, source: "estimated" }),
      method: estimate.methodFor(request.model)
    })
  )
}

export const make = Effect.gen(function*() {
  const tracing = yield* Traced.enabled
  const ledger = yield* CostLedger.CostLedger
  const pricing = yield* Pricing.Pricing
  const estimate = yield* Estimate.Estimate

  /** An attempt started now: the clock, and when. */
  const attemptStart = <A, E, R>(
    f: (start: { readonly clock: Clock.Clock; readonly startedAt: number }) => Effect.Effect<A, E, R>
  ) =>
    Effect.withFiber((fiber) => {
      const clock = fiber.getRef(Clock.Clock)
      return f({ clock, startedAt: clock.currentTimeMillisUnsafe() })
    })

  /**
   * Writes the attempt's row, with the usage `measure` finds for it (given the provider's error,
   * if it failed with one).
   */
  const record = (
    info: AttemptInfo | undefined,
    provider: string,
    model: string,
    startedAt: number,
    exit: Exit.Exit<unknown, unknown>,
    measure: (failure: Option.Option<ProviderError.ProviderError>) => Effect.Effect<Measured>,
    firstOutputAt?: number
  ) =>
    Effect.gen(function*() {
      // A failure that is not the provider's (the consumer gave up on it) counts as cancelled.
      const failure = (Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()).pipe(
        Option.filter(ProviderError.isProviderError)
      )
      const outcome: LedgerEntry.Outcome = Exit.isSuccess(exit)
        ? "ok"
        : Option.isSome(failure)
        ? failure.value.category
        : "cancelled"
      const measured = yield* measure(failure)
      const cost = yield* pricing.price({ provider, model, usage: measured.usage, at: startedAt })
      const costUsd = Option.match(cost, { onNone: () => null, onSome: (c) => c.total })
      info?.used(measured.usage, costUsd)
      const entry: LedgerEntry.Entry = {
        requestId: info?.requestId ?? "direct",
        apiKeyId: info?.apiKeyId ?? null,
        modelAlias: info?.modelAlias ?? `${provider}/${model}`,
        provider,
        model,
        role: info?.role ?? "primary",
        outcome,
        latencyMs: (yield* Clock.currentTimeMillis) - startedAt,
        usage: measured.usage,
        estimateMethod: measured.method,
        cost: costUsd,
        timestamp: startedAt
      }
      yield* ledger.record(entry).pipe(
        Effect.catch((error) => Effect.logError(`cost ledger: attempt of ${entry.requestId} not recorded: ${error.message}`))
      )
      yield* GatewayMetrics.attempt(entry, firstOutputAt === undefined ? undefined : firstOutputAt - startedAt)
      yield* RequestTrail.append(info?.trail, entry)
      if (!tracing) return
      yield* Effect.annotateCurrentSpan({
        "gen_ai.usage.input_tokens": entry.usage.inputTokens,
        "gen_ai.usage.output_tokens": entry.usage.outputTokens,
        "switchyard.request_id": entry.requestId,
        "switchyard.attempt.role": entry.role,
        "switchyard.attempt.outcome": outcome,
        "switchyard.usage.source": entry.usage.source,
        ...(costUsd === null ? {} : { "switchyard.cost_usd": costUsd }),
        ...(outcome === "ok" ? {} : { "error.type": outcome })
      })
    }).pipe(Effect.uninterruptible)

  /**
   * A chat attempt's usage. An error answered with an HTTP status was refused before any work and
   * costs nothing; anything else without a usage report is estimated from what was sent and what
   * had streamed.
   */
  const chatUsage = (request: ChatRequest.ChatRequest, progress: Progress) =>
  (failure: Option.Option<ProviderError.ProviderError>): Effect.Effect<Measured> => {
    const refused = Option.isSome(failure) && failure.value.status !== undefined && progress.text === ""
    const reported = progress.usage
    return reported !== undefined
      ? progress.unreported === ""
        ? Effect.succeed({ usage: reported, method: null })
        : Effect.map(estimate.output(request.model, progress.unreported), (e) => ({
          usage: Usage.make({ ...reported, outputTokens: reported.outputTokens + e.usage.outputTokens, source: "estimated" }),
          method: e.method
        }))
      : refused
      ? Effect.succeed({ usage: zero, method: null })
      : Effect.map(estimate.usage(request, progress.text), (e) => ({ usage: e.usage, method: e.method }))
  }

  /** An embeddings attempt's usage: the provider's, else counted; nothing for a refused request. */
  const embeddingUsage = (request: Embeddings.EmbeddingRequest, response: Embeddings.EmbeddingResponse | undefined) =>
  (failure: Option.Option<ProviderError.ProviderError>): Effect.Effect<Measured> =>
    response?.usage !== undefined
      ? Effect.succeed({ usage: response.usage, method: null })
      : Option.isSome(failure) && failure.value.status !== undefined
      ? Effect.succeed({ usage: zero, method: null })
      : embeddingInput(estimate, request)

  const meterEmbed = (
    info: AttemptInfo | undefined,
    name: string,
    embed: (request: Embeddings.EmbeddingRequest) => Effect.Effect<Embeddings.EmbeddingResponse, ProviderError.ProviderError>
  ) =>
  (request: Embeddings.EmbeddingRequest) =>
    attemptStart(({ startedAt }) =>
      embed(request).pipe(
        // The usage is settled before the row is written, so the answer carries what was recorded.
        Effect.flatMap((response) =>
          Effect.map(embeddingUsage(request, response)(Option.none()), (measured) => ({ response, measured }))
        ),
        Effect.onExit((exit) =>
          record(
            info,
            name,
            request.model,
            startedAt,
            exit,
            Exit.isSuccess(exit) ? () => Effect.succeed(exit.value.measured) : embeddingUsage(request, undefined)
          )
        ),
        Effect.map(({ measured, response }) => ({ ...response, usage: measured.usage }))
      )).pipe(Traced.effect(tracing, `embeddings ${request.model}`, () => ({
        kind: "client",
        attributes: { "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": name, "gen_ai.system": name, "gen_ai.request.model": request.model }
      })))

  const wrap = (provider: Provider.ProviderShape, info?: AttemptInfo): Provider.ProviderShape => ({
    name: provider.name,
    complete: (request) =>
      attemptStart(({ startedAt }) =>
        provider.complete(request).pipe(
          Effect.tap((response) => Effect.annotateCurrentSpan(responseSpanAttributes(response))),
          Effect.onExit((exit) =>
            record(
              info,
              provider.name,
              request.model,
              startedAt,
              exit,
              chatUsage(
                request,
                Exit.isSuccess(exit)
                  ? { usage: exit.value.usage, text: responseText(exit.value), unreported: "" }
                  : started
              )
            )
          )
        )).pipe(Traced.effect(tracing, `chat ${request.model}`, () => ({ kind: "client", attributes: chatSpanAttributes(provider.name, request) }))),
    stream: (request) =>
      // One stage: each chunk of events that arrived together steps the progress; the attempt is
      // recorded once, when the stream fails or ends, or when its consumer stops reading.
      Stream.transformPull(provider.stream(request), (pull, scope) =>
        attemptStart(({ clock, startedAt }) => {
          const attempt: { progress: Progress; recorded: boolean } = { progress: started, recorded: false }
          // Called where nothing interrupts it (an exit handler, a finalizer), when the pull ends or
          // is interrupted (a timeout, a losing hedge), or the stream's consumer stops reading.
          const settle = (exit: Exit.Exit<unknown, unknown>) =>
            Effect.suspend(() => {
              if (attempt.recorded) return Effect.void
              attempt.recorded = true
              const p = attempt.progress
              return record(info, provider.name, request.model, startedAt, exit, chatUsage(request, p), p.firstOutputAt)
            })
          const metered = Effect.onExit(pull, (exit) => {
            if (Exit.isFailure(exit)) return settle(Pull.doneExitFromCause(exit.cause))
            attempt.progress = stepAt(attempt.progress, exit.value, clock.currentTimeMillisUnsafe())
            return Effect.void
          })
          return Effect.as(Scope.addFinalizerExit(scope, settle), metered)
        })
      ).pipe(Traced.stream(tracing, `chat ${request.model}`, () => ({
        kind: "client",
        attributes: { ...chatSpanAttributes(provider.name, request), "gen_ai.request.stream": true }
      }))),
    ...(provider.embed === undefined ? {} : { embed: meterEmbed(info, provider.name, provider.embed) })
  })

  return Metering.of({ wrap })
})

/** Metering over the ledger, prices and estimator in context. */
export const layer: Layer.Layer<Metering, never, CostLedger.CostLedger | Pricing.Pricing | Estimate.Estimate> =
  Layer.effect(Metering, make)
