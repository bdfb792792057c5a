/**
 * The `Gateway` service: what the HTTP server, the CLI and library users call. It resolves a request's
 * `model` to routes (an alias from the config, `provider/model`, a model a provider lists, or the only
 * provider there is), tries them in order, and reports every attempt. A stream fails over invisibly
 * until its first content event; after that it is committed to its route.
 */
import { Clock, Context, Effect, Exit, Layer, Option, Pull, Scope, Stream } from "effect"
import {
  type ChatRequest,
  type ChatResponse,
  type Provider,
  type ProviderError,
  type StreamEvent,
  ProviderError as Errors
} from "@switchyard/core"
import { Budgets, Estimate, Pricing } from "@switchyard/cost"
import type { GatewayConfig } from "./GatewayConfig.ts"
import { type GatewayError, RoutesExhausted, UnknownModel } from "./GatewayError.ts"
import { CurrentAttempt, Metering } from "./Metering.ts"
import { ProviderRegistry } from "./ProviderRegistry.ts"
import { type Attempt, label, movesOn, type Route } from "./Route.ts"

/** Who is asking: the server fills it from the HTTP request; library callers may leave it out. */
export interface Caller {
  readonly requestId?: string | undefined
  /** The id of the client's API key, for the ledger and per-key budgets. */
  readonly apiKeyId?: string | null | undefined
}

/** A whole answer and how it was obtained. */
export interface Answer {
  readonly response: ChatResponse.ChatResponse
  readonly route: Route
  readonly attempts: ReadonlyArray<Attempt>
}

/** A stream committed to `route`; `attempts` lists the routes tried before it. */
export interface StreamingAnswer {
  readonly route: Route
  readonly attempts: ReadonlyArray<Attempt>
  readonly events: Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>
}

export class Gateway extends Context.Service<Gateway, {
  readonly resolve: (model: string) => Effect.Effect<ReadonlyArray<Route>, UnknownModel>
  readonly complete: (request: ChatRequest.ChatRequest, caller?: Caller) => Effect.Effect<Answer, GatewayError>
  readonly stream: (request: ChatRequest.ChatRequest, caller?: Caller) => Effect.Effect<StreamingAnswer, GatewayError>
  /** Model names clients can use: aliases, then `provider/model` for every listed model. */
  readonly models: ReadonlyArray<string>
}>()("@switchyard/gateway/Gateway") {}

/** Events that mean the provider has started answering (as opposed to metadata). */
const isContent = (event: StreamEvent.StreamEvent): boolean =>
  event._tag !== "ResponseStart" && event._tag !== "UsageReport"

type Chunk = ReadonlyArray<StreamEvent.StreamEvent>

/**
 * Starts a provider stream and reads it up to its first content event. On failure the attempt's
 * resources (its HTTP request) are released at once; on success they live until the returned stream
 * ends or is interrupted.
 */
const openStream = (provider: Provider.ProviderShape, request: ChatRequest.ChatRequest) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const untilContent = Effect.gen(function*() {
      const pull = yield* Stream.toPull(provider.stream(request)).pipe(Scope.provide(scope))
      const buffered: Array<StreamEvent.StreamEvent> = []
      while (!buffered.some(isContent)) {
        const chunk: Chunk = yield* pull.pipe(
          Pull.catchDone(() =>
            Effect.fail(
              new Errors.StreamInterrupted({
                provider: provider.name,
                message: `${provider.name}: stream ended before any content`
              })
            )
          )
        )
        buffered.push(...chunk)
      }
      return { buffered, pull }
    })
    const { buffered, pull } = yield* untilContent.pipe(
      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit)))
    )
    return Stream.fromIterable(buffered).pipe(
      Stream.concat(Stream.fromPull(Effect.succeed(pull))),
      Stream.ensuring(Scope.close(scope, Exit.void))
    )
  })

