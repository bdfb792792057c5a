/**
 * The `Gateway` service: what the HTTP server, the CLI and library users call. It resolves a request's
 * `model` to routes (an alias from the config, `provider/model`, a model a provider lists, or the only
 * provider there is), holds budget, and hands the routes to the `Router` (health-aware order,
 * retries and failover under one deadline, hedging), reporting every attempt. A stream fails over
 * invisibly until its first content event; after that it is committed to its route. Embeddings go
 * the same way over the routes whose provider has them. Token counts ask the first route whose
 * provider can count, else estimate. Before any route is called, the request takes its room in the
 * rate limits that apply (`RateLimits`: one request, and its estimated tokens when a tokens limit
 * applies) and then in the budgets; both are settled to what the attempts really used when it ends.
 */
import { type Array as Arr, Cause, Channel, Clock, Context, Duration, Effect, Exit, Layer, Option, Pull, Scope, Stream } from "effect"
import {
  type ChatRequest,
  type ChatResponse,
  type Embeddings,
  type Provider,
  type ProviderError,
  type StreamEvent,
  ProviderError as Errors,
  Traced,
  Usage
} from "@switchyard/core"
import { Budgets, Estimate, Pricing, RateLimits } from "@switchyard/cost"
import { Conform, OutputContract, PromptTemplates } from "@switchyard/prompts"
import { Deadline, Router, type RoutingError, StreamTimeouts } from "@switchyard/routing"
import type { GatewayConfig, KeyLimits, ModelConfig } from "./GatewayConfig.ts"
import { type GatewayError, RoutesExhausted, UnknownModel } from "./GatewayError.ts"
import { type AttemptInfo, embeddingInput, Metering } from "./Metering.ts"
import * as RequestTrail from "./RequestTrail.ts"
import * as Recovery from "./Recovery.ts"
import { ProviderRegistry } from "./ProviderRegistry.ts"
import { type Attempt, label, type Route } from "./Route.ts"
import * as RoutingConfig from "./RoutingConfig.ts"

/** Who is asking, and what they asked of routing: the server fills it from the HTTP request. */
export interface Caller {
  readonly requestId?: string | undefined
  /** The id of the client's API key, for the ledger and per-key budgets. */
  readonly apiKeyId?: string | null | undefined
  /** More models to fall back on, in order, after the requested one's routes (OpenRouter's `models`). */
  readonly fallbackModels?: ReadonlyArray<string> | undefined
  /** Overrides of the routing settings for this request (deadline, hedge, timeouts, strategy). */
  readonly routing?: RoutingConfig.RequestRouting | undefined
  /** The model the client asked for, when `request.model` is one of its routes (budgets and ledger). */
  readonly alias?: string | undefined
  /** The key's own rate limits and budget (a config key's or a virtual key's). */
  readonly keyLimits?: KeyLimits | undefined
}

/** A whole answer and how it was obtained. */
export interface Answer {
  readonly response: ChatResponse.ChatResponse
  readonly route: Route
  readonly attempts: ReadonlyArray<Attempt>
}

/** An answer that honours an output contract: its content is the validated (repaired) JSON. */
export interface ConformedAnswer extends Answer {
  readonly value: unknown
  /** The repairs applied to the answer that was kept. */
  readonly repairs: ReadonlyArray<string>
  /** How each route did against the contract. */
  readonly conformance: ReadonlyArray<Conform.Attempt>
}

/** Embeddings and how they were obtained; `response.usage` is what the ledger recorded. */
export interface EmbeddingAnswer {
  readonly response: Embeddings.EmbeddingResponse
  readonly route: Route
  readonly attempts: ReadonlyArray<Attempt>
}

/**
 * The input tokens of a request: the provider's own count (`method` `provider:<name>`), or the
 * gateway's estimate (`method` the estimator's, e.g. `approx:o200k_base`).
 */
export interface TokenCount {
  readonly inputTokens: number
  readonly source: "provider" | "estimate"
  readonly method: string
  /** The route that counted, when a provider did. */
  readonly route?: Route | undefined
}

/** How long a provider's token count may take before the estimate is used instead. */
export const countTokensTimeout = Duration.seconds(5)

