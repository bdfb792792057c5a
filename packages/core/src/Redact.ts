/**
 * Removes secrets from text that leaves the process (error bodies, stream error events, headers,
 * logs). A `Redactor` knows every configured secret by value and masks, in this order:
 *
 * 0. JSON `\uXXXX` escapes of plain characters are written as the characters (so an escaped key in
 *    a raw body is seen);
 * 1. masked echoes a provider makes of a key (`LEAK2-4c***ef12`, `sk-proj-****abcd`): the visible
 *    start and end are a known key's first and last characters, 6 or more in all;
 * 2. each secret as it may be written: bare, URL-encoded, JSON-escaped;
 * 3. any 8 consecutive characters of a secret (a truncated or partial echo);
 * 4. the shapes of well-known credentials, whoever's they are (`sk-...`, `AIza...`, `Bearer ...`).
 *
 * What the gateway emits goes through the `CurrentRedactor`; the server sets it from the config.
 */
import { Context, Redacted } from "effect"

/** Each credential shape, with what any text it matches must contain (as a pattern, case aside). */
const credentials: ReadonlyArray<{ readonly pattern: RegExp; readonly needs: string }> = [
  { pattern: /\bsk-(?:ant-|proj-|or-v1-)?[A-Za-z0-9_-]{8,}/g, needs: "sk-" }, // OpenAI, Anthropic, OpenRouter
  { pattern: /\bAIza[0-9A-Za-z_-]{20,}/g, needs: "AIza" }, // Google
  { pattern: /\bxai-[A-Za-z0-9]{10,}/g, needs: "xai-" }, // xAI
  { pattern: /\bgsk_[A-Za-z0-9]{10,}/g, needs: "gsk_" }, // Groq
  { pattern: /\bhf_[A-Za-z0-9]{10,}/g, needs: "hf_" }, // Hugging Face
  { pattern: /(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, needs: "bearer" },
  { pattern: /([?&](?:key|api_key|apikey|access_token)=)[^&\s"']+/gi, needs: "[?&](?:key|api_key|apikey|access_token)=" },
  {
    pattern: /("(?:api_key|apiKey|x-api-key|authorization|access_token)"\s*:\s*")[^"]+/gi,
    needs: '"(?:api_key|apikey|x-api-key|authorization|access_token)"'
  }
]

const patterns = credentials.map(({ pattern }) => pattern)

/** Text none of `patterns` can match: each needs its `needs`, so one test spares all the passes. */
const shapeTrigger = new RegExp(credentials.map(({ needs }) => needs).join("|"), "i")

const MASK = "[REDACTED]"

/** Secrets shorter than this are only masked whole (a window this long of a secret is masked anywhere). */
const WINDOW = 8
/** The rolling hash of `partial`: a polynomial over UTF-16 code units, modulo 2^32. */
const BASE = 31
/** `BASE` to the power `WINDOW - 1`: the weight of the character leaving the window. */
const TOP = Array.from({ length: WINDOW - 1 }).reduce<number>((n) => Math.imul(n, BASE), 1)

const rollingHash = (text: string, from: number, length: number): number => {
  let hash = 0
  for (let i = from; i < from + length; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0
  return hash
}

/** The low bits of a window's hash that index a `Windows`' filter (4 KiB a redactor). */
const FILTER_MASK = (1 << 12) - 1

/** Every 8-character window of some secrets, and their rolling hashes, found first by `filter`. */
interface Windows {
  readonly strings: ReadonlySet<string>
  readonly hashes: ReadonlySet<number>
  /** 1 at the low bits of each window's hash: most positions of a text miss it at once. */
  readonly filter: Uint8Array
}

const windowsOf = (secrets: ReadonlyArray<string>): Windows => {
  const strings = new Set(
    secrets.flatMap((s) => s.length < WINDOW ? [] : Array.from({ length: s.length - WINDOW + 1 }, (_, i) => s.slice(i, i + WINDOW)))
  )
  const hashes = new Set([...strings].map((w) => rollingHash(w, 0, WINDOW)))
  const filter = new Uint8Array(FILTER_MASK + 1)
  hashes.forEach((hash) => (filter[hash & FILTER_MASK] = 1))
  return { strings, hashes, filter }
}

/**
 * The stretches of `text` (at least `WINDOW` long) covered by `windows`, in order and merged. The
 * rolling hash of the window at each position is looked up first (in the filter, then among the
 * hashes); only a hit is sliced and compared.
 */
const windowSpans = (text: string, windows: Windows): Array<[number, number]> => {
  const spans: Array<[number, number]> = []
  let hash = rollingHash(text, 0, WINDOW)
  for (let i = 0; ; i++) {
    if (windows.filter[hash & FILTER_MASK] === 1 && windows.hashes.has(hash) && windows.strings.has(text.slice(i, i + WINDOW))) {
      const last = spans[spans.length - 1]
      if (last !== undefined && i <= last[1]) last[1] = i + WINDOW
      else spans.push([i, i + WINDOW])
    }
    if (i + WINDOW >= text.length) return spans
    hash = (Math.imul((hash - Math.imul(text.charCodeAt(i), TOP)) | 0, BASE) + text.charCodeAt(i + WINDOW)) | 0
  }
}

/** The fewest characters of a key a masked echo may show before it is masked. */
const ECHO_MIN = 6

/** The shortest runs of mask characters `maskedEcho` looks for: text without any of them has no echo. */
const maskRuns = ["**", "...", "…", "xxxx", "###"]

/** A visible start, a run of mask characters, a visible end. */
const maskedEcho = /([A-Za-z0-9_.-]+)(?:\*{2,}|\.{3,}|…|x{4,}|#{3,})([A-Za-z0-9_-]+)/g

export interface Redactor {
  /** `text` with every known secret and credential shape replaced by `[REDACTED]`. */
  readonly text: (text: string) => string
  /** `value` with every string in it (keys included) redacted, for JSON values. */
  readonly json: (value: unknown) => unknown
}

/** JSON's `\u0041`-style escapes of characters keys are made of, as those characters. */
const unescaped = (text: string) =>
  text.includes("\\u")
    ? text.replace(/\\u00([2-7][0-9a-fA-F])/g, (escape, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16))
      return /[A-Za-z0-9_.+/=~-]/.test(c) ? c : escape
    })
    : text

/** How a secret may be written in text besides bare. */
const spellings = (secret: string): ReadonlyArray<string> =>
  [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])]

/** The longest end of `visible` that starts `secret` (`fromStart`), or the longest start of it that ends `secret`. */
const overlap = (visible: string, secret: string, fromStart: boolean): number => {
  for (let n = Math.min(visible.length, secret.length); n > 0; n--) {
    if (fromStart ? secret.startsWith(visible.slice(visible.length - n)) : secret.endsWith(visible.slice(0, n))) return n
  }
  return 0
}

/** A redactor that knows `secrets` (empty ones ignored) besides the credential shapes. */
export const make = (secrets: Iterable<string | Redacted.Redacted<string>>): Redactor => {
  const values = [...new Set([...secrets].map((s) => (Redacted.isRedacted(s) ? Redacted.value(s) : s)))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length)
  const exact = [...new Set(values.flatMap(spellings))].sort((a, b) => b.length - a.length)
  const windows = windowsOf(values)

  const echoes = (text: string) =>
    values.length === 0 || !maskRuns.some((run) => text.includes(run)) ? text : text.replace(maskedEcho, (match, start: string, end: string) =>
      values.some((s) => {
        const head = overlap(start, s, true)
        const tail = overlap(end, s, false)
        return head > 0 && tail > 0 && head + tail >= Math.min(ECHO_MIN, s.length - 1)
      })
        ? MASK
        : match)

  const whole = (text: string) => exact.reduce((out, s) => (out.includes(s) ? out.split(s).join(MASK) : out), text)

  /** Masks every stretch of `text` covered by 8-character windows of a secret (see `windowSpans`). */
  const partial = (text: string) => {
    if (windows.strings.size === 0 || text.length < WINDOW) return text
    const spans = windowSpans(text, windows)
    let out = ""
    let at = 0
    for (const [start, end] of spans) {
      out += text.slice(at, start) + MASK
      at = end
    }
    return out + text.slice(at)
  }

  const shapes = (text: string) =>
    !shapeTrigger.test(text) ? text : patterns.reduce(
      (out, pattern) => out.replace(pattern, (_match, prefix?: unknown) => (typeof prefix === "string" ? prefix : "") + MASK),
      text
    )

  const text = (input: string) => shapes(partial(whole(echoes(unescaped(input)))))
  const json = (value: unknown): unknown => {
    if (typeof value === "string") return text(value)
    if (Array.isArray(value)) return value.map(json)
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), json(v)]))
    }
    return value
  }
  return { text, json }
}

