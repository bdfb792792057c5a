/**
 * LiteLLM proxy `config.yaml` → Switchyard config. `model_list` entries sharing a `model_name`
 * become one alias whose routes are those deployments; `fallbacks` append the fallback groups'
 * routes after them; `router_settings` and `litellm_settings` become the `routing` section.
 */
import * as Draft from "./draft.ts"
import { isRecord, note, num, str } from "./draft.ts"

type Route = { provider: string; model: string; weight?: number; priority?: number }
type Alias = {
  routes: Array<Route>
  strategy?: "priority" | "weighted" | "latency" | "price"
  attempt_ms?: number
  last_attempt_ms?: number
  first_token_ms?: number
  last_first_token_ms?: number
  idle_ms?: number
}

/** A provider LiteLLM names by prefix (`openai/gpt-4o`). */
interface Target {
  readonly kind: Draft.ProviderSpec["kind"]
  readonly host?: string
  /** The variable LiteLLM reads when the deployment gives no key. */
  readonly keyEnv?: string
  /** The host's API root, when LiteLLM knows it and Switchyard's profile does not. */
  readonly baseUrl?: string
  /** Only usable with an `api_base`. */
  readonly needsBase?: boolean
}

const targets: Readonly<Record<string, Target>> = {
  openai: { kind: "openai", keyEnv: "OPENAI_API_KEY" },
  anthropic: { kind: "anthropic", keyEnv: "ANTHROPIC_API_KEY" },
  gemini: { kind: "gemini", keyEnv: "GEMINI_API_KEY" },
  ollama: { kind: "ollama" },
  ollama_chat: { kind: "ollama" },
  groq: { kind: "openai", host: "groq", keyEnv: "GROQ_API_KEY" },
  deepseek: { kind: "openai", host: "deepseek", keyEnv: "DEEPSEEK_API_KEY" },
  xai: { kind: "openai", host: "xai", keyEnv: "XAI_API_KEY" },
  mistral: { kind: "openai", host: "mistral", keyEnv: "MISTRAL_API_KEY" },
  openrouter: { kind: "openai", host: "openrouter", keyEnv: "OPENROUTER_API_KEY" },
  together_ai: { kind: "openai", host: "together", keyEnv: "TOGETHERAI_API_KEY" },
  perplexity: { kind: "openai", host: "perplexity", keyEnv: "PERPLEXITYAI_API_KEY" },
  moonshot: { kind: "openai", host: "moonshot", keyEnv: "MOONSHOT_API_KEY" },
  fireworks_ai: { kind: "openai", keyEnv: "FIREWORKS_AI_API_KEY", baseUrl: "https://api.fireworks.ai/inference/v1" },
  hosted_vllm: { kind: "openai", host: "vllm", needsBase: true },
  lm_studio: { kind: "openai", host: "lmstudio" }
}

/** Model names LiteLLM sends to a provider without a prefix. */
const unprefixed: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(gpt-|o\d|chatgpt-|dall-e|text-embedding-|davinci|babbage)/, "openai"],
  [/^claude-/, "anthropic"],
  [/^gemini-/, "gemini"]
]

