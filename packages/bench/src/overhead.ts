/**
 * `npm run bench:overhead [-- --duration S --runs R --warmup S --out FILE --quick --baseline DIR --portkey]`
 *
 * Measures the gateway's overhead against two floors. Every target is its own child process:
 *  - mock upstream  (`mock.ts`, plain node:http, OpenAI-compatible; also benchmarked directly)
 *  - bare Node proxy (`bareNode.ts`, node:http + undici.request, response piped)
 *  - bare Effect proxy (`bareEffect.ts`, HttpRouter + NodeHttpServer + NodeHttpClient.layerUndici)
 *  - the gateway (`node packages/cli/src/bin.ts serve`, default embedded config, OpenAI from env)
 *  - with `--portkey`, Portkey's gateway (`@portkey-ai/gateway`, a bench-only dependency; as `npx`
 *    starts it, and headless in production mode) in the first table, as a comparison: what it fails
 *    to serve is reported as it is, and not measured
 * Scenarios: plain and streamed requests at 1, 16 and 64 connections (a stream in one to four reads),
 * and a stream whose 20 groups of frames come 1 ms apart (20 reads, as real tokens arrive); then the
 * delay each target adds to a chunk (stamped by the mock with the monotonic clock), memory under slow
 * streams and sustained load, the time from start to a first answer, and memory in a container.
 * The load generator (autocannon, driven programmatically) runs in this process. CPU time and RSS are
 * read from /proc/<pid> of each target, so they are the target's alone.
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import type { EventEmitter } from "node:events"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { cpus, tmpdir, totalmem } from "node:os"
import { createRequire } from "node:module"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import autocannon from "autocannon"
import { Agent, request } from "undici"
import * as Container from "./container.ts"
import * as Proc from "./proc.ts"
import * as Wire from "./wire.ts"

// ---------------------------------------------------------------------------------------------- options

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}
const quick = flag("quick")
const opts = {
  quick,
  duration: Number(option("duration") ?? (quick ? 3 : 8)),
  runs: Number(option("runs") ?? (quick ? 1 : 3)),
  warmup: Number(option("warmup") ?? 1),
  slowStreams: Number(option("slow-streams") ?? (quick ? 200 : 1000)),
  trend: !quick && !flag("no-trend"),
  /** Each target again in a memory cgroup of this many MB, as in a small container (`--container 0`: not). */
  containerMb: Number(option("container") ?? 512),
  out: option("out"),
  /** Another checkout's gateway to run beside this one (`--baseline DIR`, labelled `--baseline-label`). */
  baseline: option("baseline"),
  baselineLabel: option("baseline-label") ?? "baseline",
  /** Portkey's gateway beside the others in the throughput table. */
  portkey: flag("portkey")
}
if (![opts.duration, opts.runs, opts.warmup, opts.slowStreams].every((n) => Number.isFinite(n) && n > 0) || !(opts.containerMb >= 0)) {
  console.error("usage: overhead.ts [--duration S] [--runs R] [--warmup S] [--slow-streams N] [--no-trend] [--container MB] [--quick] [--out FILE] [--baseline DIR [--baseline-label L]] [--portkey]")
  process.exit(2)
}

const here = fileURLToPath(new URL(".", import.meta.url))
const repoRoot = resolve(here, "../../..")
const gatewayBin = join(repoRoot, "packages/cli/src/bin.ts")
const baselineDir = opts.baseline === undefined ? undefined : resolve(opts.baseline)
const baselineLabel = opts.baselineLabel

// ---------------------------------------------------------------------------------------------- children

const children = new Set<ChildProcess>()
/** The gateways' working folders (each has its own SQLite ledger), removed at exit. */
const workDirs: Array<string> = []

const killAll = () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL")
      } catch {
        // already gone
      }
    }
  }
  children.clear()
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}
process.on("exit", killAll)
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}

interface Target {
  readonly name: string
  readonly url: string
  readonly pid: number
  /** Floors forward bytes verbatim, so their answers must equal the mock's byte for byte. */
  readonly verbatim: boolean
  readonly stderr: () => string
  /** Headers the target needs on each request besides the JSON content type (Portkey's routing headers). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** The headers of a chat request to `target`. */
const headersFor = (target: Target): Record<string, string> => ({ "content-type": "application/json", ...target.headers })

/** The benchmark's chat request (streamed or plain) to `target`, with the headers it needs. */
const chat = (target: Target, stream: boolean, dispatcher?: Agent) =>
  request(`${target.url}/v1/chat/completions`, {
    method: "POST",
    headers: headersFor(target),
    body: Wire.requestBody(stream),
    ...(dispatcher === undefined ? {} : { dispatcher })
  })

const tail = (child: ChildProcess) => {
  let text = ""
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString("utf8")).slice(-4000)
  }
  child.stderr?.on("data", keep)
  child.stdout?.on("data", keep)
  return () => text
}