/** A stream committed to `route`; `attempts` lists the routes tried before it. */
export interface StreamingAnswer {
  readonly route: Route
  readonly attempts: ReadonlyArray<Attempt>
  readonly events: Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>
  /**
   * Lets the answer go: the upstream closed, the rate limits and budgets settled to what was used.
   * `events` does it when it ends; an answer whose events may never run (a client gone before its
   * body started) must be released by its holder, at the latest when its scope closes. Runs once.
   */
  readonly release: Effect.Effect<void>
}

export class Gateway extends Context.Service<Gateway, {
  readonly resolve: (model: string) => Effect.Effect<ReadonlyArray<Route>, UnknownModel>
  readonly complete: (request: ChatRequest.ChatRequest, caller?: Caller) => Effect.Effect<Answer, GatewayError>
  readonly stream: (request: ChatRequest.ChatRequest, caller?: Caller) => Effect.Effect<StreamingAnswer, GatewayError>
  /**
   * A whole answer that honours `contract`: each route's prompt template applied, the answer
   * validated, repaired, re-asked once, then the next route (see `@switchyard/prompts`).
   */
  readonly conform: (
    request: ChatRequest.ChatRequest,
    contract: OutputContract.OutputContract,
    caller?: Caller
  ) => Effect.Effect<ConformedAnswer, GatewayError | Conform.ContractFailed>
  /**
   * Embeddings over the model's routes whose provider has them (others are skipped; none is a 400
   * naming `model`), with failover, breakers and the deadline as for `complete`, every attempt metered.
   */
  readonly embed: (request: Embeddings.EmbeddingRequest, caller?: Caller) => Effect.Effect<EmbeddingAnswer, GatewayError>
  /**
   * The input tokens of a chat request: counted by the first of the model's routes whose provider
   * has a token-count API (with the route's model, within `countTokensTimeout`), else, or when that
   * count fails, the estimate. Never fails (a model no route serves is estimated too), holds no
   * budget and writes no ledger row: counting is free.
   */
  readonly countTokens: (request: ChatRequest.ChatRequest, caller?: Caller) => Effect.Effect<TokenCount>
  /**
   * The tokenizer's estimate of a request's input and its most output (no provider asked, nothing
   * held or recorded): what a client is told before a route reports usage.
   */
  readonly estimateInput: (request: ChatRequest.ChatRequest) => Effect.Effect<Usage.Usage>
  /**
   * Model names clients can use: aliases, then every model a provider lists (the routes of all that
   * list it), then `provider/model` for each.
   */
  readonly models: ReadonlyArray<string>
  /** The configured aliases and their routes, in config order. */
  readonly aliases: ReadonlyArray<{ readonly alias: string; readonly routes: ReadonlyArray<Route> }>
}>()("@switchyard/gateway/Gateway") {}

/**
 * The events of a committed stream, in one stage: what reached the client is stepped per chunk
 * (`Recovery.deliver`), so that when the stream breaks `takeover` can continue it on another route;
 * `release` runs when the stream ends, however it ends.
 */
const recoverable = (
  committed: Stream.Stream<StreamEvent.StreamEvent, RoutingError.StreamBroken>,
  takeover: (
    broken: RoutingError.StreamBroken,
    delivered: Recovery.Delivered
  ) => Effect.Effect<Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError>>,
  release: Effect.Effect<void>
): Stream.Stream<StreamEvent.StreamEvent, ProviderError.ProviderError> =>
  Stream.fromChannel(Channel.fromTransform((upstream, scope) =>
    Effect.gen(function*() {
      yield* Scope.addFinalizer(scope, release)
      type Events = Pull.Pull<Arr.NonEmptyReadonlyArray<StreamEvent.StreamEvent>, ProviderError.ProviderError>
      // Until it breaks: the committed stream's pull and what it delivered; then the takeover's pull.
      const source: { delivered: Recovery.Delivered; takenOver: Events | undefined } = {
        delivered: Recovery.nothingDelivered,
        takenOver: undefined
      }
      const first = yield* Channel.toTransform(committed.channel)(upstream, scope)
      const fromFirst: Events = Pull.matchEffect(first, {
        onSuccess: (events) => {
          source.delivered = events.reduce(Recovery.deliver, source.delivered)
          return Effect.succeed(events)
        },
        onFailure: (cause) => {
          const broken = Cause.findErrorOption(cause)
          if (broken._tag === "None") return Effect.failCause(cause as Cause.Cause<never>)
          return Effect.flatMap(takeover(broken.value, source.delivered), (stream) =>
            Effect.flatMap(Channel.toTransform(stream.channel)(upstream, scope), (pull) => {
              source.takenOver = pull
              return pull
            }))
        },
        onDone: () => Cause.done()
      })
      return Effect.suspend(() => source.takenOver ?? fromFirst)
    })
  ))

