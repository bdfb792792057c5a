/**
 * A chaos run through the real server: alias `smart` over two OpenAI-compatible mock upstreams, the
 * first injecting a fault into a seeded share of its exchanges (every fault the mock has, in turn),
 * the second healthy. Plain and streamed requests are sent at a steady rate, and the run
 * reports what a client saw (statuses, error events, streams that were cut, repeated or garbled,
 * latency against the deadline) and whether the ledger has a row for every exchange an upstream saw.
 *
 * Every answer's text is a function of its request (`chaos #i`), the same on both upstreams, so a
 * stream taken over mid-answer is checked against the one answer it must reassemble to.
 */
import { Effect, Redacted } from "effect"
import type { GatewayConfig } from "@switchyard/gateway"
import { Fault, MockUpstream, OpenAiChatWire, Reply } from "@switchyard/testing"
import { serveConfig } from "../harness.ts"

/** The limits the gateway is configured with; fault delays are scaled from them. */
export interface Timings {
  readonly deadlineMs: number
  readonly firstTokenMs: number
  readonly idleMs: number
  /** The retry backoff's base (its cap is ten times that). */
  readonly retryBaseMs: number
}

export interface Options {
  readonly seed: number
  readonly requests: number
  /**
   * Requests sent per second, each at its time whatever the others do (an open loop): a closed
   * loop of fast answers would send most requests while the first route cools down after a 429.
   */
  readonly rate: number
  /** The share of the first route's exchanges given a fault. */
  readonly faultRate: number
  readonly timings: Timings
}

/** A fault of the first route, for a plain or a streamed request. */
interface FaultCase {
  readonly name: string
  readonly apply: (healthy: Reply.Reply, streamed: boolean, timings: Timings) => Reply.Reply
}

/** Every fault `MockUpstream` can inject (`Fault`, and the error answers of `OpenAiChatWire` and `Reply`). */
export const faults: ReadonlyArray<FaultCase> = [
  { name: "hang", apply: (r) => r.pipe(Fault.hang) },
  { name: "reset before headers", apply: (r) => r.pipe(Fault.reset) },
  { name: "slow headers", apply: (r, _, t) => r.pipe(Fault.latency(t.firstTokenMs * 1.5)) },
  { name: "slow first byte", apply: (r, _, t) => r.pipe(Fault.firstChunkDelay(t.firstTokenMs * 1.5)) },
  { name: "idle gaps", apply: (r, _, t) => r.pipe(Fault.chunkDelay(t.idleMs * 1.5)) },
  { name: "tiny writes", apply: (r) => r.pipe(Fault.tinyWrites(3)) },
  { name: "disconnect mid-stream", apply: (r, s) => r.pipe(Fault.disconnectAfter(s ? 3 : 0)) },
  { name: "stall mid-stream", apply: (r, s) => r.pipe(Fault.stallAfter(s ? 3 : 0)) },
  { name: "stall after headers", apply: (r) => r.pipe(Fault.stallAfter(0)) },
  { name: "no end marker", apply: (r) => r.pipe(Fault.dropTerminal) },
  { name: "malformed chunk", apply: (r, s) => r.pipe(Fault.malformedChunk(s ? 2 : 0)) },
  { name: "429", apply: () => OpenAiChatWire.error(429) },
  { name: "429 Retry-After", apply: () => OpenAiChatWire.error(429).pipe(Fault.retryAfter(1)) },
  { name: "500", apply: () => OpenAiChatWire.error(500) },
  { name: "503 Retry-After", apply: () => OpenAiChatWire.error(503, { retryAfter: 1 }) },
  { name: "502 HTML (nginx)", apply: () => Reply.nginxError(502) },
  { name: "524 HTML (Cloudflare)", apply: () => Reply.cloudflareError(524) },
  { name: "plain-text 503", apply: () => Reply.text(503, "upstream connect error or disconnect/reset before headers") },
  { name: "503 after slow headers", apply: (_, __, t) => OpenAiChatWire.error(503).pipe(Fault.latency(t.firstTokenMs * 1.5)) },
  { name: "500 after a slow first byte", apply: (_, __, t) => OpenAiChatWire.error(500).pipe(Fault.firstChunkDelay(t.firstTokenMs * 1.5)) },
  { name: "504 HTML after slow headers", apply: (_, __, t) => Reply.nginxError(504).pipe(Fault.latency(t.firstTokenMs * 1.5)) }
]