const track = (child: ChildProcess) => {
  children.add(child)
  child.on("exit", () => children.delete(child))
  return child
}

/** Forks one of the benchmark's own servers and waits for its `{ type: "ready", port }`. */
const forkServer = (name: string, file: string, env: Record<string, string>, container?: Container.Container): Promise<Target & { child: ChildProcess }> =>
  new Promise((ok, fail) => {
    const options = { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"] as Array<"ignore" | "pipe" | "ipc"> }
    const child = track(
      container === undefined
        ? fork(join(here, file), [], { ...options, execArgv: [] })
        : spawn(...container.wrap(process.execPath, [join(here, file)]), options)
    )
    const stderr = tail(child)
    const timer = setTimeout(() => fail(new Error(`${name} did not start in 20 s: ${stderr()}`)), 20_000)
    child.once("exit", (code) => fail(new Error(`${name} exited (${code}) before it was ready: ${stderr()}`)))
    child.on("message", (message: { type?: string; port?: number }) => {
      if (message.type === "ready") {
        clearTimeout(timer)
        ok({ name, url: `http://127.0.0.1:${message.port}`, pid: child.pid!, verbatim: true, stderr, child })
      }
    })
  })

const freePort = (): Promise<number> =>
  new Promise((ok, fail) => {
    const server = createServer()
    server.unref()
    server.on("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => ok(port))
    })
  })

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms))

/**
 * The gateway as a new user runs it: no config file, OpenAI from the environment, a fresh folder.
 * `bin` and `name` let a second checkout (`--baseline DIR`) run beside the working tree's.
 */
const startGateway = async (
  mockUrl: string,
  bin = gatewayBin,
  name = "gateway",
  nodeArgs: ReadonlyArray<string> = [],
  container?: Container.Container
): Promise<Target> => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-"))
  workDirs.push(dir)
  const port = await freePort()
  const command = [process.execPath, [...nodeArgs, bin, "serve", "--port", String(port)]] as const
  const child = track(spawn(...(container === undefined ? command : container.wrap(...command)), {
    cwd: dir,
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: dir,
      // The workspace packages as sources (the published ones resolve to dist/).
      NODE_OPTIONS: "--conditions=@switchyard/source",
      OPENAI_API_KEY: "sk-bench-0123456789",
      OPENAI_BASE_URL: `${mockUrl}/v1`
    },
    stdio: ["ignore", "pipe", "pipe"]
  }))
  const stderr = tail(child)
  const url = `http://127.0.0.1:${port}`
  await whenReady(name, stderr, exitOf(child), async () => {
    const res = await request(`${url}/healthz`)
    await res.body.text()
    return res.statusCode === 200
  })
  return { name, url, pid: child.pid!, verbatim: false, stderr }
}

/** How `child` ended, once it has. */
const exitOf = (child: ChildProcess) => (): string | undefined => child.exitCode === null ? undefined : `exited (${child.exitCode})`

/**
 * Asks `ready` every `START_POLL_MS` until it says yes (30 s at most); the process ending first
 * (`ended` says how) fails it.
 */
const whenReady = async (name: string, stderr: () => string, ended: () => string | undefined, ready: () => Promise<boolean>) => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const end = ended()
    if (end !== undefined) throw new Error(`${name} ${end}: ${stderr()}`)
    try {
      if (await ready()) return
    } catch {
      // not listening yet
    }
    await sleep(START_POLL_MS)
  }
  throw new Error(`${name} was not ready in 30 s: ${stderr()}`)
}

/**
 * Portkey's open-source gateway (`@portkey-ai/gateway`), sent to the mock with its routing headers
 * (provider `openai`, the mock as custom host): as `npx @portkey-ai/gateway` starts it (its console
 * served beside the API), or with `production` headless and with `NODE_ENV=production` (no console).
 */
const startPortkey = async (mockUrl: string, production: boolean): Promise<Target> => {
  const require = createRequire(import.meta.url)
  const pkg = require.resolve("@portkey-ai/gateway/package.json")
  const { bin, version } = require(pkg) as { bin: string; version: string }
  const name = `Portkey ${version}${production ? " (prod)" : ""}`
  const port = await freePort()
  const child = track(spawn(process.execPath, [join(dirname(pkg), bin), `--port=${port}`, ...(production ? ["--headless"] : [])], {
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...(production ? { NODE_ENV: "production" } : {}) },
    stdio: ["ignore", "pipe", "pipe"]
  }))
  const stderr = tail(child)
  const url = `http://127.0.0.1:${port}`
  await whenReady(name, stderr, exitOf(child), async () => {
    await (await request(`${url}/`)).body.text()
    return true
  })
  return {
    name,
    url,
    pid: child.pid!,
    verbatim: false,
    stderr,
    headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": `${mockUrl}/v1`, authorization: "Bearer sk-bench-0123456789" }
  }
}

