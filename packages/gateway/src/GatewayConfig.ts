/**
 * The gateway's configuration: providers (kind, base URL, API key from `${ENV}`), model aliases that
 * map to ordered routes, and the server's address. Read from a YAML or JSON file, or derived from the
 * environment when there is no file. A bad config is refused with the path of every problem and what
 * was expected there.
 */
import { Data, Effect, FileSystem, Option, Redacted, Schema } from "effect"
import { Yaml } from "effect/encoding"
import { Budgets, Pricing, RateLimits } from "@switchyard/cost"
import { PromptTemplates } from "@switchyard/prompts"
import { ProviderError, SchemaErrors } from "@switchyard/core"
import * as RoutingConfig from "./RoutingConfig.ts"
import * as StateConfig from "./StateConfig.ts"

/** The wire dialect a provider speaks. `openai` covers OpenAI and every OpenAI-compatible host. */
export const ProviderKind = Schema.Literals(["openai", "openai-responses", "anthropic", "gemini", "ollama", "demo"])
export type ProviderKind = typeof ProviderKind.Type

export const ProviderConfig = Schema.Struct({
  kind: ProviderKind,
  /** For `openai`: which host profile's quirks apply (`groq`, `deepseek`, ...). Defaults to the provider's name. */
  host: Schema.optionalKey(Schema.String),
  base_url: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/))),
  /** Held as `Redacted` from load on: it prints as `<redacted>`. */
  api_key: Schema.optionalKey(Schema.RedactedFromValue(Schema.String)),
  /** Extra headers for every request; values are `Redacted`, as some carry credentials. */
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.RedactedFromValue(Schema.String))),
  /** Models this provider offers, listed by `GET /v1/models` as `provider/model`. */
  models: Schema.optionalKey(Schema.Array(Schema.String)),
  /**
   * Whether it continues a partial assistant message (prefill), so a broken stream can be finished
   * here. Default: true for `anthropic`, false otherwise.
   */
  prefill: Schema.optionalKey(Schema.Boolean)
})
export type ProviderConfig = typeof ProviderConfig.Type

export const RouteConfig = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  /** Share of traffic under the `weighted` strategy (default 1). */
  weight: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Lower goes first under the `priority` strategy (default: config order). */
  priority: Schema.optionalKey(Schema.Int)
})
export type RouteConfig = typeof RouteConfig.Type

export const ModelConfig = Schema.Struct({
  routes: Schema.Array(RouteConfig).check(Schema.isMinLength(1)),
  /** Overrides of the `routing` section for this alias. */
  ...RoutingConfig.RequestRouting.fields,
  /** Requests and tokens per minute for this alias, all keys together (over `rate_limits.alias`). */
  ...RateLimits.Limits.fields
})
export type ModelConfig = typeof ModelConfig.Type

export const ServerConfig = Schema.Struct({
  host: Schema.optionalKey(Schema.String),
  port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
  /** The largest request body accepted (default 32 MiB); larger is refused with 413 before it is read. */
  max_body_bytes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1024))),
  /** The deepest JSON nesting accepted in a request body (default 128). */
  max_json_depth: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 8, maximum: 1000 }))),
  /** Requests served at once, a stream counted until its end (default 1024); beyond it, 503 at once. */
  max_concurrent_requests: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Time for a client to send a request's headers (default 20 s). */
  headers_timeout_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(100))),
  /** Time for a client to send a whole request, headers and body (default 120 s); never cuts an answer. */
  request_timeout_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(100))),
  /** How long an idle connection is kept open between requests (default 65 s). */
  keep_alive_timeout_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(100))),
  /** On shutdown, how long requests and streams in flight may take to finish (default 10 s). */
  shutdown_grace_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /**
   * How long a virtual key looked up in the database is trusted (default 5000 ms): how soon a key
   * revoked or changed by another instance is seen here.
   */
  key_cache_ms: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
})
export type ServerConfig = typeof ServerConfig.Type

/** A budget of a key's own: what `budgets` would hold as `{ key: <id>, limit_usd, window }`. */
export const KeyBudget = Schema.Struct({
  limit_usd: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  window: Budgets.Window
})
export type KeyBudget = typeof KeyBudget.Type