/** Why a setting has no equivalent, where a specific reason helps. */
const reasons: Readonly<Record<string, string>> = {
  cache: "Switchyard has no response cache",
  cache_params: "Switchyard has no response cache",
  success_callback: "logging callbacks: Switchyard logs JSON lines and records every attempt in its ledger",
  failure_callback: "logging callbacks: Switchyard logs JSON lines and records every attempt in its ledger",
  callbacks: "logging callbacks: Switchyard logs JSON lines and records every attempt in its ledger",
  drop_params: "Switchyard translates each request for its provider itself",
  enable_pre_call_checks: "no context-window check before the call: a `context_overflow` answer fails over instead",
  database_url: "LiteLLM's database (virtual keys, spend) is not imported; Switchyard's ledger is the `ledger` section",
  max_budget: "a proxy-wide budget: Switchyard's budgets limit a model alias or a client key (`budgets`)",
  budget_duration: "a proxy-wide budget: Switchyard's budgets limit a model alias or a client key (`budgets`)",
  rpm: "a deployment's own quota, which LiteLLM's router steers around: Switchyard limits clients per key and per alias (`rate_limits`, `models.<alias>.rpm`/`tpm`), not per route; a provider's 429 cools the route down",
  tpm: "a deployment's own quota, which LiteLLM's router steers around: Switchyard limits clients per key and per alias (`rate_limits`, `models.<alias>.rpm`/`tpm`), not per route; a provider's 429 cools the route down",
  max_retries: "per-deployment retries: Switchyard's retries are one setting, `routing.retries.max`",
  api_version: "Azure is reached through its OpenAI-compatible v1 API, which takes no api_version",
  model_info: "model metadata: Switchyard takes prices and limits from its pricing dataset",
  input_cost_per_token: "per-deployment prices: set them under `pricing.prices`",
  output_cost_per_token: "per-deployment prices: set them under `pricing.prices`",
  input_cost_per_second: "per-second prices: Switchyard prices tokens"
}

const reason = (key: string) => reasons[key] ?? "no Switchyard equivalent"

const unsupportedKeys = (draft: Draft.Draft, section: Record<string, unknown>, path: string, handled: ReadonlySet<string>) => {
  for (const key of Object.keys(section)) {
    if (!handled.has(key)) note(draft, "unsupported", `${path}.${key}`, reason(key))
  }
}

/** `os.environ/NAME` → a variable; anything else as written. */
const source = (value: unknown): Draft.Source | undefined => {
  const text = str(value) ?? (typeof value === "number" ? String(value) : undefined)
  if (text === undefined) return undefined
  const env = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(text.trim())
  return env === null ? { literal: text } : { env: env[1]! }
}

interface Deployment {
  readonly alias: string
  readonly route: Route
  readonly params: Record<string, unknown>
  readonly path: string
  readonly id: string | undefined
}

const paramsHandled = new Set(["model", "api_key", "api_base", "weight", "order", "rpm", "tpm", "timeout", "stream_timeout"])