/** Whether a process still runs. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const setMockDelay = (mock: ChildProcess, ms: number, stamped = false): Promise<void> =>
  new Promise((ok) => {
    const onMessage = (message: { type?: string }) => {
      if (message.type === "delay-set") {
        mock.off("message", onMessage)
        ok()
      }
    }
    mock.on("message", onMessage)
    mock.send({ type: "delay", ms, stamped })
  })

// ---------------------------------------------------------------------------------------------- checks

const failures: Array<string> = []
const fail = (message: string) => {
  failures.push(message)
  console.error(`FAIL: ${message}`)
}

const expected = { json: Wire.completionJson(), stream: Wire.streamBytes(true) }

/** One answer through `target` is right: byte-identical to the mock's for the floors, intact for the gateway. */
const checkAnswer = (target: Target, stream: boolean, status: number, body: string): string | undefined => {
  if (status !== 200) return `status ${status}: ${body.slice(0, 200)}`
  if (target.verbatim) {
    const want = stream ? expected.stream : expected.json
    return body === want ? undefined : `bytes differ from the mock's (${body.length} vs ${want.length} bytes)`
  }
  const check = stream ? Wire.checkStream(body) : Wire.checkJson(body)
  return check.ok ? undefined : check.detail
}

/** What is wrong with `target`'s plain (`false`) and streamed (`true`) answers, if anything. */
const problemsOf = async (target: Target): Promise<Map<boolean, string>> => {
  const found = new Map<boolean, string>()
  for (const stream of [false, true]) {
    try {
      const res = await chat(target, stream)
      const problem = checkAnswer(target, stream, res.statusCode, await res.body.text())
      if (problem !== undefined) found.set(stream, `answer: ${problem}`)
    } catch (error) {
      found.set(stream, `request failed: ${String(error)}`)
    }
  }
  return found
}

/** Fails the benchmark on each problem of `target`'s answers. */
const verify = async (target: Target) => {
  for (const [stream, problem] of await problemsOf(target)) fail(`${target.name} ${stream ? "stream" : "plain"} ${problem}`)
}

// ---------------------------------------------------------------------------------------------- load

interface Sample {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly cpuPerReq: number
  readonly rss: number
  readonly requests: number
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

interface Load {
  readonly connections: number
  readonly stream: boolean
  readonly duration?: number
  readonly amount?: number
}

/** Runs autocannon; latencies are taken from its per-response event (autocannon's own histogram keeps whole ms). */
const cannon = (target: Target, load: Load) =>
  new Promise<{ result: autocannon.Result; latencies: Float64Array }>((ok, no) => {
    const latencies: Array<number> = []
    const instance = autocannon({
      url: `${target.url}/v1/chat/completions`,
      method: "POST",
      headers: headersFor(target),
      body: Wire.requestBody(load.stream),
      connections: load.connections,
      pipelining: 1,
      timeout: 30,
      ...(load.amount !== undefined ? { amount: load.amount } : { duration: load.duration ?? 1 })
    }, (error, result) => (error ? no(error) : ok({ result, latencies: Float64Array.from(latencies).sort() })))
    ;(instance as unknown as EventEmitter).on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === 200) latencies.push(ms)
    })
  })

const problems = (target: Target, label: string, result: autocannon.Result) => {
  if (result.errors + result.timeouts + result.non2xx > 0) {
    fail(`${target.name} ${label}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx of ${result.requests.total}`)
  }
}

const measure = async (target: Target, scenario: Scenario): Promise<Sample> => {
  await cannon(target, { connections: scenario.connections, stream: scenario.stream, duration: opts.warmup })
  const cpuBefore = Proc.cpuMicros(target.pid)
  const started = performance.now()
  const { result, latencies } = await cannon(target, { connections: scenario.connections, stream: scenario.stream, duration: opts.duration })
  const seconds = (performance.now() - started) / 1000
  const cpu = Proc.cpuMicros(target.pid) - cpuBefore
  problems(target, scenario.label, result)
  const requests = latencies.length
  return {
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerReq: requests > 0 ? cpu / requests : Number.NaN,
    rss: Proc.rssMb(target.pid),
    requests
  }
}

// ---------------------------------------------------------------------------------------------- slow streams