/** The credential shapes only: what is redacted when no secrets are known. */
export const shapesOnly: Redactor = make([])

/** The redactor for what the gateway emits; the server sets one that knows the configured secrets. */
export const CurrentRedactor = Context.Reference<Redactor>("@switchyard/core/Redact/CurrentRedactor", {
  defaultValue: () => shapesOnly
})

/** The redactor of each list of secrets `redact` was given (a provider passes the same list each time). */
const redactors = new WeakMap<ReadonlyArray<string>, Redactor>()

/** Text with secrets replaced by `[REDACTED]`. A list of secrets is read once: the first time it is given. */
export const redact = (text: string, secrets: ReadonlyArray<string> = []): string => {
  if (secrets.length === 0) return shapesOnly.text(text)
  let redactor = redactors.get(secrets)
  if (redactor === undefined) {
    redactor = make(secrets)
    redactors.set(secrets, redactor)
  }
  return redactor.text(text)
}

const MAX_BODY = 4096

/** A redacted body, cut to a size that is safe to log and return. */
export const redactBody = (body: string, secrets: ReadonlyArray<string> = []): string => {
  const cut = body.length > MAX_BODY ? body.slice(0, MAX_BODY) + `…[${body.length - MAX_BODY} more chars]` : body
  return redact(cut, secrets)
}