/** What a client key may use: requests and tokens per minute (over `rate_limits.key`), and a budget. */
export const KeyLimits = Schema.Struct({
  ...RateLimits.Limits.fields,
  budget: Schema.optionalKey(KeyBudget)
})
export type KeyLimits = typeof KeyLimits.Type

/**
 * A client API key: requests must carry one of these (or a virtual key, see `VirtualKeys`) once any
 * is configured.
 */
export const KeyConfig = Schema.Struct({
  /** What the ledger and budgets record (never the key itself). */
  id: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)),
  key: Schema.RedactedFromValue(Schema.String.check(Schema.isMinLength(8))),
  /** May read `GET /v1/usage` and manage virtual keys (`/v1/keys`). */
  admin: Schema.optionalKey(Schema.Boolean),
  ...KeyLimits.fields
})
export type KeyConfig = typeof KeyConfig.Type

/** Where the cost ledger lives: SQLite next to the config by default. */
export const LedgerConfig = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("memory") }),
  Schema.Struct({
    kind: Schema.Literal("sqlite"),
    /** Relative paths are relative to the config file (the working directory without one). */
    path: Schema.optionalKey(Schema.String),
    /**
     * `normal` (default): an answered request's row survives the gateway being killed; `full`: a
     * power cut too, with an fsync per committed batch (about a fifth of a request's CPU).
     */
    synchronous: Schema.optionalKey(Schema.Literals(["normal", "full"]))
  }),
  Schema.Struct({
    kind: Schema.Literal("postgres"),
    /** `postgres://user@host:port/database` */
    url: Schema.RedactedFromValue(Schema.String.check(Schema.isPattern(/^postgres(ql)?:\/\/\S+$/))),
    table: Schema.optionalKey(Schema.String)
  })
])
export type LedgerConfig = typeof LedgerConfig.Type

/** What the gateway tells about itself: logs, and traces and metrics pushed over OTLP. */
export const TelemetryConfig = Schema.Struct({
  /** The least severe log level written (default `info`); `none` writes no logs. */
  log_level: Schema.optionalKey(Schema.Literals(["debug", "info", "warning", "error", "none"])),
  /** One JSON line per request, at `info` (default true). */
  request_log: Schema.optionalKey(Schema.Boolean),
  /**
   * An OTLP/HTTP collector's base URL (`/v1/traces` and `/v1/metrics` are posted under it). Default:
   * `OTEL_EXPORTER_OTLP_ENDPOINT`; neither means nothing is exported.
   */
  otlp_endpoint: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/))),
  /** Headers for the collector (values `Redacted`). Default: `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k=v`). */
  otlp_headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.RedactedFromValue(Schema.String))),
  /** The `service.name` of what is exported. Default: `OTEL_SERVICE_NAME`, else `switchyard`. */
  service_name: Schema.optionalKey(Schema.String)
})
export type TelemetryConfig = typeof TelemetryConfig.Type

export const GatewayConfig = Schema.Struct({
  server: Schema.optionalKey(ServerConfig),
  telemetry: Schema.optionalKey(TelemetryConfig),
  keys: Schema.optionalKey(Schema.Array(KeyConfig)),
  ledger: Schema.optionalKey(LedgerConfig),
  pricing: Schema.optionalKey(Pricing.Config),
  budgets: Schema.optionalKey(Budgets.Config),
  rate_limits: Schema.optionalKey(RateLimits.Config),
  routing: Schema.optionalKey(RoutingConfig.RoutingConfig),
  /** Where breakers, the hedge budget and budget counters live (default memory; `redis` shares them). */
  state: Schema.optionalKey(StateConfig.StateConfig),
  templates: Schema.optionalKey(PromptTemplates.Config),
  providers: Schema.Record(Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9_-]*$/)), ProviderConfig),
  models: Schema.optionalKey(Schema.Record(Schema.String, ModelConfig))
})
export type GatewayConfig = typeof GatewayConfig.Type