interface SlowResult {
  readonly peakMb: number
  readonly baselineMb: number
  readonly completed: number
  readonly seconds: number
  readonly firstProblem: string | undefined
}

/**
 * One stream its client leaves after the first chunk (the mock writing slowly): a gateway then
 * estimates the usage its provider never reported, loading its tokenizer, as any deployment soon
 * does. The memory figures are taken after it, so they include what that costs.
 */
const cutStream = async (target: Target) => {
  const res = await chat(target, true)
  for await (const _ of res.body) break
  await sleep(500)
}

const slowStreams = async (target: Target, count: number): Promise<SlowResult> => {
  const dispatcher = new Agent({ connections: null, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000, keepAliveTimeout: 1_000 })
  const baselineMb = Proc.rssMb(target.pid)
  const hwmReset = Proc.resetPeak(target.pid)
  let sampled = baselineMb
  const sampler = setInterval(() => {
    // A target out of memory is gone: its streams fail and say so.
    if (isAlive(target.pid)) sampled = Math.max(sampled, Proc.rssMb(target.pid))
  }, 50)
  const started = performance.now()
  let firstProblem: string | undefined
  const outcomes = await Promise.all(Array.from({ length: count }, async () => {
    try {
      const res = await chat(target, true, dispatcher)
      const problem = checkAnswer(target, true, res.statusCode, await res.body.text())
      if (problem !== undefined) firstProblem ??= problem
      return problem === undefined
    } catch (error) {
      firstProblem ??= String(error)
      return false
    }
  }))
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  if (isAlive(target.pid)) sampled = Math.max(sampled, Proc.rssMb(target.pid))
  await dispatcher.close()
  return {
    peakMb: hwmReset ? Math.max(sampled, Proc.peakRssMb(target.pid)) : sampled,
    baselineMb,
    completed: outcomes.filter(Boolean).length,
    seconds,
    firstProblem
  }
}

// ---------------------------------------------------------------------------------------------- chunk delays

/** Streams at once, their chunks' gap and rounds per target and run, in the chunk-delay figure. */
const CHUNK_STREAMS = 16
const CHUNK_GAP_MS = 20
const CHUNK_ROUNDS = 4

interface ChunkDelays {
  /** Every content chunk's time from the mock's write to this process's read, in ms. */
  readonly all: Float64Array
  /** The same for each stream's first content chunk. */
  readonly first: Float64Array
  readonly problem: string | undefined
}

/**
 * After a round to warm up, `CHUNK_ROUNDS` rounds of `CHUNK_STREAMS` concurrent streams through
 * `target`, started `CHUNK_GAP_MS / CHUNK_STREAMS` apart so that chunks arrive spread out as from
 * independent clients, the mock writing a content chunk to each every `CHUNK_GAP_MS`, stamped with
 * the monotonic clock: a chunk's delay is the clock when it is read here minus its stamp. A stream
 * whose 20 stamps do not arrive once each, in order, is a problem.
 */
const chunkDelays = async (target: Target): Promise<ChunkDelays> => {
  const all: Array<number> = []
  const first: Array<number> = []
  let problem: string | undefined
  const stream = async (keep: boolean) => {
    try {
      const res = await chat(target, true)
      const read = Wire.stampReader()
      let due = 0
      for await (const bytes of res.body) {
        const now = process.hrtime.bigint()
        for (const { index, ns } of read((bytes as Buffer).toString("utf8"))) {
          if (index !== due) problem ??= `${target.name}: chunk ${index} arrived where ${due} was due`
          due = index + 1
          const ms = Number(now - ns) / 1e6
          if (keep) all.push(ms)
          if (keep && index === 0) first.push(ms)
        }
      }
      if (res.statusCode !== 200 || due !== Wire.CONTENT_CHUNKS) {
        problem ??= `${target.name}: status ${res.statusCode}, ${due}/${Wire.CONTENT_CHUNKS} stamped chunks`
      }
    } catch (error) {
      problem ??= `${target.name}: ${String(error)}`
    }
  }
  for (let round = 0; round <= CHUNK_ROUNDS; round++) {
    await Promise.all(Array.from({ length: CHUNK_STREAMS }, async (_, i) => {
      await sleep((i * CHUNK_GAP_MS) / CHUNK_STREAMS)
      await stream(round > 0)
    }))
  }
  return { all: Float64Array.from(all).sort(), first: Float64Array.from(first).sort(), problem }
}

// ---------------------------------------------------------------------------------------------- start

/** Answers of a fresh process's first plain request are awaited this often, in ms. */
const START_POLL_MS = 10

/**
 * The time from starting a target's process to its first correct plain answer (polled every
 * `START_POLL_MS`), and its RSS then.
 */
