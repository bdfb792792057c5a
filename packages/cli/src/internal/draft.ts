/**
 * What a conversion accumulates while it reads a source config: the providers it needed (one per
 * distinct kind, host, base URL and key), the report, and the environment variables the result
 * reads. Secrets are never kept in the output: a key given by variable stays a `${VAR}` reference,
 * a key written in the file becomes a reference to a variable the user is told to set.
 */
import type { GatewayConfig } from "@switchyard/gateway"

export type Status = "mapped" | "approximate" | "unsupported"

/** One line of the report: what became of one setting of the source, found at `path`. */
export interface Item {
  readonly status: Status
  readonly path: string
  readonly message: string
}

/** An environment variable the generated config reads. */
export interface Variable {
  readonly name: string
  readonly holds: "secret" | "url"
  /** Where the source named or held it. */
  readonly path: string
}

/** A value in the source: a variable to read (`os.environ/X`), or written out. */
export type Source = { readonly env: string } | { readonly literal: string }

export type Encoded = typeof GatewayConfig.GatewayConfig.Encoded
type ProviderConfig = typeof GatewayConfig.ProviderConfig.Encoded

export interface ProviderSpec {
  /** The name wanted; `-2`, `-3`... when a different provider took it. */
  readonly name: string
  readonly kind: ProviderConfig["kind"]
  readonly host?: string | undefined
  /** Final text of `base_url` (may hold a `${VAR}`). */
  readonly baseUrl?: string | undefined
  readonly apiKey?: Source | undefined
  /** The variable read when the source gives no key, as the source itself would. */
  readonly defaultKeyEnv?: string | undefined
}

export interface Draft {
  readonly items: Array<Item>
  readonly variables: Array<Variable>
  readonly providers: Record<string, ProviderConfig>
  /** Provider identity (kind, host, base URL, key source) → name. */
  readonly identities: Map<string, string>
  /** A key written in the source → the variable that now holds it. */
  readonly literals: Map<string, string>
}

export const make = (): Draft => ({ items: [], variables: [], providers: {}, identities: new Map(), literals: new Map() })

export const note = (draft: Draft, status: Status, path: string, message: string): void => {
  draft.items.push({ status, path, message })
}

/** `A_B_C` from a name such as `a-b.c`. */
export const envName = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_|_$/g, "")

/** Records that the config reads `name`; returns the `${name}` reference. */
export const variable = (draft: Draft, name: string, holds: Variable["holds"], path: string): string => {
  if (!draft.variables.some((v) => v.name === name)) draft.variables.push({ name, holds, path })
  return `\${${name}}`
}

/**
 * The `${VAR}` reference for a secret: the source's own variable, or for a value written in the
 * file a new variable named `suggested` (the same one for the same value), with a report line.
 */
export const secret = (draft: Draft, source: Source, path: string, suggested: string): string => {
  if ("env" in source) return variable(draft, source.env, "secret", path)
  const known = draft.literals.get(source.literal)
  if (known !== undefined) return variable(draft, known, "secret", path)
  let name = suggested
  for (let n = 2; draft.variables.some((v) => v.name === name); n++) name = `${suggested}_${n}`
  draft.literals.set(source.literal, name)
  note(draft, "approximate", path, `a secret written in the file is not copied: set ${name} to it (the config reads \${${name}})`)
  return variable(draft, name, "secret", path)
}

const identity = (spec: ProviderSpec): string =>
  JSON.stringify([
    spec.kind,
    spec.host ?? "",
    spec.baseUrl ?? "",
    spec.apiKey === undefined ? "" : "env" in spec.apiKey ? `env:${spec.apiKey.env}` : `literal:${spec.apiKey.literal}`
  ])

/** The provider for `spec`, added when no equal one exists yet; returns its name. */
export const provider = (draft: Draft, spec: ProviderSpec, path: string): string => {
  const id = identity(spec)
  const existing = draft.identities.get(id)
  if (existing !== undefined) return existing
  let name = spec.name
  for (let n = 2; Object.hasOwn(draft.providers, name); n++) name = `${spec.name}-${n}`
  draft.identities.set(id, name)
  const apiKey = spec.apiKey !== undefined
    ? secret(draft, spec.apiKey, `${path}.api_key`, `${envName(name)}_API_KEY`)
    : spec.defaultKeyEnv !== undefined
    ? variable(draft, spec.defaultKeyEnv, "secret", path)
    : undefined
  draft.providers[name] = {
    kind: spec.kind,
    ...(spec.host === undefined || spec.host === name ? {} : { host: spec.host }),
    ...(spec.baseUrl === undefined ? {} : { base_url: spec.baseUrl }),
    ...(apiKey === undefined ? {} : { api_key: apiKey })
  }
  return name
}

/** Seconds (LiteLLM) to whole milliseconds, at least 1. */
export const millis = (seconds: number): number => Math.max(1, Math.round(seconds * 1000))

export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
export const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
export const num = (u: unknown): number | undefined => {
  if (typeof u === "number" && Number.isFinite(u)) return u
  if (typeof u === "string" && /^\d+(\.\d+)?$/.test(u.replace(/_/g, ""))) return Number(u.replace(/_/g, ""))
  return undefined
}

const urlPattern = /^https?:\/\/\S+$/

/**
 * `base_url` text for a URL from the source: a variable stays a reference, a URL loses its trailing
 * slash, anything else (a placeholder such as `<your-endpoint>`) becomes the variable `fallbackEnv`.
 */
export const baseUrl = (draft: Draft, source: Source, path: string, fallbackEnv: string, suffix = ""): string => {
  if ("env" in source) return `${variable(draft, source.env, "url", path)}${suffix}`
  if (urlPattern.test(source.literal)) return `${source.literal.replace(/\/+$/, "")}${suffix}`
  note(draft, "approximate", path, `not a URL ("${source.literal}"): the config reads \${${fallbackEnv}} instead; set it`)
  return `${variable(draft, fallbackEnv, "url", path)}${suffix}`
}
