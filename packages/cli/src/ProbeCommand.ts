/**
 * `switchyard probe`: one prompt and one output contract across the configured models, `--runs`
 * times each, through the same gateway the server runs (templates, repairs and re-asks included).
 * The matrix goes to stdout (a table, or JSON with `--json`), a markdown report to `--markdown FILE`,
 * and the progress bar to stderr, so `--json` output stays clean.
 */
import { Console, Effect, FileSystem } from "effect"
import { Yaml } from "effect/encoding"
import { dirname } from "node:path"
import type { ChatRequest } from "@switchyard/core"
import { GatewayConfig, Probing } from "@switchyard/gateway"
import { Server } from "@switchyard/server"
import { failure } from "./internal/failure.ts"

export interface ProbeOptions {
  readonly configPath: string | undefined
  readonly promptPath: string
  readonly contractPath: string
  /** Models to probe (aliases or `provider/model`); default: every alias of the config. */
  readonly models: ReadonlyArray<string>
  readonly runs: number
  readonly json: boolean
  readonly markdownPath: string | undefined
  readonly env: GatewayConfig.Env
}

class ProbeInputError {
  readonly _tag = "ProbeInputError"
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

const readDocument = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(Effect.mapError((e) => new ProbeInputError(`cannot read ${path}: ${e.message}`)))
    return { text, parsed: yield* Effect.try({ try: () => Yaml.parse(text) as unknown, catch: () => undefined }).pipe(Effect.orElseSucceed(() => undefined)) }
  })

/** A prompt file: `{system?, user}` in YAML or JSON, or plain text as the user message. */
const readPrompt = (path: string) =>
  Effect.map(readDocument(path), ({ parsed, text }): ChatRequest.ChatRequest => {
    const doc = parsed as { system?: unknown; user?: unknown } | undefined
    const user = typeof doc === "object" && doc !== null && typeof doc.user === "string" ? doc.user : text
    const system = typeof doc === "object" && doc !== null && typeof doc.system === "string" ? doc.system : undefined
    return {
      model: "probe",
      messages: [...(system === undefined ? [] : [{ role: "system" as const, content: system }]), { role: "user", content: user }]
    }
  })

/** A contract file: `{name, schema, synonyms?}` in YAML or JSON. */
const readContract = (path: string) =>
  Effect.flatMap(readDocument(path), ({ parsed }) => {
    const doc = parsed as { name?: unknown; schema?: unknown; synonyms?: unknown } | undefined
    if (typeof doc !== "object" || doc === null || typeof doc.schema !== "object" || doc.schema === null) {
      return Effect.fail(new ProbeInputError(`${path}: expected a contract with \`name\` and a JSON Schema under \`schema\``))
    }
    return Effect.succeed(Probing.contract(
      typeof doc.name === "string" ? doc.name : "contract",
      doc.schema as Record<string, unknown>,
      (doc.synonyms ?? {}) as Probing.Synonyms
    ))
  })

const bar = (done: number, total: number) => {
  const width = 30
  const filled = Math.round((done / total) * width)
  return `\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`
}

export const probe = (options: ProbeOptions) =>
  Effect.gen(function*() {
    const config = options.configPath === undefined
      ? GatewayConfig.fromEnv(options.env)
      : yield* GatewayConfig.load(options.configPath, options.env)
    const request = yield* readPrompt(options.promptPath)
    const contract = yield* readContract(options.contractPath)
    const routes = options.models.length > 0 ? options.models : Object.keys(config.models ?? {})
    if (routes.length === 0) return yield* Effect.fail(new ProbeInputError("No models to probe: name them with --models, or define aliases in the config."))
    const rows = yield* Probing.run({
      config,
      request,
      contract,
      routes,
      runs: options.runs,
      onProgress: (done, total) => process.stderr.write(bar(done, total))
    }).pipe(Effect.provide(Server.gatewayLayer({ ledger: { kind: "memory" }, ...config }, {
      baseDir: options.configPath === undefined ? process.cwd() : dirname(options.configPath)
    })))
    if (options.markdownPath !== undefined) {
      const fs = yield* FileSystem.FileSystem
      yield* fs.writeFileString(options.markdownPath, Probing.renderMarkdown(contract.name, rows) + "\n").pipe(
        Effect.mapError((e) => new ProbeInputError(`cannot write ${options.markdownPath}: ${e.message}`))
      )
    }
    yield* Console.log(options.json ? Probing.renderJson(contract.name, rows) : Probing.renderTable(rows))
  }).pipe(
    Effect.catch((error: { readonly message: string }) => failure(error.message))
  )