const firstAnswer = async (start: () => Promise<Target>): Promise<{ readonly ms: number; readonly rssMb: number; readonly target: Target }> => {
  const started = performance.now()
  const target = await start()
  await whenReady(target.name, target.stderr, () => (isAlive(target.pid) ? undefined : "exited"), async () => {
    const res = await chat(target, false)
    return checkAnswer(target, false, res.statusCode, await res.body.text()) === undefined
  })
  return { ms: performance.now() - started, rssMb: Proc.rssMb(target.pid), target }
}

// ---------------------------------------------------------------------------------------------- report

interface Scenario {
  readonly label: string
  readonly stream: boolean
  readonly connections: number
  /** The mock's delay between groups of frames: 1 ms makes a stream arrive in 20 reads, as real tokens do. */
  readonly delayMs: number
}

const scenarios: ReadonlyArray<Scenario> = [
  ...[false, true].flatMap((stream) =>
    [1, 16, 64].map((connections) => ({ label: `${stream ? "stream" : "plain"} c=${connections}`, stream, connections, delayMs: 0 }))
  ),
  { label: "reads c=16", stream: true, connections: 16, delayMs: 1 }
]

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const fmt = (n: number, digits: number) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a"

const cell = (xs: ReadonlyArray<number>, digits: number) =>
  xs.length <= 1 ? fmt(xs[0] ?? Number.NaN, digits) : `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, align: ReadonlyArray<"l" | "r">) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (align[i] === "r" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

const output: Array<string> = []
const say = (text = "") => {
  output.push(text)
  console.log(text)
}

// ---------------------------------------------------------------------------------------------- containers

/** Stops a target and waits until its process is gone. */
const stop = async (target: Target) => {
  try {
    process.kill(target.pid, "SIGKILL")
  } catch {
    // already gone
  }
  while (isAlive(target.pid)) await sleep(50)
}

/** How to start each floor and gateway afresh, in a container when given one, in table order. */
const starters = (mockUrl: string): ReadonlyArray<readonly [string, (container?: Container.Container) => Promise<Target>]> => {
  const gateways: Array<readonly [string, string]> = [
    ...(baselineDir === undefined ? [] : [[`gateway (${baselineLabel})`, join(baselineDir, "packages/cli/src/bin.ts")] as const]),
    ["gateway", gatewayBin]
  ]
  return [
    ["bare Node proxy", (c) => forkServer("bare Node proxy", "bareNode.ts", { UPSTREAM_URL: mockUrl }, c)],
    ["bare Effect proxy", (c) => forkServer("bare Effect proxy", "bareEffect.ts", { UPSTREAM_URL: mockUrl }, c)],
    ...gateways.map(([name, bin]) => [name, (c?: Container.Container) => startGateway(mockUrl, bin, name, [], c)] as const)
  ]
}

/**
 * (c) Each floor and gateway again, one at a time, in a memory cgroup of `--container` MB (Node sizes
 * its heap to it, as in a container): idle RSS, one stream cut by its client (`cutStream`), the slow
 * streams, then 2 × 20,000 plain requests.
 */
const inContainers = async (mock: Target & { child: ChildProcess }) => {
  const mb = opts.containerMb
  const starts = starters(mock.url)
  say(`## Memory (c): each target in a ${mb} MB container (a memory cgroup of its own)`)
  say()
  const rows: Array<Array<string>> = []
  for (const [name, start] of starts) {
    const container = Container.make(`${rows.length}`, mb)
    if (typeof container === "string") {
      say(`Skipped: ${container}.`)
      say()
      return
    }
    let target: Target | undefined
    try {
      target = await start(container)
      await sleep(1000)
      const idle = Proc.rssMb(target.pid)
      await setMockDelay(mock.child, 250)
      await cutStream(target)
      const slow = await slowStreams(target, opts.slowStreams)
      await setMockDelay(mock.child, 0)
      const ok = slow.completed === opts.slowStreams
      if (!ok) fail(`${name} in a ${mb} MB container: ${slow.completed}/${opts.slowStreams} slow streams complete (${slow.firstProblem ?? "?"})`)
      const steady: Array<string> = []
      for (let i = 1; i <= 2; i++) {
        if (isAlive(target.pid)) {
          const { result } = await cannon(target, { connections: 64, stream: false, amount: 20_000 })
          problems(target, `${mb} MB container, plain batch ${i}`, result)
        }
        steady.push(isAlive(target.pid) ? fmt(Proc.rssMb(target.pid), 0) : "died")
      }
      const alive = isAlive(target.pid)
      rows.push([name, fmt(idle, 0), fmt(slow.peakMb, 0), `${slow.completed}/${opts.slowStreams}${ok ? " ok" : " FAILED"}`, ...steady, alive ? "yes" : "no"])
    } catch (error) {
      fail(`${name} in a ${mb} MB container: ${error instanceof Error ? error.message : String(error)}`)
      rows.push([name, "–", "–", "did not run", "–", "–", "no"])
    } finally {
      if (target !== undefined) await stop(target)
      container.remove()
    }
  }
  say(table(
    ["target", "idle RSS MB", `${opts.slowStreams} slow streams: peak RSS MB`, "complete & correct", "RSS after 20,000 plain", "after 40,000", "alive after"],
    rows,
    ["l", "r", "r", "l", "r", "r", "l"]
  ))
  say()
}

