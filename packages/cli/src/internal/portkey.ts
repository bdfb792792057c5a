/**
 * Portkey gateway config (JSON) → Switchyard config. A Portkey config applies to every request, so
 * its targets become the routes of one alias; nested strategies are flattened into that one list.
 */
import { ErrorClassifier, type ProviderError } from "@switchyard/core"
import * as Draft from "./draft.ts"
import { isRecord, note, num, str } from "./draft.ts"

type Route = { provider: string; model: string; weight?: number }

interface Target {
  readonly kind: Draft.ProviderSpec["kind"]
  readonly host?: string
  readonly keyEnv?: string
}

/** Portkey provider slugs Switchyard has an adapter for. */
const targets: Readonly<Record<string, Target>> = {
  openai: { kind: "openai", keyEnv: "OPENAI_API_KEY" },
  anthropic: { kind: "anthropic", keyEnv: "ANTHROPIC_API_KEY" },
  google: { kind: "gemini", keyEnv: "GEMINI_API_KEY" },
  ollama: { kind: "ollama" },
  groq: { kind: "openai", host: "groq", keyEnv: "GROQ_API_KEY" },
  deepseek: { kind: "openai", host: "deepseek", keyEnv: "DEEPSEEK_API_KEY" },
  "x-ai": { kind: "openai", host: "xai", keyEnv: "XAI_API_KEY" },
  "mistral-ai": { kind: "openai", host: "mistral", keyEnv: "MISTRAL_API_KEY" },
  openrouter: { kind: "openai", host: "openrouter", keyEnv: "OPENROUTER_API_KEY" },
  "together-ai": { kind: "openai", host: "together", keyEnv: "TOGETHER_API_KEY" },
  "perplexity-ai": { kind: "openai", host: "perplexity", keyEnv: "PERPLEXITY_API_KEY" },
  "moonshot": { kind: "openai", host: "moonshot", keyEnv: "MOONSHOT_API_KEY" }
}

/** The provider a model name belongs to, for targets that name none (a virtual key). */
const byModel: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(gpt-|o\d|chatgpt-)/, "openai"],
  [/^claude-/, "anthropic"],
  [/^gemini-/, "google"]
]

const reasons: Readonly<Record<string, string>> = {
  cache: "Switchyard has no response cache",
  input_guardrails: "no guardrails in Switchyard (output contracts are per request: docs/portability.md)",
  output_guardrails: "no guardrails in Switchyard (output contracts are per request: docs/portability.md)",
  forward_headers: "Switchyard does not forward client headers to providers",
  retry: "per-target retries: Switchyard's retries are one setting, `routing.retries.max`"
}

const targetKeys = new Set(["provider", "virtual_key", "api_key", "weight", "override_params", "custom_host", "strategy", "targets", "request_timeout", "on_status_codes"])

/** A leaf target with where it sits and its share of a load-balanced pick. */
interface Leaf {
  readonly target: Record<string, unknown>
  readonly path: string
  readonly weight: number
  readonly timeout: number | undefined
}

const leaves = (draft: Draft.Draft, node: Record<string, unknown>, path: string, weight: number, timeout: number | undefined, top: boolean): Array<Leaf> => {
  const here = num(node["request_timeout"]) ?? timeout
  if (!Array.isArray(node["targets"])) {
    const names = node["provider"] !== undefined || node["virtual_key"] !== undefined || node["override_params"] !== undefined
    return top && !names ? [] : [{ target: node, path, weight, timeout: here }]
  }
  const mode = isRecord(node["strategy"]) ? str(node["strategy"]["mode"]) : undefined
  const children = node["targets"].filter(isRecord)
  if (!top) {
    note(draft, "approximate", `${path}.strategy`, `nested ${mode ?? "strategy"}: its targets are flattened into the alias's one list of routes, in place`)
  }
  const total = children.reduce((sum, c) => sum + (num(c["weight"]) ?? 1), 0)
  const chosen = mode === "single" ? children.slice(0, 1) : children
  if (mode === "single" && children.length > 1) note(draft, "mapped", `${path}.targets`, "single: only the first target is used")
  return chosen.flatMap((child, i) =>
    leaves(
      draft,
      child,
      `${path}${path === "" ? "" : "."}targets[${i}]`,
      mode === "loadbalance" ? weight * ((num(child["weight"]) ?? 1) / (total || 1)) : weight,
      here,
      false
    )
  )
}

