/**
 * Converts a LiteLLM proxy `config.yaml` or a Portkey config (JSON) into a Switchyard config, with a
 * report that says, for every setting of the source, whether it was mapped, approximated (and how)
 * or has no equivalent (and why). Pure: the command (`ImportCommand.ts`) reads and writes the files.
 */
import { Data, Effect } from "effect"
import { Yaml } from "effect/encoding"
import { GatewayConfig } from "@switchyard/gateway"
import * as Draft from "./internal/draft.ts"
import * as LiteLlm from "./internal/litellm.ts"
import * as Portkey from "./internal/portkey.ts"
import { stringify } from "./internal/yaml.ts"

export type Format = "litellm" | "portkey"
export const formats: ReadonlyArray<Format> = ["litellm", "portkey"]

export type Item = Draft.Item
export type Variable = Draft.Variable

export interface Conversion {
  readonly from: Format
  /** The Switchyard config as it is written to the file (`${VAR}` references unresolved). */
  readonly config: Draft.Encoded
  readonly report: ReadonlyArray<Item>
  /** The environment variables the config reads: every one must be set before `switchyard serve`. */
  readonly variables: ReadonlyArray<Variable>
}

export interface Options {
  /** The alias a Portkey config becomes (default `default`). */
  readonly alias?: string | undefined
}

/** A source that cannot be converted: not YAML/JSON, not an object, or of no known format. */
export class ImportError extends Data.TaggedError("ImportError")<{ readonly source: string; readonly reason: string }> {
  override get message(): string {
    return `Cannot import ${this.source}: ${this.reason}`
  }
}

/** Parses the source text (YAML, of which JSON is a subset) into an object. */
export const parse = (text: string, source: string): Effect.Effect<Record<string, unknown>, ImportError> =>
  Effect.try({
    try: () => Yaml.parse(text) as unknown,
    catch: (cause) => new ImportError({ source, reason: `not valid YAML or JSON: ${(cause as Error).message ?? String(cause)}` })
  }).pipe(Effect.flatMap((doc) =>
    Draft.isRecord(doc)
      ? Effect.succeed(doc)
      : Effect.fail(new ImportError({ source, reason: "expected a mapping (an object) at the top level" }))
  ))

/** The format of a parsed source, from the keys each one has; `undefined` when neither fits. */
export const detect = (doc: Record<string, unknown>): Format | undefined =>
  ["model_list", "router_settings", "litellm_settings", "general_settings"].some((k) => k in doc)
    ? "litellm"
    : ["targets", "strategy", "virtual_key", "provider", "retry", "override_params"].some((k) => k in doc)
    ? "portkey"
    : undefined

/** Converts a parsed source; the format is detected when not given. */
export const convert = (doc: Record<string, unknown>, source: string, from?: Format, options: Options = {}): Effect.Effect<Conversion, ImportError> =>
  Effect.gen(function*() {
    const format = from ?? detect(doc)
    if (format === undefined) {
      return yield* new ImportError({ source, reason: "neither a LiteLLM config (model_list, router_settings...) nor a Portkey config (targets, strategy...); pass --from" })
    }
    const { config, draft } = format === "litellm" ? LiteLlm.convert(doc) : Portkey.convert(doc, options.alias ?? "default")
    return { from: format, config, report: draft.items, variables: draft.variables }
  })

/** A value for each variable a conversion reads, of the right shape, to check the config loads. */
export const placeholderEnv = (variables: ReadonlyArray<Variable>): GatewayConfig.Env =>
  Object.fromEntries(variables.map((v) => [v.name, v.holds === "url" ? "https://placeholder.invalid" : "placeholder-secret"]))

/** Decodes the generated config with the gateway's own loader, every variable set to a placeholder. */
export const check = (conversion: Conversion, source: string) =>
  GatewayConfig.decode(conversion.config, source, placeholderEnv(conversion.variables))

/** The config as YAML, under a comment naming its source. */
export const toYaml = (conversion: Conversion, source: string): string =>
  `# Converted by \`switchyard import\` from ${source} (${conversion.from}); see docs/importing.md.\n` +
  (conversion.variables.length === 0 ? "" : `# Reads: ${conversion.variables.map((v) => v.name).join(", ")}\n`) +
  stringify(conversion.config)

/** The report as text: one line per item, unsupported and approximate first. */
export const render = (report: ReadonlyArray<Item>): string => {
  const rank = { unsupported: 0, approximate: 1, mapped: 2 } as const
  return [...report]
    .sort((a, b) => rank[a.status] - rank[b.status])
    .map((i) => `${i.status.padEnd(11)}  ${i.path}: ${i.message}`)
    .join("\n")
}