/** mulberry32: a small seeded generator, so a seed always draws the same run. */
const generator = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * What request `i` is: streamed or not, its answer's words, and whether the first route fails it.
 * Faulted requests get the faults in turn as they first reach that route (a request may skip it
 * while it cools down after a 429), plain and streamed ones each their own turn so that every fault
 * meets both, and keep theirs for every attempt there: a route that fails a
 * request tends to fail it again when asked again at once.
 */
interface Planned {
  readonly streamed: boolean
  readonly words: ReadonlyArray<string>
  readonly faulted: boolean
}

/** The run's plan: half the requests streamed, `faultRate` of them faulted on the first route. */
export const plan = (options: Options): ReadonlyArray<Planned> => {
  const random = generator(options.seed)
  return Array.from({ length: options.requests }, (_, i) => ({
    streamed: random() < 0.5,
    words: Array.from({ length: 4 + Math.floor(random() * 9) }, (_, w) => `${w === 0 ? "" : " "}r${i}w${w}`),
    faulted: random() < options.faultRate
  }))
}

const promptOf = (i: number) => `chaos #${i}`
const indexOf = (request: MockUpstream.RecordedRequest): number => {
  const messages = (request.json as { messages?: ReadonlyArray<{ content?: unknown }> } | undefined)?.messages ?? []
  const match = /^chaos #(\d+)$/.exec(String(messages[0]?.content ?? ""))
  return match === null ? -1 : Number(match[1])
}

/** The healthy answer to a request: its planned words, as JSON or a stream as it asks. */
const healthy = (planned: ReadonlyArray<Planned>) => (request: MockUpstream.RecordedRequest): Reply.Reply =>
  OpenAiChatWire.answer({ text: planned[indexOf(request)]?.words ?? ["unplanned"], usage: { inputTokens: 10, outputTokens: 8 } })(request)

/** What the client got for one request. */
export interface Outcome {
  readonly index: number
  readonly streamed: boolean
  readonly status: number
  readonly elapsed: number
  readonly requestId: string | null
  /** `x-switchyard-attempts`: `provider/model:role=outcome, ...`. */
  readonly attempts: string
  /** `ok`, or what went wrong as the client sees it. */
  readonly verdict: Verdict
  readonly detail: string
}

export type Verdict = "ok" | "failed" | "error event" | "truncated" | "duplicated" | "garbled" | "no [DONE]"

/** Judges a streamed body against the expected text: complete, in order, once, ending with `[DONE]`. */
export const judgeStream = (body: string, expected: string): { verdict: Verdict; detail: string } => {
  const frames = body.split("\n\n").filter((f) => f !== "")
  let text = ""
  let done = false
  for (const frame of frames) {
    if (done) return { verdict: "garbled", detail: "a frame after [DONE]" }
    if (frame === "data: [DONE]") {
      done = true
      continue
    }
    if (!frame.startsWith("data: ")) return { verdict: "garbled", detail: `not an SSE data frame: ${frame.slice(0, 80)}` }
    let chunk: { error?: { type?: string; message?: string }; choices?: ReadonlyArray<{ delta?: { content?: string | null } }> }
    try {
      chunk = JSON.parse(frame.slice(6))
    } catch {
      return { verdict: "garbled", detail: `unparseable frame: ${frame.slice(0, 80)}` }
    }
    if (chunk.error !== undefined) return { verdict: "error event", detail: `${chunk.error.type}: ${chunk.error.message}` }
    text += chunk.choices?.[0]?.delta?.content ?? ""
  }
  if (text === expected) return done ? { verdict: "ok", detail: "" } : { verdict: "no [DONE]", detail: "" }
  if (expected.startsWith(text)) return { verdict: "truncated", detail: `${text.length}/${expected.length} characters` }
  if (text.length > expected.length && text.includes(expected.slice(0, 8), 1)) return { verdict: "duplicated", detail: text }
  return { verdict: "garbled", detail: text }
}

const judgeWhole = (body: string, expected: string): { verdict: Verdict; detail: string } => {
  try {
    const content = (JSON.parse(body) as { choices: ReadonlyArray<{ message: { content: string } }> }).choices[0]!.message.content
    return content === expected ? { verdict: "ok", detail: "" } : { verdict: "garbled", detail: content }
  } catch {
    return { verdict: "garbled", detail: body.slice(0, 200) }
  }
}

const adminKey = "sk-chaos-admin-0123456789"