export const make = (config: GatewayConfig) =>
  Effect.gen(function*() {
    const tracing = yield* Traced.enabled
    const registry = yield* ProviderRegistry
    const aliases = config.models ?? {}
    /** The alias a client's model name names, if any: an own key, never an object's inherited one. */
    const aliasOf = (model: string) => (Object.hasOwn(aliases, model) ? aliases[model] : undefined)
    const listed = registry.names.flatMap((name) =>
      Option.match(registry.get(name), { onNone: () => [], onSome: (e) => e.models.map((model) => ({ provider: name, model })) })
    )

    const resolve = (model: string): Effect.Effect<ReadonlyArray<Route>, UnknownModel> => {
      const alias = aliasOf(model)
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
    const rateLimits = yield* RateLimits.RateLimits
    const pricing = yield* Pricing.Pricing
    const estimate = yield* Estimate.Estimate
    const router = yield* Router.Router
    const providers = new Map(registry.names.map((name) => [name, Option.getOrThrow(registry.get(name)).provider]))
    const providerOf = (route: Route): Provider.ProviderShape => providers.get(route.provider)!
    /** The route's provider, its calls metered as `attempt`'s. */
    const meteredAs = (route: Route, attempt: AttemptInfo): Provider.ProviderShape => metering.wrap(providerOf(route), attempt)
    /** Whether a route accepts a partial assistant message to continue (config `prefill`, Anthropic by default). */
    const prefillOf = (route: Route): boolean => {
      const provider = config.providers[route.provider]
      return provider?.prefill ?? provider?.kind === "anthropic"
    }

    /**
     * Routes of the requested model, then of each fallback model the caller named, each route once:
     * a route that failed is not tried again because a fallback model resolves to it too.
     */
    const routesFor = (request: { readonly model: string }, caller: Caller) =>
      Effect.map(
        Effect.forEach([request.model, ...(caller.fallbackModels ?? [])], resolve),
        (lists) => [...new Map(lists.flat().map((route) => [label(route), route])).values()]
      )

    /**
     * The price of a million input and a million output tokens on a route, for the `price`
     * strategy; unknown prices sort last.
     */
    const referencePrices = (routes: ReadonlyArray<Route>) =>
      Effect.map(
        Effect.forEach(routes, (route) =>
          pricing.price({ ...route, usage: Usage.make({ inputTokens: 1_000_000, outputTokens: 1_000_000 }) })),
        (prices) => {
          const byRoute = new Map(routes.map((route, i) => [label(route), Option.match(prices[i]!, { onNone: () => Infinity, onSome: (c) => c.total })]))
          return (route: Route) => byRoute.get(label(route)) ?? Infinity
        }
      )

    /** The config's routing settings, then those a model alias overrides (none for a model that is no alias). */
    const configuredOf = (alias: ModelConfig | undefined): RoutingConfig.RequestRouting => ({
      ...(config.routing === undefined ? {} : RoutingConfig.requestRouting(config.routing)),
      ...(alias === undefined ? {} : RoutingConfig.requestRouting(alias))
    })
    const configuredSettings = new Map([undefined, ...Object.values(aliases)].map((alias) => [alias, configuredOf(alias)]))

    /** The router options of `settings`; the timeouts judge routes unless the caller tightened them. */
    const routerOptions = (
      settings: RoutingConfig.RequestRouting,
      price: (route: Route) => number,
      timeoutsJudgeRoutes: boolean
    ): Router.RequestOptions => ({ ...RoutingConfig.requestOptions(settings, price), timeoutsJudgeRoutes })

    /**
     * The options of a request that sets no routing of its own, decided once per alias; none for the
     * `price` strategy, whose order depends on the routes' prices.
     */
    const standing = new Map([...configuredSettings].flatMap(([alias, settings]) => {
      const withDefaults = RoutingConfig.withDefaults(settings)
      return withDefaults.strategy === "price" ? [] : [[alias, routerOptions(withDefaults, () => 0, true)] as const]
    }))

    /** The router options of a request: the config's, the alias's, then the caller's. */
    const optionsFor = (request: { readonly model: string }, routes: ReadonlyArray<Route>, caller: Caller) => {
      const alias = aliasOf(request.model)
      const fixed = caller.routing === undefined ? standing.get(alias) : undefined
      if (fixed !== undefined) return Effect.succeed(fixed)
      return Effect.gen(function*() {
        const settings = configuredSettings.get(alias)!
        const withDefaults = RoutingConfig.withDefaults({ ...settings, ...caller.routing })
        const price = withDefaults.strategy === "price" ? yield* referencePrices(routes) : () => 0
        return routerOptions(withDefaults, price, !RoutingConfig.tightens(caller.routing ?? {}, RoutingConfig.withDefaults(settings)))
      })
    }

    /** Who a request is for, as budgets and rate limits see it. */
    const subjectOf = (request: { readonly model: string }, caller: Caller) => {
      const apiKeyId = caller.apiKeyId ?? null
      const budget = caller.keyLimits?.budget
      return {
        apiKeyId,
        modelAlias: caller.alias ?? request.model,
        key: caller.keyLimits,
        ...(budget === undefined || apiKeyId === null ? {} : { rules: [{ key: apiKeyId, ...budget }] })
      }
    }

    /** What the attempts of a request used, added up as they are metered. */
    interface Tally {
      readonly used: (usage: Usage.Usage, usd: number | null) => void
      readonly tokens: () => number
      readonly usd: () => number
    }

    const makeTally = (): Tally => {
      let tokens = 0
      let usd = 0
      return {
        used: (usage, cost) => {
          tokens += usage.inputTokens + usage.outputTokens
          usd += cost ?? 0
        },
        tokens: () => tokens,
        usd: () => usd
      }
    }

    /**
     * Takes the request's room in every rate limit that applies (its tokens: `bound`'s input plus
     * output, counted only when a tokens limit applies); the effect settles it to the tally's tokens.
     */
    const limit = (subject: RateLimits.Subject, bound: Effect.Effect<Usage.Usage>, tally: Tally) =>
      rateLimits.applies(subject)
        ? Effect.map(
          rateLimits.acquire(subject, Effect.map(bound, (usage) => usage.inputTokens + usage.outputTokens)),
          (permit) => Effect.suspend(() => rateLimits.settle(permit, tally.tokens()))
        )
        : Effect.succeed(Effect.void)

    /**
     * Holds, in every budget that applies, the most the request can cost on its dearest route (`bound`:
     * for a chat, its input plus its output limit); the effect settles it to what the attempts
     * really cost. No budget applying, no estimate or price is needed.
     */
    const reserve = (subject: Budgets.Subject, routes: ReadonlyArray<Route>, bound: Effect.Effect<Usage.Usage>, tally: Tally) =>
      Effect.gen(function*() {
        if (!budgets.applies(subject)) return Effect.void
        const usage = yield* bound
        const prices = yield* Effect.forEach(routes, (route) =>
          pricing.price({ provider: route.provider, model: route.model, usage }))
        const amount = Math.max(0, ...prices.map(Option.match({ onNone: () => 0, onSome: (c) => c.total })))
        const reservation = yield* budgets.reserve(subject, amount)
        return Effect.suspend(() => budgets.settle(reservation, Option.some(tally.usd())))
      })

    /**
     * A routing failure as the gateway's: the last provider error decides what the client sees. When
     * no call was made because every route was refused (an open breaker, a rate-limit cooldown), the
     * client hears why (a rate limit stays a 429) and when the first is usable again (`Retry-After`).
     */
    const failed = (error: RoutingError.RoutingError, now: number): GatewayError =>
      error._tag === "AttemptFailed"
        ? new RoutesExhausted({ attempts: error.attempts, last: error.error })
        : new RoutesExhausted({ attempts: error.attempts, last: error.lastError ?? allOpen(error.attempts, now) })

    const allOpen = (attempts: ReadonlyArray<Attempt>, now: number): ProviderError.ProviderError => {
      const soonest = attempts
        .flatMap((a) => (a.circuit === undefined ? [] : [{ route: a.route, cooling: a.outcome === "cooling_down", ...a.circuit }]))
        .sort((a, b) => a.reopensAt - b.reopensAt)[0]
      if (soonest === undefined) {
        return new Errors.Overloaded({ provider: "switchyard", message: "No route is available: every circuit breaker is open." })
      }
      const category = soonest.openedBy !== undefined && Errors.categories.includes(soonest.openedBy as ProviderError.Category)
        ? soonest.openedBy as ProviderError.Category
        : "overloaded"
      const wait = Math.max(1000, soonest.reopensAt - now)
      const why = soonest.cooling ? "is cooling down after a rate limit" : `opened after ${category.replace("_", " ")} failures`
      return Errors.make(category, {
        provider: soonest.route.provider,
        message: `No route is available now: ${label(soonest.route)} ${why} and is tried again in ${Math.ceil(wait / 1000)} s.`,
        retryAfter: Duration.millis(wait)
      })
    }

    interface Prepared {
      readonly routes: ReadonlyArray<Route>
      readonly options: Router.RequestOptions
      /** Who an attempt in `role` is for, so metering knows whose it is. */
      readonly asAttempt: (role: Attempt["role"]) => AttemptInfo
      readonly settle: Effect.Effect<void>
    }

    /** What a chat request can cost at most: its input plus its output limit (counted when run). */
    const chatBound = (request: ChatRequest.ChatRequest) =>
      Effect.suspend(() => Effect.map(estimate.upperBound(request), (e) => e.usage))

    /**
     * Resolves (unless given `routes`), takes room in the rate limits (unless the request runs inside
     * one that did: `within`, whose tally it adds to) and reserves budget, up to `bound`, and decides
     * the routing options. Refused by a budget, the rate limits are settled at once (no tokens used).
     */
    const prepare = (
      request: { readonly model: string },
      caller: Caller,
      bound: Effect.Effect<Usage.Usage>,
      scope: { readonly routes?: ReadonlyArray<Route>; readonly within?: Tally } = {}
    ): Effect.Effect<Prepared, GatewayError> =>
      Effect.gen(function*() {
        const routes = scope.routes ?? (yield* routesFor(request, caller))
        const subject = subjectOf(request, caller)
        const limited = scope.within === undefined && rateLimits.applies(subject)
        // The estimate is counted only if a limit or a budget needs it, once if both do.
        const once = limited && budgets.applies(subject) ? yield* Effect.cached(bound) : bound
        const tally = makeTally()
        const settleLimits = limited ? yield* limit(subject, once, tally) : Effect.void
        const settleBudget = yield* Effect.onError(reserve(subject, routes, once, tally), () => settleLimits)
        const options = yield* optionsFor(request, routes, caller)
        const requestId = caller.requestId ?? `req_${crypto.randomUUID().replaceAll("-", "")}`
        const trail = yield* RequestTrail.CurrentTrail
        return {
          routes,
          options,
          settle: Effect.andThen(settleBudget, settleLimits),
          asAttempt: (role) => ({
            requestId,
            apiKeyId: caller.apiKeyId ?? null,
            modelAlias: subject.modelAlias,
            role,
            used: (usage, usd) => {
              tally.used(usage, usd)
              scope.within?.used(usage, usd)
            },
            trail
          })
        }
      })

    const logAttempts = (attempts: ReadonlyArray<Attempt>) =>
      Effect.forEach(attempts.filter((a) => a.outcome !== "ok"), (a) =>
        Effect.logWarning(`route ${label(a.route)} (${a.role}): ${a.outcome}`).pipe(
          Effect.annotateLogs({ status: a.status, durationMs: a.durationMs })
        ), { discard: true })

    /** Runs a whole-answer call over the prepared routes, each attempt metered as `p` says. */
    const runWhole = <A>(p: Prepared, call: (provider: Provider.ProviderShape, route: Route) => Effect.Effect<A, ProviderError.ProviderError>) =>
      Effect.gen(function*() {
        const routed = yield* router.run(p.routes, (route, role) => call(meteredAs(route, p.asAttempt(role)), route), p.options).pipe(
            Effect.tapError((error) => logAttempts(error.attempts)),
            Effect.catch((error) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(failed(error, now)))),
            Effect.ensuring(p.settle)
          )
        yield* logAttempts(routed.attempts)
        return routed
      })

    const complete = (request: ChatRequest.ChatRequest, caller: Caller = {}, within?: Tally) =>
      Effect.gen(function*() {
        const p = yield* prepare(request, caller, chatBound(request), within === undefined ? {} : { within })
        const routed = yield* runWhole(p, (provider, route) => provider.complete({ ...request, model: route.model }))
        return { response: routed.value, route: routed.route, attempts: routed.attempts } satisfies Answer
      }).pipe(Traced.effect(tracing, "Gateway.complete", () => ({ attributes: { model: request.model } })))

    /** An embeddings request's input tokens, counted: the most it can cost (no output). */
    const embedBound = (request: Embeddings.EmbeddingRequest) =>
      Effect.map(embeddingInput(estimate, request), (measured) => measured.usage)

    const embed = (request: Embeddings.EmbeddingRequest, caller: Caller = {}) =>
      Effect.gen(function*() {
        const routes = yield* routesFor(request, caller)
        const embedding = routes.filter((route) => providerOf(route).embed !== undefined)
        if (embedding.length === 0) {
          return yield* Effect.fail(
            new RoutesExhausted({
              attempts: [],
              last: new Errors.BadRequest({
                provider: "switchyard",
                message: `The model "${request.model}" has no route that serves embeddings: ${
                  routes.map(label).join(", ")
                } ${routes.length === 1 ? "has" : "have"} no embeddings API.`,
                param: "model"
              })
            })
          )
        }
        const p = yield* prepare(request, caller, embedBound(request), { routes: embedding })
        const routed = yield* runWhole(p, (provider, route) => provider.embed!({ ...request, model: route.model }))
        return { response: routed.value, route: routed.route, attempts: routed.attempts } satisfies EmbeddingAnswer
      }).pipe(Traced.effect(tracing, "Gateway.embed", () => ({ attributes: { model: request.model } })))

    const countTokens = (request: ChatRequest.ChatRequest, caller: Caller = {}) =>
      Effect.gen(function*() {
        const routes = yield* routesFor(request, caller).pipe(
          Effect.catchTag("UnknownModel", () => Effect.succeed<ReadonlyArray<Route>>([]))
        )
        // The provider as registered: counting is not metered (no ledger row, nothing spent).
        const counting = routes.flatMap((route) => {
          const count = Option.match(registry.get(route.provider), { onNone: () => undefined, onSome: (e) => e.provider.countTokens })
          return count === undefined ? [] : [{ route, count }]
        })[0]
        const estimated = Effect.map(
          estimate.input({ ...request, model: routes[0]?.model ?? request.model }),
          (e): TokenCount => ({ inputTokens: e.usage.inputTokens, source: "estimate", method: e.method })
        )
        if (counting === undefined) return yield* estimated
        const { count, route } = counting
        return yield* count({ ...request, model: route.model }).pipe(
          Effect.timeout(countTokensTimeout),
          Effect.map((inputTokens): TokenCount => ({ inputTokens, source: "provider", method: `provider:${route.provider}`, route })),
          // Any failure (an error, the timeout, a defect) falls back to the estimate; an interruption does not.
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.interrupt
              : Effect.andThen(
                Effect.logWarning(`route ${label(route)} could not count tokens, estimating instead`, cause),
                estimated
              )
          )
        )
      }).pipe(Traced.effect(tracing, "Gateway.countTokens", () => ({ attributes: { model: request.model } })))

    const stream = (request: ChatRequest.ChatRequest, caller: Caller = {}) =>
      Effect.gen(function*() {
        const p = yield* prepare(request, caller, chatBound(request))
        // A takeover after a break gets what is left of the request's deadline, and the same timeouts.
        const deadline = yield* Deadline.make(p.options.deadline)
        // The committed attempt's upstream lives until the client's stream ends, not this effect.
        const scope = yield* Scope.make()
        // Once, whoever asks first: the events' end, the holder's scope, or a failed start.
        const released = { done: false }
        const release = Effect.suspend(() => {
          if (released.done) return Effect.void
          released.done = true
          return Effect.andThen(Scope.close(scope, Exit.void), p.settle)
        })
        const routed = yield* router.stream(p.routes, (route, role) =>
          meteredAs(route, p.asAttempt(role)).stream({ ...request, model: route.model }), p.options).pipe(
            Scope.provide(scope),
            Effect.tapError((error) => logAttempts(error.attempts)),
            Effect.catch((error) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(failed(error, now)))),
            Effect.onError(() => release)
          )
        yield* logAttempts(routed.attempts)
        // The routes that can take over, built only when a stream breaks.
        const candidates = () =>
          [...p.routes.filter((r) => label(r) !== label(routed.route)), routed.route].map((route) => ({
            route,
            prefill: prefillOf(route),
            stream: (req: ChatRequest.ChatRequest) =>
              meteredAs(route, p.asAttempt("fallback")).stream({ ...req, model: route.model }).pipe(
                StreamTimeouts.stream({ provider: route.provider, deadline }, p.options.timeouts ?? {})
              )
          }))
        const takeover = (broken: RoutingError.StreamBroken, delivered: Recovery.Delivered) =>
          Effect.as(
            Effect.logWarning(`route ${label(routed.route)} broke after ${broken.delivered} events: ${broken.error.message}`),
            Recovery.recover(request, delivered, candidates(), broken.error)
          )
        const events = recoverable(routed.stream, takeover, release)
        return { events, route: routed.route, attempts: routed.attempts, release } satisfies StreamingAnswer
      }).pipe(Traced.effect(tracing, "Gateway.stream", () => ({ attributes: { model: request.model } })))

    const templates = PromptTemplates.make(config.templates)

    /**
     * The rate limits are taken once for the whole request, every ask and route included (the first
     * ask's estimate), and settled to the tokens of all of them; budgets are held per ask.
     */
    const conform = (request: ChatRequest.ChatRequest, contract: OutputContract.OutputContract, caller: Caller = {}) =>
      Effect.gen(function*() {
        const found = yield* routesFor(request, caller)
        // Each route is called on its own, so the alias's strategy orders them here.
        const routes = yield* router.order(found, yield* optionsFor(request, found, caller))
        const tally = makeTally()
        const settleLimits = yield* limit(subjectOf(request, caller), chatBound(request), tally)
        const answers = new Map<string, Answer>()
        const conformed = yield* Effect.ensuring(Conform.run({
          request,
          contract,
          routes: routes.map(label),
          templates,
          call: (route, req) =>
            complete({ ...req, model: route }, { ...caller, fallbackModels: [], alias: caller.alias ?? request.model }, tally).pipe(
              Effect.tap((answer) => Effect.sync(() => answers.set(route, answer))),
              Effect.map((answer) => answer.response),
              Effect.mapError((error) =>
                error._tag === "RoutesExhausted"
                  ? error.last
                  : Errors.make(error._tag === "UnknownModel" ? "not_found" : "quota_exceeded", { provider: "switchyard", message: error.message })
              )
            )
        }), settleLimits)
        const answer = answers.get(conformed.route)!
        const choice = answer.response.choices[0]!
        return {
          ...answer,
          response: {
            ...answer.response,
            choices: [{ ...choice, content: JSON.stringify(conformed.value), toolCalls: [], finishReason: "stop" as const }]
          },
          value: conformed.value,
          repairs: conformed.repairs,
          conformance: conformed.attempts
        } satisfies ConformedAnswer
      }).pipe(Traced.effect(tracing, "Gateway.conform", () => ({ attributes: { model: request.model, contract: contract.name } })))

    const models = [...new Set([...Object.keys(aliases), ...listed.map((route) => route.model), ...listed.map(label)])]
    const configured = Object.entries(aliases).map(([alias, model]) => ({ alias, routes: model.routes }))
    const estimateInput = (request: ChatRequest.ChatRequest) => Effect.map(estimate.input(request), (e) => e.usage)
    return Gateway.of({ resolve, models, aliases: configured, complete, stream, conform, embed, countTokens, estimateInput })
  })

/**
 * The contract a request's `json_schema` response format asks for, to hold a whole answer to with
 * `conform`; `undefined` when it asks for none (or gives no schema).
 */
export const formatContract = (request: ChatRequest.ChatRequest): OutputContract.OutputContract | undefined => {
  const format = request.response_format
  return format?.type === "json_schema" && format.json_schema.schema !== undefined
    ? OutputContract.fromJsonSchema(format.json_schema.name, format.json_schema.schema)
    : undefined
}

/** The gateway over the registry, with the config's aliases. */
export const layer = (
  config: GatewayConfig
): Layer.Layer<
  Gateway,
  never,
  ProviderRegistry | Metering | Budgets.Budgets | RateLimits.RateLimits | Pricing.Pricing | Estimate.Estimate | Router.Router
> =>
  Layer.effect(Gateway, make(config))