/** One `model_list` entry → its route, or `undefined` (reported) when no provider fits. */
const deployment = (draft: Draft.Draft, entry: unknown, path: string): Deployment | "wildcard" | undefined => {
  if (!isRecord(entry) || !isRecord(entry["litellm_params"]) || str(entry["model_name"]) === undefined) {
    note(draft, "unsupported", path, "expected model_name and litellm_params.model")
    return undefined
  }
  const alias = str(entry["model_name"])!
  const params = entry["litellm_params"]
  const model = str(params["model"])
  if (model === undefined) {
    note(draft, "unsupported", `${path}.litellm_params.model`, "missing")
    return undefined
  }
  const slash = model.indexOf("/")
  const prefix = slash < 0 ? unprefixed.find(([re]) => re.test(model))?.[1] : model.slice(0, slash)
  const name = slash < 0 ? model : model.slice(slash + 1)
  const modelPath = `${path}.litellm_params.model`
  const apiBase = source(params["api_base"])
  const apiKey = source(params["api_key"])
  const basePath = `${path}.litellm_params.api_base`

  let spec: Draft.ProviderSpec
  if (prefix === "azure") {
    if (name === "") {
      note(draft, "unsupported", modelPath, "no Azure deployment name")
      return undefined
    }
    const base = Draft.baseUrl(draft, apiBase ?? { env: "AZURE_API_BASE" }, basePath, "AZURE_API_BASE", "/openai/v1")
    note(draft, "approximate", modelPath, `Azure OpenAI through its OpenAI-compatible v1 API (<api_base>/openai/v1), deployment ${name} as the model`)
    spec = { name: "azure", kind: "openai", baseUrl: base, apiKey, defaultKeyEnv: "AZURE_API_KEY" }
  } else if (prefix === "huggingface" && apiBase !== undefined) {
    const base = Draft.baseUrl(draft, apiBase, basePath, "HUGGINGFACE_API_BASE", "/v1")
    note(draft, "approximate", modelPath, "a Hugging Face inference endpoint (TGI) through its OpenAI-compatible /v1 API")
    spec = { name: "huggingface", kind: "openai", baseUrl: base, apiKey }
  } else {
    const target = prefix === undefined ? undefined : targets[prefix]
    if (target === undefined || (target.needsBase === true && apiBase === undefined)) {
      note(
        draft,
        "unsupported",
        modelPath,
        prefix === undefined
          ? `"${model}": no provider prefix, and not a model LiteLLM sends to OpenAI, Anthropic or Gemini by name`
          : target === undefined
          ? `provider "${prefix}" has no Switchyard adapter`
          : `provider "${prefix}" needs an api_base`
      )
      return undefined
    }
    const base = apiBase !== undefined
      ? Draft.baseUrl(draft, apiBase, basePath, `${Draft.envName(prefix!)}_API_BASE`)
      : target.baseUrl
    spec = { name: prefix!, kind: target.kind, host: target.host, baseUrl: base, apiKey, defaultKeyEnv: target.keyEnv }
    if (slash < 0) note(draft, "mapped", modelPath, `no provider prefix: ${prefix}, as LiteLLM infers from the name`)
  }
  const provider = Draft.provider(draft, spec, `${path}.litellm_params`)
  unsupportedKeys(draft, params, `${path}.litellm_params`, paramsHandled)
  for (const key of Object.keys(entry)) {
    if (key !== "model_name" && key !== "litellm_params") note(draft, "unsupported", `${path}.${key}`, reason(key))
  }
  if (alias.includes("*") || name.includes("*")) {
    note(
      draft,
      "approximate",
      path,
      `wildcard: no alias; Switchyard answers "${provider}/<model>" for any model of a configured provider (and a bare model name when it is the only provider)`
    )
    return "wildcard"
  }
  const modelInfo = isRecord(entry["model_info"]) ? str(entry["model_info"]["id"]) : undefined
  return { alias, route: { provider, model: name }, params, path, id: modelInfo }
}

/** Weights as LiteLLM's simple-shuffle picks: `weight`, else `rpm`, else `tpm`, decided by the first deployment. */
const shuffleWeights = (group: ReadonlyArray<Deployment>): { key: string; weights: Array<number> } | undefined => {
  for (const key of ["weight", "rpm", "tpm"]) {
    if (num(group[0]!.params[key]) !== undefined) return { key, weights: group.map((d) => num(d.params[key]) ?? 0) }
  }
  return undefined
}

const strategies: Readonly<Record<string, readonly [Alias["strategy"], Draft.Status, string]>> = {
  "simple-shuffle": ["weighted", "mapped", "weighted: a random order, by weight (weight, else rpm, else tpm)"],
  "latency-based-routing": [
    "latency",
    "approximate",
    "latency: the routes' measured time-to-first-token p50, not LiteLLM's windowed average per token"
  ],
  "cost-based-routing": ["price", "approximate", "price: cheapest first by Switchyard's pricing dataset"],
  "usage-based-routing": ["weighted", "unsupported", "Switchyard does not count each route's RPM/TPM; kept: weighted (by rpm/tpm)"],
  "usage-based-routing-v2": ["weighted", "unsupported", "Switchyard does not count each route's RPM/TPM; kept: weighted (by rpm/tpm)"],
  "least-busy": ["weighted", "unsupported", "Switchyard does not count requests in flight per route; kept: weighted"]
}

/** A setting from `router_settings`, else `litellm_settings`, with the path it came from. */
const setting = (doc: Record<string, unknown>, ...names: ReadonlyArray<string>): { value: unknown; path: string } | undefined => {
  for (const section of ["router_settings", "litellm_settings"]) {
    const s = doc[section]
    if (!isRecord(s)) continue
    for (const name of names) if (s[name] !== undefined) return { value: s[name], path: `${section}.${name}` }
  }
  return undefined
}