/** A config that cannot be used; `problems` name each path and what was expected. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly problems: ReadonlyArray<SchemaErrors.Problem>
}> {
  override get message(): string {
    const lines = this.problems.map((p) => `  - ${p.path === "" ? "(root)" : p.path}: ${p.message}`)
    return `Invalid config ${this.source}:\n${lines.join("\n")}`
  }
}

export type Env = Readonly<Record<string, string | undefined>>

/** Replaces `${VAR}` and `${VAR:-default}` in every string; an unset variable without default is a problem. */
const interpolate = (value: unknown, env: Env, path: string, problems: Array<SchemaErrors.Problem>): unknown => {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
      const found = env[name]
      if (found !== undefined && found !== "") return found
      if (fallback !== undefined) return fallback
      problems.push({ path, message: `environment variable ${name} is not set` })
      return ""
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`, problems))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, path === "" ? k : `${path}.${k}`, problems)])
    )
  }
  return value
}

const knownCategories: ReadonlySet<string> = new Set(ProviderError.categories)

/**
 * Cross-field checks the schema cannot express: every route names a configured provider, and
 * `routing.on` names error categories.
 */
const checkReferences = (config: GatewayConfig): ReadonlyArray<SchemaErrors.Problem> => [
  ...Object.keys(config.routing?.on ?? {}).flatMap((category) =>
    knownCategories.has(category)
      ? []
      : [{ path: `routing.on.${category}`, message: `unknown error category (expected one of ${[...knownCategories].join(", ")})` }]
  ),
  ...Object.entries(config.models ?? {}).flatMap(([alias, model]) =>
    model.routes.flatMap((route, i) =>
      !Object.hasOwn(config.providers, route.provider)
        ? [{
          path: `models.${alias}.routes[${i}].provider`,
          message: `unknown provider "${route.provider}" (configured: ${Object.keys(config.providers).join(", ") || "none"})`
        }]
        : []
    )
  )
]

/** Decodes a parsed document (YAML or JSON) into a config, after `${ENV}` interpolation. */
export const decode = (document: unknown, source: string, env: Env): Effect.Effect<GatewayConfig, ConfigError> =>
  Effect.gen(function*() {
    const envProblems: Array<SchemaErrors.Problem> = []
    const interpolated = interpolate(document, env, "", envProblems)
    const config = yield* Schema.decodeUnknownEffect(GatewayConfig)(interpolated, { errors: "all" }).pipe(
      Effect.mapError((error) => new ConfigError({ source, problems: [...envProblems, ...SchemaErrors.problems(error)] }))
    )
    const problems = [...envProblems, ...checkReferences(config)]
    if (problems.length > 0) return yield* new ConfigError({ source, problems })
    return config
  })

/** Parses config text; `.json` files as JSON, everything else as YAML (a superset of JSON). */
export const parse = (text: string, source: string, env: Env): Effect.Effect<GatewayConfig, ConfigError> =>
  Effect.try({
    try: () => (source.endsWith(".json") ? JSON.parse(text) : Yaml.parse(text)) as unknown,
    catch: (cause) =>
      new ConfigError({ source, problems: [{ path: "", message: `not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${String((cause as Error).message ?? cause)}` }] })
  }).pipe(Effect.flatMap((document) => decode(document, source, env)))

/** A provider detected from the environment: its name, kind and the variables that configure it. */
interface Detected {
  readonly name: string
  readonly kind: ProviderKind
  readonly keyEnv: string
  readonly baseUrlEnv?: string
}

/** The usual environment variables, in the order detected providers are listed. */
export const detectable: ReadonlyArray<Detected> = [
  { name: "openai", kind: "openai", keyEnv: "OPENAI_API_KEY", baseUrlEnv: "OPENAI_BASE_URL" },
  { name: "anthropic", kind: "anthropic", keyEnv: "ANTHROPIC_API_KEY", baseUrlEnv: "ANTHROPIC_BASE_URL" },
  { name: "gemini", kind: "gemini", keyEnv: "GEMINI_API_KEY", baseUrlEnv: "GEMINI_BASE_URL" },
  { name: "xai", kind: "openai", keyEnv: "XAI_API_KEY" },
  { name: "moonshot", kind: "openai", keyEnv: "MOONSHOT_API_KEY" },
  { name: "deepseek", kind: "openai", keyEnv: "DEEPSEEK_API_KEY" },
  { name: "groq", kind: "openai", keyEnv: "GROQ_API_KEY" },
  { name: "together", kind: "openai", keyEnv: "TOGETHER_API_KEY" },
  { name: "openrouter", kind: "openai", keyEnv: "OPENROUTER_API_KEY" },
  { name: "mistral", kind: "openai", keyEnv: "MISTRAL_API_KEY" },
  { name: "ollama", kind: "ollama", keyEnv: "OLLAMA_API_KEY", baseUrlEnv: "OLLAMA_HOST" }
]

/** `OLLAMA_HOST` is often written without a scheme (`127.0.0.1:11434`). */
const withScheme = (url: string): string => (/^https?:\/\//.test(url) ? url : `http://${url}`)

/**
 * The config used when there is no file: every provider whose key is set in the environment (Ollama
 * when `OLLAMA_HOST` is set), and the built-in `demo` provider when none is, so a fresh machine answers.
 */
export const fromEnv = (env: Env): GatewayConfig => {
  const providers: Record<string, ProviderConfig> = {}
  for (const d of detectable) {
    const key = Option.fromNullishOr(env[d.keyEnv]).pipe(Option.filter((k) => k !== ""))
    const baseUrl = d.baseUrlEnv === undefined ? Option.none() : Option.fromNullishOr(env[d.baseUrlEnv])
    if (Option.isNone(key) && !(d.kind === "ollama" && Option.isSome(baseUrl))) continue
    providers[d.name] = {
      kind: d.kind,
      ...(Option.isSome(key) ? { api_key: Redacted.make(key.value) } : {}),
      ...(Option.isSome(baseUrl) && baseUrl.value !== "" ? { base_url: withScheme(baseUrl.value) } : {})
    }
  }
  if (Object.keys(providers).length === 0) providers["demo"] = { kind: "demo" }
  return { providers }
}

/** Reads and decodes a config file (YAML, or JSON by extension). Needs a `FileSystem`. */
export const load = (path: string, env: Env): Effect.Effect<GatewayConfig, ConfigError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) => new ConfigError({ source: path, problems: [{ path: "", message: `cannot read the file: ${error.message}` }] }))
    )
    return yield* parse(text, path, env)
  })