// ---------------------------------------------------------------------------------------------- main

const startTargets = async () => {
  const mock = await forkServer("mock upstream", "mock.ts", {})
  const bareNode = await forkServer("bare Node proxy", "bareNode.ts", { UPSTREAM_URL: mock.url })
  const bareEffect = await forkServer("bare Effect proxy", "bareEffect.ts", { UPSTREAM_URL: mock.url })
  const gateway = await startGateway(mock.url)
  const before = baselineDir === undefined
    ? []
    : [await startGateway(mock.url, join(baselineDir, "packages/cli/src/bin.ts"), `gateway (${baselineLabel})`)]
  const targets: ReadonlyArray<Target> = [mock, bareNode, bareEffect, ...before, gateway]
  return { mock, bareNode, bareEffect, gateway, targets }
}

/** Another gateway in the throughput table, and what it failed to serve (those scenarios are not run). */
interface Comparison {
  readonly target: Target
  readonly fails: ReadonlyMap<boolean, string>
}

const startComparisons = async (mockUrl: string): Promise<ReadonlyArray<Comparison>> => {
  if (!opts.portkey) return []
  const comparisons: Array<Comparison> = []
  for (const production of [false, true]) {
    const target = await startPortkey(mockUrl, production)
    const fails = await problemsOf(target)
    for (const [stream, problem] of fails) console.error(`${target.name} ${stream ? "stream" : "plain"}: ${problem} (reported, not measured)`)
    comparisons.push({ target, fails })
  }
  return comparisons
}