/** One leaf → its route (reported), or `undefined` when no provider or no model can be told. */
const route = (draft: Draft.Draft, leaf: Leaf): Route | undefined => {
  const t = leaf.target
  const at = (key: string) => (leaf.path === "" ? key : `${leaf.path}.${key}`)
  const overrides = isRecord(t["override_params"]) ? t["override_params"] : {}
  for (const key of Object.keys(overrides)) {
    if (key !== "model") note(draft, "unsupported", at(`override_params.${key}`), "Switchyard does not set request parameters per route")
  }
  // The root's own keys are reported by `convert`.
  if (leaf.path !== "") {
    for (const key of Object.keys(t)) if (!targetKeys.has(key)) note(draft, "unsupported", at(key), reasons[key] ?? "no Switchyard equivalent")
  }

  let model = str(overrides["model"])
  // A `@slug` provider is a Model Catalog entry: its key is in the vault, like a virtual key's.
  let virtualKey = str(t["virtual_key"]) ?? (str(t["provider"])?.startsWith("@") === true ? str(t["provider"])!.slice(1) : undefined)
  // `@slug/model` names a Model Catalog provider, which holds its key like a virtual key.
  const catalog = model === undefined ? null : /^@([^/]+)\/(.+)$/.exec(model)
  if (catalog !== null) [virtualKey, model] = [catalog[1]!, catalog[2]!]
  const slug = str(t["provider"])
  if (model === undefined) {
    note(draft, "unsupported", at("override_params.model"), "absent: Portkey sends the request's model; a Switchyard route names its model, add it by hand")
    return undefined
  }
  const named = slug !== undefined && !slug.startsWith("@") ? slug : undefined
  const guessed = named ?? byModel.find(([re]) => re.test(model))?.[1]
  const target = guessed === undefined ? undefined : targets[guessed]
  if (target === undefined) {
    note(
      draft,
      "unsupported",
      at(named === undefined ? "virtual_key" : "provider"),
      named === undefined
        ? `the provider behind "${virtualKey ?? "?"}" cannot be told from the model "${model}"`
        : `provider "${named}" has no Switchyard adapter`
    )
    return undefined
  }
  if (named === undefined) {
    note(draft, "approximate", at(str(t["virtual_key"]) === undefined ? "provider" : "virtual_key"), `a Portkey vault key: the provider (${guessed}) is told from the model name`)
  }
  const customHost = str(t["custom_host"])
  const apiKey: Draft.Source | undefined = str(t["api_key"]) !== undefined
    ? { literal: str(t["api_key"])! }
    : virtualKey !== undefined
    ? { env: `${Draft.envName(virtualKey)}` }
    : undefined
  if (apiKey !== undefined && "env" in apiKey) {
    note(draft, "approximate", at(str(t["virtual_key"]) === undefined ? "provider" : "virtual_key"), `the key is in Portkey's vault: set ${apiKey.env} to the provider key it holds`)
  } else if (apiKey === undefined && target.keyEnv !== undefined) {
    note(draft, "approximate", at("provider"), `no key in the config (Portkey takes it from the request): set ${target.keyEnv}`)
  }
  const provider = Draft.provider(draft, {
    name: guessed!,
    kind: target.kind,
    host: target.host,
    baseUrl: customHost === undefined ? undefined : Draft.baseUrl(draft, { literal: customHost }, at("custom_host"), `${Draft.envName(guessed!)}_BASE_URL`),
    apiKey,
    defaultKeyEnv: target.keyEnv
  }, leaf.path === "" ? "config" : leaf.path)
  note(draft, "mapped", leaf.path === "" ? "(root)" : leaf.path, `route ${provider}/${model}`)
  return { provider, model }
}

/** Categories whose Switchyard action follows from status codes, and the statuses Portkey would see for them. */
const byStatus = (code: number): ProviderError.Category => ErrorClassifier.classify({ provider: "portkey", status: code, body: "" }).category
const governed: ReadonlyArray<ProviderError.Category> = ["rate_limited", "quota_exceeded", "auth", "not_found", "timeout", "overloaded", "server_error"]
const retriedByDefault = new Set<ProviderError.Category>(["rate_limited", "overloaded", "server_error"])

/** Whether a status list covers a category (quota errors arrive as 429 from OpenAI). */
const covers = (codes: ReadonlyArray<number>, category: ProviderError.Category) =>
  codes.some((c) => byStatus(c) === category || (category === "quota_exceeded" && c === 429))

const codesOf = (value: unknown): Array<number> | undefined => (Array.isArray(value) ? value.flatMap((c) => (num(c) === undefined ? [] : [num(c)!])) : undefined)