/** Header names whose values are credentials. */
const credentialHeader = /authorization|api[-_]?key|token|secret|password|cookie|auth/i

/** The password of a URL (`postgres://user:password@host`), decoded. */
const passwordOf = (url: string): ReadonlyArray<string> => {
  try {
    const password = decodeURIComponent(new URL(url).password)
    return password === "" ? [] : [password]
  } catch {
    return []
  }
}

/**
 * Every secret the config holds, for redaction: provider API keys and credential headers (a
 * `Bearer` value's token too), client and admin keys, passwords inside connection URLs, and the
 * OTLP collector's headers.
 */
export const secrets = (config: GatewayConfig): ReadonlyArray<Redacted.Redacted<string>> => {
  const providers = Object.values(config.providers).flatMap((p) => [
    ...(p.api_key === undefined ? [] : [Redacted.value(p.api_key)]),
    ...Object.entries(p.headers ?? {}).flatMap(([name, value]) => {
      if (!credentialHeader.test(name)) return []
      const text = Redacted.value(value)
      const token = /^\S+\s+(\S{8,})$/.exec(text)?.[1]
      return token === undefined ? [text] : [text, token]
    })
  ])
  const keys = (config.keys ?? []).map((k) => Redacted.value(k.key))
  const urls = [
    ...(config.ledger?.kind === "postgres" ? [config.ledger.url] : []),
    ...(config.state?.kind === "redis" ? [config.state.url] : [])
  ].flatMap((url) => [Redacted.value(url), ...passwordOf(Redacted.value(url))])
  const collector = Object.values(config.telemetry?.otlp_headers ?? {}).map(Redacted.value)
  return [...providers, ...keys, ...urls, ...collector].map((s) => Redacted.make(s))
}