export const make = (config: GatewayConfig) =>
  Effect.gen(function*() {
    const registry = yield* ProviderRegistry
    const aliases = config.models ?? {}
    const listed = registry.names.flatMap((name) =>
      Option.match(registry.get(name), { onNone: () => [], onSome: (e) => e.models.map((model) => ({ provider: name, model })) })
    )

    const resolve = (model: string): Effect.Effect<ReadonlyArray<Route>, UnknownModel> => {
      const alias = aliases[model]
      if (alias !== undefined) return Effect.succeed(alias.routes)
      const slash = model.indexOf("/")
      if (slash > 0 && Option.isSome(registry.get(model.slice(0, slash)))) {
        return Effect.succeed([{ provider: model.slice(0, slash), model: model.slice(slash + 1) }])
      }
      const offering = listed.filter((route) => route.model === model)
      if (offering.length > 0) return Effect.succeed(offering)
      if (registry.names.length === 1) return Effect.succeed([{ provider: registry.names[0]!, model }])
      return Effect.fail(new UnknownModel({ model, known: Object.keys(aliases) }))
    }

    const metering = yield* Metering
    const budgets = yield* Budgets.Budgets
    const pricing = yield* Pricing.Pricing
    const estimate = yield* Estimate.Estimate
    const metered = new Map(
      registry.names.map((name) => [name, metering.wrap(Option.getOrThrow(registry.get(name)).provider)])
    )
    const providerOf = (route: Route): Provider.ProviderShape => metered.get(route.provider)!

    /**
     * Holds, in every budget that applies, the most the request can cost on its dearest route (its
     * input plus its output limit); `settle` replaces that with what the attempts really cost.
     */
    const reserve = (request: ChatRequest.ChatRequest, routes: ReadonlyArray<Route>, caller: Caller) =>
      Effect.gen(function*() {
        const bound = yield* estimate.upperBound(request)
        const prices = yield* Effect.forEach(routes, (route) =>
          pricing.price({ provider: route.provider, model: route.model, usage: bound.usage }))
        const amount = Math.max(0, ...prices.map(Option.match({ onNone: () => 0, onSome: (c) => c.total })))
        const reservation = yield* budgets.reserve({ apiKeyId: caller.apiKeyId ?? null, modelAlias: request.model }, amount)
        let spent = 0
        return {
          spend: (usd: number) => {
            spent += usd
          },
          settle: Effect.suspend(() => budgets.settle(reservation, Option.some(spent)))
        }
      })

    /**
     * Tries routes in order with `attempt`, recording each try, until one succeeds or a failure stops
     * it. Every attempt runs with its `CurrentAttempt`, so metering knows whose it is.
     */
    const failover = <A>(
      request: ChatRequest.ChatRequest,
      routes: ReadonlyArray<Route>,
      caller: Caller & { readonly requestId: string; readonly spend: (usd: number) => void },
      attempt: (provider: Provider.ProviderShape, request: ChatRequest.ChatRequest) => Effect.Effect<A, ProviderError.ProviderError>
    ) =>
      Effect.gen(function*() {
        const attempts: Array<Attempt> = []
        let last: ProviderError.ProviderError | undefined
        for (const route of routes) {
          const started = yield* Clock.currentTimeMillis
          const result = yield* Effect.result(attempt(providerOf(route), { ...request, model: route.model })).pipe(
            Effect.provideService(CurrentAttempt, {
              requestId: caller.requestId,
              apiKeyId: caller.apiKeyId ?? null,
              modelAlias: request.model,
              role: attempts.length === 0 ? "primary" : "fallback",
              spend: caller.spend
            })
          )
          const durationMs = (yield* Clock.currentTimeMillis) - started
          if (result._tag === "Success") {
            attempts.push({ route, outcome: "ok", durationMs })
            return { value: result.success, route, attempts }
          }
          last = result.failure
          attempts.push({ route, outcome: last.category, status: last.status, durationMs })
          yield* Effect.logWarning(`route ${label(route)} failed: ${last.message}`).pipe(
            Effect.annotateLogs({ category: last.category, retryable: last.retryable, durationMs })
          )
          if (!movesOn(last)) break
        }
        return yield* new RoutesExhausted({ attempts, last: last! })
      })

    /** Resolves, reserves budget, and runs `body`; the budget is settled when `body`'s result is done with. */
    const run = <A>(
      request: ChatRequest.ChatRequest,
      caller: Caller,
      body: (
        routes: ReadonlyArray<Route>,
        who: Caller & { readonly requestId: string; readonly spend: (usd: number) => void },
        settle: Effect.Effect<void>
      ) => Effect.Effect<A, GatewayError>
    ) =>
      Effect.gen(function*() {
        const routes = yield* resolve(request.model)
        const budget = yield* reserve(request, routes, caller)
        const who = { ...caller, requestId: caller.requestId ?? `req_${crypto.randomUUID().replaceAll("-", "")}`, spend: budget.spend }
        return yield* body(routes, who, budget.settle).pipe(Effect.onError(() => budget.settle))
      })

    return Gateway.of({
      resolve,
      models: [...Object.keys(aliases), ...listed.map(label)],
      complete: (request, caller = {}) =>
        run(request, caller, (routes, who, settle) =>
          failover(request, routes, who, (provider, req) => provider.complete(req)).pipe(
            Effect.tap(() => settle),
            Effect.map(({ attempts, route, value }) => ({ response: value, route, attempts }))
          )).pipe(Effect.withSpan("Gateway.complete", { attributes: { model: request.model } })),
      stream: (request, caller = {}) =>
        run(request, caller, (routes, who, settle) =>
          failover(request, routes, who, openStream).pipe(
            Effect.map(({ attempts, route, value }) => ({ events: value.pipe(Stream.ensuring(settle)), route, attempts }))
          )).pipe(Effect.withSpan("Gateway.stream", { attributes: { model: request.model } }))
    })
  })

/** The gateway over the registry, with the config's aliases. */
export const layer = (
  config: GatewayConfig
): Layer.Layer<Gateway, never, ProviderRegistry | Metering | Budgets.Budgets | Pricing.Pricing | Estimate.Estimate> =>
  Layer.effect(Gateway, make(config))