/** `[{a: [b, c]}]` (or `{a: [b, c]}`) → pairs. */
const fallbackPairs = (value: unknown): Array<readonly [string, Array<string>]> => {
  const entries = Array.isArray(value) ? value.filter(isRecord).flatMap((o) => Object.entries(o)) : isRecord(value) ? Object.entries(value) : []
  return entries.map(([from, to]) => [from, (Array.isArray(to) ? to : [to]).map(String)] as const)
}

const routeKey = (r: Route) => `${r.provider}/${r.model}`

export const convert = (doc: Record<string, unknown>): { config: Draft.Encoded; draft: Draft.Draft } => {
  const draft = Draft.make()
  const list = Array.isArray(doc["model_list"]) ? doc["model_list"] : []
  if (!Array.isArray(doc["model_list"])) note(draft, "unsupported", "model_list", "missing: no model becomes an alias")
  const deployments = list.flatMap((entry, i) => {
    const d = deployment(draft, entry, `model_list[${i}]`)
    return d === undefined || d === "wildcard" ? [] : [d]
  })

  // Strategy
  const strategySetting = setting(doc, "routing_strategy")
  const strategyName = str(strategySetting?.value) ?? "simple-shuffle"
  const [strategy, strategyStatus, strategyHow] = strategies[strategyName] ??
    ["weighted", "unsupported", `unknown strategy "${strategyName}"; kept: weighted`] as const
  note(draft, strategyStatus, strategySetting?.path ?? "router_settings.routing_strategy", strategySetting === undefined ? `absent (LiteLLM's default simple-shuffle): ${strategyHow}` : strategyHow)

  // Aliases
  const models: Record<string, Alias> = {}
  const groups = new Map<string, Array<Deployment>>()
  for (const d of deployments) groups.set(d.alias, [...(groups.get(d.alias) ?? []), d])
  for (const [alias, group] of groups) {
    const shuffle = strategy === "weighted" ? shuffleWeights(group) : undefined
    const ordered = group.some((d) => num(d.params["order"]) !== undefined)
    const routes: Array<Route> = []
    group.forEach((d, i) => {
      if (routes.some((r) => routeKey(r) === routeKey(d.route))) {
        note(draft, "approximate", d.path, `same provider and model as an earlier deployment of "${alias}": one route`)
        return
      }
      const order = num(d.params["order"])
      routes.push({
        ...d.route,
        ...(shuffle === undefined ? {} : { weight: shuffle.weights[i]! }),
        ...(order === undefined ? {} : { priority: order })
      })
      note(draft, "mapped", d.path, `models.${alias}.routes: ${routeKey(d.route)}`)
      if (shuffle !== undefined && d.params[shuffle.key] !== undefined) {
        note(
          draft,
          shuffle.key === "weight" ? "mapped" : "approximate",
          `${d.path}.litellm_params.${shuffle.key}`,
          shuffle.key === "weight" ? "weight" : `weight ${shuffle.weights[i]} (simple-shuffle weighs by ${shuffle.key}); the limit itself is not enforced`
        )
      } else {
        for (const key of ["rpm", "tpm"]) if (d.params[key] !== undefined) note(draft, "unsupported", `${d.path}.litellm_params.${key}`, reason(key))
      }
      if (order !== undefined) note(draft, "approximate", `${d.path}.litellm_params.order`, "priority: the alias uses the priority strategy; equal orders go in config order, not shuffled")
    })
    const timeouts = group.flatMap((d) => num(d.params["timeout"]) === undefined ? [] : [{ d, s: num(d.params["timeout"])! }])
    const streamTimeouts = group.flatMap((d) => num(d.params["stream_timeout"]) === undefined ? [] : [{ d, s: num(d.params["stream_timeout"])! }])
    const attempt = timeouts.length === 0 ? undefined : Draft.millis(Math.max(...timeouts.map((t) => t.s)))
    const firstToken = streamTimeouts.length === 0 ? undefined : Draft.millis(Math.max(...streamTimeouts.map((t) => t.s)))
    for (const t of timeouts) note(draft, "approximate", `${t.d.path}.litellm_params.timeout`, `models.${alias}.attempt_ms and last_attempt_ms ${attempt} (per alias: the largest of its deployments)`)
    for (const t of streamTimeouts) {
      note(draft, "approximate", `${t.d.path}.litellm_params.stream_timeout`, `models.${alias}.first_token_ms, last_first_token_ms and idle_ms ${firstToken} (per alias: the largest of its deployments)`)
    }
    models[alias] = {
      routes,
      ...(ordered ? { strategy: "priority" as const } : {}),
      ...(attempt === undefined ? {} : { attempt_ms: attempt, last_attempt_ms: attempt }),
      ...(firstToken === undefined ? {} : { first_token_ms: firstToken, last_first_token_ms: firstToken, idle_ms: firstToken })
    }
  }

  // model_group_alias: another name for a group.
  const groupAlias = setting(doc, "model_group_alias")
  if (groupAlias !== undefined && isRecord(groupAlias.value)) {
    for (const [name, to] of Object.entries(groupAlias.value)) {
      const path = `${groupAlias.path}.${name}`
      const target = str(to) ?? (isRecord(to) ? str(to["model"]) : undefined)
      if (target === undefined || models[target] === undefined) note(draft, "unsupported", path, `"${String(target)}" is not a model group that was converted`)
      else if (models[name] !== undefined) note(draft, "unsupported", path, `"${name}" is already a model group`)
      else {
        models[name] = { ...models[target]!, routes: [...models[target]!.routes] }
        note(draft, isRecord(to) && to["hidden"] === true ? "approximate" : "mapped", path, `models.${name}: the routes of ${target}${isRecord(to) && to["hidden"] === true ? " (listed by GET /v1/models: Switchyard cannot hide an alias)" : ""}`)
      }
    }
  }

  // The routes a fallback name stands for: a model group, or one deployment by its model_info.id.
  const fallbackRoutes = (name: string): Array<Route> | undefined =>
    models[name]?.routes.map(({ model, provider }) => ({ provider, model })) ??
      deployments.filter((d) => d.id === name).map((d) => d.route)

  const appendFallbacks = (alias: string, to: ReadonlyArray<string>, path: string) => {
    const model = models[alias]
    if (model === undefined) return note(draft, "unsupported", path, `"${alias}" is not a model group that was converted`)
    const priorities = model.routes.flatMap((r) => (r.priority === undefined ? [] : [r.priority]))
    const added: Array<string> = []
    for (const name of to) {
      const routes = fallbackRoutes(name)
      if (routes === undefined || routes.length === 0) {
        note(draft, "unsupported", path, `fallback "${name}" is not a model group or deployment id that was converted`)
        continue
      }
      for (const r of routes) {
        if (model.routes.some((x) => routeKey(x) === routeKey(r))) continue
        model.routes.push({
          ...r,
          ...((model.strategy ?? strategy) === "weighted" ? { weight: 0 } : {}),
          ...(priorities.length > 0 ? { priority: Math.max(...priorities) + 1 + added.length } : {})
        })
        added.push(routeKey(r))
      }
    }
    const effective = model.strategy ?? strategy
    note(
      draft,
      effective === "weighted" || effective === "priority" ? "mapped" : "approximate",
      path,
      `models.${alias}.routes gains ${added.join(", ") || "nothing new"} after its own routes` +
        (effective === "weighted" ? " (weight 0: tried only after them)" : "") +
        (effective === "latency" || effective === "price" ? ` (the ${effective} strategy orders them together with the alias's own routes)` : "")
    )
  }

  const fallbacks = setting(doc, "fallbacks")
  const withOwn = new Set<string>()
  if (fallbacks !== undefined) {
    for (const [from, to] of fallbackPairs(fallbacks.value)) {
      withOwn.add(from)
      appendFallbacks(from, to, `${fallbacks.path}.${from}`)
    }
  }
  const defaults = setting(doc, "default_fallbacks")
  if (defaults !== undefined && Array.isArray(defaults.value)) {
    for (const alias of Object.keys(models)) {
      if (!withOwn.has(alias)) appendFallbacks(alias, defaults.value.map(String).filter((n) => n !== alias), defaults.path)
    }
  }

  // Routing section
  const routing: Record<string, unknown> = { strategy }
  const context = setting(doc, "context_window_fallbacks")
  if (context !== undefined) {
    const table: Record<string, Route> = {}
    for (const [from, to] of fallbackPairs(context.value)) {
      const path = `${context.path}.${from}`
      const target = to.map(fallbackRoutes).find((r) => r !== undefined && r.length > 0)?.[0]
      const sources = models[from]?.routes ?? []
      if (target === undefined || sources.length === 0) {
        note(draft, "unsupported", path, "the model group or its fallback was not converted")
        continue
      }
      for (const r of sources) table[routeKey(r)] = { provider: target.provider, model: target.model }
      note(
        draft,
        to.length > 1 ? "approximate" : "mapped",
        path,
        `routing.context_fallback: ${sources.map(routeKey).join(", ")} → ${routeKey(target)}${to.length > 1 ? " (one larger-context route per route: the first)" : ""}`
      )
    }
    if (Object.keys(table).length > 0) routing["context_fallback"] = table
  }
  const contentPolicy = setting(doc, "content_policy_fallbacks")
  if (contentPolicy !== undefined) {
    note(draft, "unsupported", contentPolicy.path, "no fallback list per error kind; `routing.on: { content_filter: failover }` makes a content filter fail over to the alias's next routes")
  }

  const retries = setting(doc, "num_retries")
  if (retries !== undefined && num(retries.value) !== undefined) {
    routing["retries"] = { max: num(retries.value) }
    note(draft, "approximate", retries.path, `routing.retries.max ${num(retries.value)}: retries of the same route (with backoff) before failing over; LiteLLM retries across the group`)
  }
  const timeout = setting(doc, "timeout", "request_timeout")
  if (timeout !== undefined && num(timeout.value) !== undefined) {
    const ms = Draft.millis(num(timeout.value)!)
    routing["attempt_ms"] = ms
    routing["last_attempt_ms"] = ms
    if (ms > 300_000) routing["deadline_ms"] = ms
    note(
      draft,
      "approximate",
      timeout.path,
      `routing.attempt_ms and last_attempt_ms ${ms}: each whole answer's attempt; streams keep first_token_ms/idle_ms` +
        (ms > 300_000 ? `; deadline_ms ${ms} so one attempt fits the request's deadline` : "")
    )
  }
  const streamTimeout = setting(doc, "stream_timeout")
  if (streamTimeout !== undefined && num(streamTimeout.value) !== undefined) {
    const ms = Draft.millis(num(streamTimeout.value)!)
    Object.assign(routing, { first_token_ms: ms, last_first_token_ms: ms, idle_ms: ms })
    note(draft, "approximate", streamTimeout.path, `routing.first_token_ms, last_first_token_ms and idle_ms ${ms}`)
  }
  const breaker: Record<string, number> = {}
  const allowedFails = setting(doc, "allowed_fails")
  if (allowedFails !== undefined && num(allowedFails.value) !== undefined) {
    breaker["consecutive_failures"] = num(allowedFails.value)! + 1
    note(draft, "approximate", allowedFails.path, `routing.breaker.consecutive_failures ${breaker["consecutive_failures"]}: failures in a row, where LiteLLM counts failures per minute`)
  }
  const cooldown = setting(doc, "cooldown_time")
  if (cooldown !== undefined && num(cooldown.value) !== undefined) {
    breaker["cooldown_ms"] = Draft.millis(num(cooldown.value)!)
    note(draft, "approximate", cooldown.path, `routing.breaker.cooldown_ms ${breaker["cooldown_ms"]}: the breaker stays open this long (±20%), then lets one probe through`)
  }
  if (Object.keys(breaker).length > 0) routing["breaker"] = breaker

  // Shared state: LiteLLM's router keeps cooldowns and usage in Redis; Switchyard shares its breakers,
  // hedge budget, budgets, rate limits and latency statistics there.
  const redisHost = setting(doc, "redis_host")
  let state: Draft.Encoded["state"] | undefined
  if (redisHost !== undefined) {
    const hostSource = source(redisHost.value)
    const portSource = setting(doc, "redis_port")
    const passwordSource = setting(doc, "redis_password")
    const host = hostSource === undefined
      ? undefined
      : "env" in hostSource
      ? Draft.variable(draft, hostSource.env, "url", redisHost.path)
      : /^[A-Za-z0-9.-]+$/.test(hostSource.literal)
      ? hostSource.literal
      : Draft.variable(draft, "REDIS_HOST", "url", redisHost.path)
    const portValue = portSource === undefined ? undefined : source(portSource.value)
    const port = portValue !== undefined && "env" in portValue
      ? Draft.variable(draft, portValue.env, "url", portSource!.path)
      : portSource === undefined ? 6379 : num(portSource.value) ?? 6379
    const password = passwordSource === undefined ? undefined : source(passwordSource.value)
    if (host !== undefined) {
      const auth = password === undefined ? "" : `:${Draft.secret(draft, password, passwordSource!.path, "REDIS_PASSWORD")}@`
      state = { kind: "redis", url: `redis://${auth}${host}:${port}` }
      note(draft, "approximate", redisHost.path, "state: redis (every instance on this Redis shares breakers, hedge budget, budgets, rate limits and latency statistics; LiteLLM kept cooldowns and usage there)")
    }
  }

  const handledSettings = new Set([
    "routing_strategy", "model_group_alias", "fallbacks", "default_fallbacks", "context_window_fallbacks", "content_policy_fallbacks",
    "num_retries", "timeout", "request_timeout", "stream_timeout", "allowed_fails", "cooldown_time",
    ...(state === undefined ? [] : ["redis_host", "redis_port", "redis_password"])
  ])
  for (const section of ["router_settings", "litellm_settings"]) {
    if (isRecord(doc[section])) unsupportedKeys(draft, doc[section], section, handledSettings)
  }

  // Client keys
  const keys: Array<{ id: string; key: string; admin: boolean }> = []
  const general = doc["general_settings"]
  if (isRecord(general)) {
    const master = source(general["master_key"])
    if (master !== undefined) {
      keys.push({ id: "master", key: Draft.secret(draft, master, "general_settings.master_key", "LITELLM_MASTER_KEY"), admin: true })
      note(draft, "approximate", "general_settings.master_key", "keys: master (admin); LiteLLM's virtual keys live in its database and are not imported, add them under `keys`")
    }
    unsupportedKeys(draft, general, "general_settings", new Set(["master_key"]))
  }
  if (isRecord(doc["environment_variables"])) {
    note(draft, "unsupported", "environment_variables", `Switchyard reads variables from its environment: set ${Object.keys(doc["environment_variables"]).join(", ")} there`)
  }
  for (const key of Object.keys(doc)) {
    if (!["model_list", "router_settings", "litellm_settings", "general_settings", "environment_variables"].includes(key)) {
      note(draft, "unsupported", key, reason(key))
    }
  }

  return {
    draft,
    config: {
      providers: draft.providers,
      ...(Object.keys(models).length === 0 ? {} : { models }),
      routing: routing as Draft.Encoded["routing"] & {},
      ...(keys.length === 0 ? {} : { keys }),
      ...(state === undefined ? {} : { state })
    }
  }
}
