/**
 * The portability probe (`@switchyard/prompts`' `Probe`) run through a gateway, as `switchyard probe`
 * runs it: one prompt and one output contract across models, each run a `Gateway.complete` under the
 * config's prompt templates, each answer priced for the model's first route.
 */
import { Effect, Option } from "effect"
import { type ChatRequest, ProviderError } from "@switchyard/core"
import { Pricing } from "@switchyard/cost"
import { OutputContract, Probe, PromptTemplates } from "@switchyard/prompts"
import { Gateway } from "./Gateway.ts"
import type { GatewayConfig } from "./GatewayConfig.ts"

export type Contract = OutputContract.OutputContract
/** Accepted synonyms per enum, by the path of the field (see `OutputContract`). */
export type Synonyms = OutputContract.Synonyms
export type Row = Probe.Row

/** A contract from a JSON Schema, with the enum synonyms a repair may map. */
export const contract = (name: string, schema: Record<string, unknown>, synonyms: Synonyms = {}): Contract =>
  OutputContract.fromJsonSchema(name, schema, { synonyms })

export interface Options {
  readonly config: GatewayConfig
  readonly request: ChatRequest.ChatRequest
  readonly contract: Contract
  /** Models to probe: aliases or `provider/model`. */
  readonly routes: ReadonlyArray<string>
  readonly runs: number
  readonly onProgress?: ((done: number, total: number) => void) | undefined
}

/** Runs the probe; a model's failures are counted in its row, never thrown. */
export const run = (options: Options): Effect.Effect<ReadonlyArray<Row>, never, Gateway | Pricing.Pricing> =>
  Effect.gen(function*() {
    const gateway = yield* Gateway
    const pricing = yield* Pricing.Pricing
    return yield* Probe.run({
      request: options.request,
      contract: options.contract,
      routes: options.routes,
      runs: options.runs,
      templates: PromptTemplates.make(options.config.templates),
      call: (route, req) =>
        gateway.complete({ ...req, model: route }).pipe(
          Effect.map((answer) => answer.response),
          Effect.mapError((error) =>
            error._tag === "RoutesExhausted"
              ? error.last
              : ProviderError.make(error._tag === "UnknownModel" ? "not_found" : "quota_exceeded", {
                provider: "switchyard",
                message: error.message
              })
          )
        ),
      price: (route, usage) =>
        Effect.gen(function*() {
          const [first] = yield* gateway.resolve(route).pipe(Effect.orElseSucceed(() => []))
          if (first === undefined) return undefined
          return Option.getOrUndefined(Option.map(yield* pricing.price({ ...first, usage }), (c) => c.total))
        }),
      onProgress: options.onProgress
    })
  })

export const renderTable = Probe.renderTable
export const renderMarkdown = Probe.renderMarkdown
export const renderJson = Probe.renderJson