export const convert = (doc: Record<string, unknown>, alias: string): { config: Draft.Encoded; draft: Draft.Draft } => {
  const draft = Draft.make()
  const mode = isRecord(doc["strategy"]) ? str(doc["strategy"]["mode"]) : undefined
  const found = leaves(draft, doc, "", 1, undefined, true)
  const routes = found.flatMap((leaf) => {
    const r = route(draft, leaf)
    return r === undefined ? [] : [{ r, leaf }]
  })

  const routing: Record<string, unknown> = {}
  const model: Record<string, unknown> = {}
  if (mode === "loadbalance") {
    model["strategy"] = "weighted"
    note(draft, "approximate", "strategy.mode", "loadbalance: the weighted strategy; when the picked route fails, Switchyard fails over to the others (Portkey returns the error)")
  } else if (mode === "fallback" || mode === "single" || mode === undefined) {
    model["strategy"] = "priority"
    if (mode !== undefined) note(draft, "mapped", "strategy.mode", `${mode}: the priority strategy, targets in order`)
  } else {
    model["strategy"] = "priority"
    note(draft, "unsupported", "strategy.mode", `${mode}: no routing on request metadata; the targets are tried in order`)
  }
  const weighted = mode === "loadbalance"
  const timeouts = routes.flatMap(({ leaf }) => (leaf.timeout === undefined ? [] : [leaf.timeout]))
  if (timeouts.length > 0) {
    const ms = Math.max(...timeouts)
    model["attempt_ms"] = ms
    model["last_attempt_ms"] = ms
    const differ = new Set(timeouts).size > 1
    note(
      draft,
      differ ? "approximate" : "mapped",
      "request_timeout",
      `models.${alias}.attempt_ms and last_attempt_ms ${ms}${differ ? " (one limit per alias: the largest of the targets')" : ""}; streams keep first_token_ms/idle_ms`
    )
  }

  // Retries and which failures move on, by category.
  const retry = isRecord(doc["retry"]) ? doc["retry"] : undefined
  const attempts = num(retry?.["attempts"])
  routing["retries"] = { max: attempts ?? 0 }
  note(draft, "mapped", "retry.attempts", attempts === undefined ? "absent: Portkey retries only when asked; routing.retries.max 0" : `routing.retries.max ${attempts}`)
  const retryCodes = codesOf(retry?.["on_status_codes"])
  const fallbackCodes = isRecord(doc["strategy"]) ? codesOf(doc["strategy"]["on_status_codes"]) : undefined
  if (retryCodes !== undefined || fallbackCodes !== undefined) {
    const on: Record<string, string> = {}
    for (const category of governed) {
      // A quota stop is not retried whatever the codes: it will not pass by waiting.
      const retried = retryCodes === undefined ? retriedByDefault.has(category) : category !== "quota_exceeded" && covers(retryCodes, category)
      const movesOn = fallbackCodes === undefined || covers(fallbackCodes, category)
      const action = retried ? "retry" : movesOn ? "failover" : "fail"
      if (action !== (retriedByDefault.has(category) ? "retry" : "failover")) on[category] = action
    }
    if (Object.keys(on).length > 0) routing["on"] = on
    const shown = Object.entries(on).map(([c, a]) => `${c}: ${a}`).join(", ") || "the defaults"
    if (retryCodes !== undefined) {
      note(draft, "approximate", "retry.on_status_codes", `routing.on (${shown}): Switchyard decides by error category, not status code; a retried category fails over once its retries are spent`)
    }
    if (fallbackCodes !== undefined) {
      note(draft, "approximate", "strategy.on_status_codes", `routing.on (${shown}): a category none of the codes maps to fails at once; content filters and bad requests always fail, stream cuts always fail over`)
    }
  }
  for (const key of Object.keys(doc)) {
    if (!targetKeys.has(key) && key !== "retry") note(draft, "unsupported", key, reasons[key] ?? "no Switchyard equivalent")
  }

  const models = routes.length === 0 ? undefined : {
    [alias]: {
      ...model,
      routes: routes.map(({ leaf, r }) => (weighted ? { ...r, weight: Number(leaf.weight.toFixed(6)) } : r))
    }
  }
  if (models === undefined) note(draft, "unsupported", "targets", "no target could become a route: the config has no alias")
  else note(draft, "approximate", "(root)", `a Portkey config applies to every request; here it is the alias "${alias}": send model "${alias}"`)
  return {
    draft,
    config: {
      providers: draft.providers,
      ...(models === undefined ? {} : { models: models as Draft.Encoded["models"] & {} }),
      routing: routing as Draft.Encoded["routing"] & {}
    }
  }
}