const main = async () => {
  const cpu = cpus()
  say("# Switchyard gateway overhead")
  say()
  say(`- machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, node ${process.version}, ${process.platform}/${process.arch}`)
  say(`- settings: ${opts.runs} run(s) interleaved × ${opts.duration} s per scenario after ${opts.warmup} s warm-up; load generator autocannon in the parent process (shares the 2 cores with the targets)`)
  say(`- cells: median (min–max over runs); CPU is the target process's user+sys time from /proc (${Proc.clockResolutionMs} ms ticks) / requests completed in the window; RSS is VmRSS at the end of the window`)
  say()

  const { mock, bareNode, bareEffect, targets } = await startTargets()

  for (const target of targets) await verify(target)
  if (failures.length > 0) throw new Error("a target does not serve correctly; not benchmarking")
  const comparisons = await startComparisons(mock.url)
  /** Who runs a scenario: every target, and each comparison that serves its kind of request. */
  const measured = (scenario: Scenario) => [...targets, ...comparisons.filter((c) => !c.fails.has(scenario.stream)).map((c) => c.target)]

  const samples = new Map<string, Array<Sample>>()
  const key = (t: Target, s: Scenario) => `${t.name}|${s.label}`
  for (let run = 1; run <= opts.runs; run++) {
    for (const scenario of scenarios) {
      await setMockDelay(mock.child, scenario.delayMs)
      for (const target of measured(scenario)) {
        const sample = await measure(target, scenario)
        samples.set(key(target, scenario), [...(samples.get(key(target, scenario)) ?? []), sample])
        console.error(
          `[run ${run}/${opts.runs}] ${target.name.padEnd(17)} ${scenario.label.padEnd(12)} ${fmt(sample.rps, 0).padStart(7)} req/s  p50 ${fmt(sample.p50, 2)} ms  p99 ${fmt(sample.p99, 2)} ms  ${fmt(sample.cpuPerReq, 0)} µs/req  ${fmt(sample.rss, 0)} MB`
        )
      }
    }
    for (const target of targets) await verify(target)
  }

  const rows = scenarios.flatMap((scenario) => [
    ...measured(scenario).map((target) => {
      const s = samples.get(key(target, scenario)) ?? []
      const cpuMedian = (t: Target) => median((samples.get(key(t, scenario)) ?? []).map((x) => x.cpuPerReq))
      const own = median(s.map((x) => x.cpuPerReq))
      return [
        target.name,
        scenario.label,
        cell(s.map((x) => x.rps), 0),
        cell(s.map((x) => x.p50), 2),
        cell(s.map((x) => x.p99), 2),
        cell(s.map((x) => x.cpuPerReq), 0),
        fmt(s[s.length - 1]?.rss ?? Number.NaN, 0),
        `${fmt(own / cpuMedian(bareNode), 2)}×`,
        `${fmt(own / cpuMedian(bareEffect), 2)}×`
      ]
    }),
    ...comparisons.filter((c) => c.fails.has(scenario.stream)).map((c) => [c.target.name, scenario.label, "fails", "–", "–", "–", "–", "–", "–"])
  ])
  say("## Throughput, latency and CPU per request")
  say()
  say(table(
    ["target", "scenario", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "RSS MB", "CPU vs Node", "CPU vs Effect"],
    rows,
    ["l", "l", "r", "r", "r", "r", "r", "r", "r"]
  ))
  say()
  for (const { fails, target } of comparisons) {
    for (const [stream, problem] of fails) say(`- ${target.name}, ${stream ? "streamed" : "plain"} requests (not measured): ${problem}`)
  }
  if (comparisons.some((c) => c.fails.size > 0)) say()
  for (const { target } of comparisons) await stop(target)

  // Delay per chunk: stamped chunks 20 ms apart, through every target, interleaved over the runs.
  await setMockDelay(mock.child, CHUNK_GAP_MS, true)
  const delays = new Map<string, Array<ChunkDelays>>()
  for (let run = 1; run <= opts.runs; run++) {
    for (const target of targets) {
      const d = await chunkDelays(target)
      if (d.problem !== undefined) fail(`chunk delays: ${d.problem}`)
      delays.set(target.name, [...(delays.get(target.name) ?? []), d])
      console.error(`[run ${run}/${opts.runs}] ${target.name.padEnd(17)} chunk delay p50 ${fmt(percentile(d.all, 50), 2)} ms  p99 ${fmt(percentile(d.all, 99), 2)} ms  first p99 ${fmt(percentile(d.first, 99), 2)} ms`)
    }
  }
  await setMockDelay(mock.child, 0)
  const delayOf = (name: string, which: "all" | "first", p: number) => (delays.get(name) ?? []).map((d) => percentile(d[which], p))
  const added = (name: string, which: "all" | "first", p: number, floor: string) =>
    fmt(median(delayOf(name, which, p)) - median(delayOf(floor, which, p)), 2)
  say(`## Delay per chunk: ${CHUNK_ROUNDS} × ${CHUNK_STREAMS} concurrent streams, a content chunk every ${CHUNK_GAP_MS} ms`)
  say()
  say(`Each chunk's time from the mock's write (its stamp, the machine's monotonic clock) to the client's read, streams started ${fmt(CHUNK_GAP_MS / CHUNK_STREAMS, 2)} ms apart, after a round to warm up; added = the target's percentile minus the mock's own (read directly) or the bare Node proxy's.`)
  say()
  say(table(
    ["target", "every chunk p50 ms", "p99 ms", "first chunk p50 ms", "p99 ms", "added vs mock p50 / p99", "added vs bare Node p50 / p99", "first chunk added vs mock p99"],
    targets.map((target) => [
      target.name,
      cell(delayOf(target.name, "all", 50), 2),
      cell(delayOf(target.name, "all", 99), 2),
      cell(delayOf(target.name, "first", 50), 2),
      cell(delayOf(target.name, "first", 99), 2),
      `${added(target.name, "all", 50, mock.name)} / ${added(target.name, "all", 99, mock.name)}`,
      `${added(target.name, "all", 50, bareNode.name)} / ${added(target.name, "all", 99, bareNode.name)}`,
      added(target.name, "first", 99, mock.name)
    ]),
    ["l", "r", "r", "r", "r", "r", "r", "r"]
  ))
  say()

  // (a) slow streams, on fresh processes so the peak is not hidden by heap grown under the load above
  killAll()
  const fresh = await startTargets()
  for (const target of fresh.targets) await verify(target)
  await sleep(1000)
  await setMockDelay(fresh.mock.child, 250)
  const slowRows: Array<Array<string>> = []
  for (const target of fresh.targets) {
    await cutStream(target)
    const r = await slowStreams(target, opts.slowStreams)
    const ok = r.completed === opts.slowStreams
    if (!ok) fail(`${target.name} slow streams: ${r.completed}/${opts.slowStreams} complete and byte-correct (${r.firstProblem ?? "?"})`)
    slowRows.push([target.name, fmt(r.baselineMb, 0), fmt(r.peakMb, 0), fmt(r.peakMb - r.baselineMb, 0), `${r.completed}/${opts.slowStreams}${ok ? " ok" : " FAILED"}`, fmt(r.seconds, 1)])
  }
  say(`## Memory (a): ${opts.slowStreams} concurrent slow streams (${Wire.CONTENT_CHUNKS} chunks, 250 ms apart)`)
  say()
  say("Fresh processes (restarted after the table above), each after one stream its client left after the first chunk (a gateway has then estimated a cut stream's usage, as any deployment soon does); RSS before = the process's RSS then.")
  say()
  say(table(["target", "RSS before MB", "peak RSS MB", "peak − before MB", "complete & correct", "wall s"], slowRows, ["l", "r", "r", "r", "l", "r"]))
  say()
  say("Correct = status 200 and, for the floors and the mock, bytes identical to the mock's stream; for the gateway, all 20 content chunks in order with the exact text and `data: [DONE]` last.")
  say()

  // (a') the same streams, the gateways' heap capped: do they still serve them all?
  const capped = ["--max-old-space-size=128"]
  const cappedGateways = [
    ...(baselineDir === undefined ? [] : [await startGateway(fresh.mock.url, join(baselineDir, "packages/cli/src/bin.ts"), `gateway (${baselineLabel})`, capped)]),
    await startGateway(fresh.mock.url, gatewayBin, "gateway", capped)
  ]
  const cappedRows: Array<Array<string>> = []
  for (const target of cappedGateways) {
    await cutStream(target)
    const r = await slowStreams(target, opts.slowStreams)
    const alive = isAlive(target.pid)
    cappedRows.push([target.name, fmt(r.baselineMb, 0), fmt(r.peakMb, 0), `${r.completed}/${opts.slowStreams}${r.completed === opts.slowStreams ? " ok" : ""}`, alive ? "yes" : "no (out of heap)"])
  }
  say(`## Memory (a'): the same ${opts.slowStreams} slow streams, gateway under \`--max-old-space-size=128\``)
  say()
  say(table(["target", "RSS before MB", "peak RSS MB", "complete & correct", "alive after"], cappedRows, ["l", "r", "r", "l", "l"]))
  say()
  await setMockDelay(fresh.mock.child, 0)

  // (b) gateway RSS trend
  if (opts.trend) {
    const points: Array<string> = [`start ${fmt(Proc.rssMb(fresh.gateway.pid), 0)} MB (after the slow streams)`]
    for (let i = 1; i <= 5; i++) {
      const { result } = await cannon(fresh.gateway, { connections: 64, stream: false, amount: 20_000 })
      problems(fresh.gateway, `trend batch ${i}`, result)
      points.push(`${(i * 20_000).toLocaleString("en-US")}: ${fmt(Proc.rssMb(fresh.gateway.pid), 0)} MB`)
    }
    say("## Memory (b): gateway RSS over 100,000 plain requests (64 connections), sampled every 20,000")
    say()
    say(points.join(" · "))
    say()
  }

  await verify(fresh.gateway)

  // Start to first answer: each floor and gateway started afresh, once per run.
  const restarts = starters(fresh.mock.url)
  const startRows: Array<Array<string>> = []
  const starts = new Map<string, Array<{ ms: number; rssMb: number }>>()
  for (let run = 1; run <= opts.runs; run++) {
    for (const [name, start] of restarts) {
      const first = await firstAnswer(start)
      await stop(first.target)
      starts.set(name, [...(starts.get(name) ?? []), first])
    }
  }
  for (const [name] of restarts) {
    const xs = starts.get(name) ?? []
    startRows.push([name, cell(xs.map((x) => x.ms), 0), cell(xs.map((x) => x.rssMb), 0)])
  }
  say(`## Start to first answer (a fresh process, ${opts.runs} time(s))`)
  say()
  say(`From starting the process to its first correct plain answer (asked every ${START_POLL_MS} ms once it listens), and its RSS then.`)
  say()
  say(table(["target", "start to first answer ms", "RSS then MB"], startRows, ["l", "r", "r"]))
  say()

  if (opts.containerMb > 0) await inContainers(fresh.mock)
  if (failures.length > 0) {
    say("## Failures")
    say()
    for (const f of failures) say(`- ${f}`)
    say()
  }
}

const finish = (code: number) => {
  if (opts.out !== undefined) writeFileSync(opts.out, output.join("\n") + "\n")
  killAll()
  process.exit(code)
}

main().then(
  () => finish(failures.length > 0 ? 1 : 0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    for (const f of failures) say(`- FAIL: ${f}`)
    finish(1)
  }
)