const send = (url: string, index: number, planned: Planned, timings: Timings) =>
  Effect.promise(async (): Promise<Outcome> => {
    const started = Date.now()
    const expected = planned.words.join("")
    const base = { index, streamed: planned.streamed }
    try {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ model: "smart", messages: [{ role: "user", content: promptOf(index) }], stream: planned.streamed }),
        // A gateway that never answers is a failure of the run, not a hang of it.
        signal: AbortSignal.timeout(timings.deadlineMs * 3)
      })
      const body = await response.text()
      const elapsed = Date.now() - started
      const judged = response.status !== 200
        ? { verdict: "failed" as const, detail: body.slice(0, 300) }
        : planned.streamed
        ? judgeStream(body, expected)
        : judgeWhole(body, expected)
      return {
        ...base,
        status: response.status,
        elapsed,
        requestId: response.headers.get("x-request-id"),
        attempts: response.headers.get("x-switchyard-attempts") ?? "",
        ...judged
      }
    } catch (cause) {
      return { ...base, status: 0, elapsed: Date.now() - started, requestId: null, attempts: "", verdict: "failed", detail: String(cause) }
    }
  })

/** The ledger's attempts of one request, per provider. */
const ledgerRows = (url: string, requestId: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/requests/${requestId}`, { headers: { authorization: `Bearer ${adminKey}` } })
    if (response.status === 404) return []
    const body = (await response.json()) as { attempts: ReadonlyArray<{ provider: string }> }
    return body.attempts.map((a) => a.provider)
  })

export interface Report {
  readonly requests: number
  readonly streamed: number
  /** Client-visible outcomes: `200 ok`, or a status (0: no answer) and verdict. */
  readonly verdicts: Readonly<Record<string, number>>
  readonly failures: ReadonlyArray<Outcome>
  /** Exchanges each upstream saw, and the ledger rows of each provider. */
  readonly exchanges: { readonly primary: number; readonly backup: number }
  readonly ledger: { readonly primary: number; readonly backup: number }
  /** Requests whose ledger rows differ, per provider, from the exchanges the upstreams saw for them. */
  readonly ledgerMismatches: ReadonlyArray<{ readonly index: number; readonly exchanges: string; readonly ledger: string }>
  readonly maxLatencyMs: number
  readonly overDeadline: ReadonlyArray<Outcome>
  /** Attempts by route and outcome, as the gateway reported them (`primary/big=timeout`). */
  readonly attempts: Readonly<Record<string, number>>
  /** Requests given each fault, by name and `plain` or `streamed` (`hang streamed`). */
  readonly faultedRequests: Readonly<Record<string, number>>
  /** Exchanges given each fault, by name. */
  readonly faultCounts: Readonly<Record<string, number>>
  readonly wallMs: number
}

const count = <A>(items: ReadonlyArray<A>, key: (a: A) => string): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

/**
 * Runs the plan against a fresh gateway and upstreams. `marginMs` is how far past the deadline a
 * request may end (the client's own overhead) before it counts as over.
 */
export const run = (options: Options & { readonly marginMs: number }) =>
  Effect.gen(function*() {
    const planned = plan(options)
    const { timings } = options
    const primary = yield* MockUpstream.make()
    const backup = yield* MockUpstream.make()
    const answer = healthy(planned)
    /** The fault of each faulted request that reached the first route, and the faults given, one per exchange. */
    const given = new Map<number, FaultCase>()
    const turns = { plain: 0, streamed: 0 }
    const injected: Array<string> = []
    yield* primary.setDefault(OpenAiChatWire.route, (request) => {
      const index = indexOf(request)
      const p = planned[index]
      const reply = answer(request)
      if (p?.faulted !== true) return reply
      const fault = given.get(index) ?? faults[turns[p.streamed ? "streamed" : "plain"]++ % faults.length]!
      given.set(index, fault)
      injected.push(fault.name)
      return fault.apply(reply, p.streamed, timings)
    })
    yield* backup.setDefault(OpenAiChatWire.route, answer)
    const config: GatewayConfig.GatewayConfig = {
      providers: {
        primary: { kind: "openai", base_url: `${primary.url}/v1`, api_key: Redacted.make("sk-primary-0123456789") },
        backup: { kind: "openai", base_url: `${backup.url}/v1`, api_key: Redacted.make("sk-backup-0123456789") }
      },
      models: { smart: { routes: [{ provider: "primary", model: "big" }, { provider: "backup", model: "small" }] } },
      keys: [{ id: "chaos", key: Redacted.make(adminKey), admin: true }],
      routing: {
        deadline_ms: timings.deadlineMs,
        first_token_ms: timings.firstTokenMs,
        idle_ms: timings.idleMs,
        retries: { base_ms: timings.retryBaseMs, cap_ms: timings.retryBaseMs * 10 }
      },
      // The gateway's warning per failed attempt would drown what the run reports.
      telemetry: { request_log: false, log_level: "error" }
    }
    const url = yield* serveConfig(config)

    const started = Date.now()
    const outcomes = yield* Effect.forEach(
      planned,
      (p, i) => Effect.andThen(Effect.sleep(Math.max(0, started + (i * 1000) / options.rate - Date.now())), send(url, i, p, timings)),
      { concurrency: "unbounded" }
    )
    const wallMs = Date.now() - started

    // Abandoned attempts settle (and are metered) just after their request ends.
    yield* Effect.sleep("500 millis")
    const exchanges = { primary: yield* primary.exchanges, backup: yield* backup.exchanges }
    const byRequest = new Map<number, Array<string>>()
    for (const [provider, list] of Object.entries(exchanges)) {
      for (const e of list) byRequest.set(indexOf(e.request), [...(byRequest.get(indexOf(e.request)) ?? []), provider])
    }
    const rows = yield* Effect.forEach(
      outcomes,
      (o) => (o.requestId === null ? Effect.succeed([]) : ledgerRows(url, o.requestId)),
      { concurrency: 8 }
    )
    const tally = (providers: ReadonlyArray<string>) =>
      Object.entries(count(providers, (p) => p)).sort().map(([p, n]) => `${p}×${n}`).join(" ")
    const ledgerMismatches = outcomes.flatMap((o, i) => {
      const upstream = tally(byRequest.get(o.index) ?? [])
      const ledger = tally(rows[i]!)
      return upstream === ledger ? [] : [{ index: o.index, exchanges: upstream, ledger }]
    })
    const failures = outcomes.filter((o) => o.verdict !== "ok")
    return {
      requests: outcomes.length,
      streamed: outcomes.filter((o) => o.streamed).length,
      verdicts: count(outcomes, (o) => `${o.status} ${o.verdict}`),
      failures,
      exchanges: { primary: exchanges.primary.length, backup: exchanges.backup.length },
      ledger: {
        primary: rows.flat().filter((p) => p === "primary").length,
        backup: rows.flat().filter((p) => p === "backup").length
      },
      ledgerMismatches,
      maxLatencyMs: Math.max(...outcomes.map((o) => o.elapsed)),
      overDeadline: outcomes.filter((o) => o.elapsed > timings.deadlineMs + options.marginMs),
      attempts: count(
        outcomes.flatMap((o) => (o.attempts === "" ? [] : o.attempts.split(", "))),
        (a) => a.replace(/:[a-z]+=/, "=")
      ),
      faultedRequests: count([...given], ([index, fault]) => `${fault.name} ${planned[index]!.streamed ? "streamed" : "plain"}`),
      faultCounts: count(injected, (name) => name),
      wallMs
    } satisfies Report
  })

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0)

/** The report as a table for a terminal. */
export const table = (report: Report, options: Options): string => {
  const rows: Array<[string, string]> = [
    ["requests (streamed)", `${report.requests} (${report.streamed})`],
    ...Object.entries(report.verdicts).sort().map(([v, n]): [string, string] => [`  ${v}`, String(n)]),
    ["client-visible failures", String(report.failures.length)],
    ["exchanges primary / backup", `${report.exchanges.primary} / ${report.exchanges.backup}`],
    ["ledger rows primary / backup", `${report.ledger.primary} / ${report.ledger.backup}`],
    ["requests whose ledger ≠ exchanges", String(report.ledgerMismatches.length)],
    ["max latency / deadline (ms)", `${report.maxLatencyMs} / ${options.timings.deadlineMs}`],
    ["requests over the deadline", String(report.overDeadline.length)],
    ["wall time (ms)", String(report.wallMs)],
    ["attempts (x-switchyard-attempts)", String(sum(report.attempts))],
    ...Object.entries(report.attempts).sort().map(([a, n]): [string, string] => [`  ${a}`, String(n)]),
    ["faulted requests plain, streamed / exchanges", `${sum(report.faultedRequests)} / ${sum(report.faultCounts)}`],
    ...faults.map((f): [string, string] => [
      `  ${f.name}`,
      `${report.faultedRequests[`${f.name} plain`] ?? 0}, ${report.faultedRequests[`${f.name} streamed`] ?? 0} / ${report.faultCounts[f.name] ?? 0}`
    ])
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")
}
