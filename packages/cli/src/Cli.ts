/**
 * The `switchyard` command line, as a testable function of argv. `main.ts` runs it on Node (after
 * `bin.ts` has checked the Node version).
 */
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Costs from "./Costs.ts"
import * as ImportCommand from "./ImportCommand.ts"
import * as KeysCommand from "./KeysCommand.ts"
import * as ProbeCommand from "./ProbeCommand.ts"
import * as Serve from "./Serve.ts"

const configFlag = Flag.String("config").pipe(
  Flag.withAlias("c"),
  Flag.withDescription("Config file (YAML or JSON). Without it, the environment's defaults apply."),
  Flag.optional
)

const serve = Command.make(
  "serve",
  {
    config: configFlag,
    port: Flag.Int("port").pipe(Flag.withDescription(`Port to listen on (default: PORT or ${Serve.DEFAULT_PORT})`), Flag.optional),
    host: Flag.String("host").pipe(Flag.withDescription(`Address to bind (default: ${Serve.DEFAULT_HOST})`), Flag.optional)
  },
  (flags) =>
    Serve.serve({
      configPath: Option.getOrUndefined(flags.config),
      port: Option.getOrUndefined(flags.port),
      host: Option.getOrUndefined(flags.host),
      env: process.env
    })
).pipe(Command.withDescription("Run the gateway's HTTP server"))

const costs = Command.make(
  "costs",
  {
    config: configFlag,
    since: Flag.String("since").pipe(Flag.withDescription("How far back: 90m, 24h, 7d"), Flag.withDefault("24h")),
    by: Flag.String("by").pipe(
      Flag.withDescription("Group by a comma-separated list of provider, model, key, alias"),
      Flag.withDefault("")
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of a table"), Flag.withDefault(false))
  },
  (flags) =>
    Costs.costs({
      configPath: Option.getOrUndefined(flags.config),
      since: flags.since,
      by: flags.by.split(",").map((s) => s.trim()).filter((s) => s !== ""),
      json: flags.json,
      env: process.env
    })
).pipe(Command.withDescription("Spend and usage from the cost ledger"))

const probe = Command.make(
  "probe",
  {
    config: configFlag,
    prompt: Flag.String("prompt").pipe(Flag.withDescription("Prompt file: {system?, user} in YAML/JSON, or plain text")),
    contract: Flag.String("contract").pipe(Flag.withDescription("Contract file: {name, schema, synonyms?} in YAML/JSON")),
    models: Flag.String("models").pipe(Flag.withDescription("Comma-separated models (aliases or provider/model); default: every alias"), Flag.withDefault("")),
    runs: Flag.Int("runs").pipe(Flag.withDescription("Runs per model"), Flag.withDefault(5)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the matrix as JSON"), Flag.withDefault(false)),
    markdown: Flag.String("markdown").pipe(Flag.withDescription("Also write a markdown report to this file"), Flag.optional)
  },
  (flags) =>
    ProbeCommand.probe({
      configPath: Option.getOrUndefined(flags.config),
      promptPath: flags.prompt,
      contractPath: flags.contract,
      models: flags.models.split(",").map((s) => s.trim()).filter((s) => s !== ""),
      runs: flags.runs,
      json: flags.json,
      markdownPath: Option.getOrUndefined(flags.markdown),
      env: process.env
    })
).pipe(Command.withDescription("Run one prompt and output contract across models and report how portable it is"))

const importConfig = Command.make(
  "import",
  {
    file: Argument.String("file").pipe(Argument.withDescription("A LiteLLM proxy config.yaml or a Portkey config (JSON)")),
    from: Flag.Literals("from", ["litellm", "portkey"]).pipe(
      Flag.withDescription("The source's format (default: detected from its keys)"),
      Flag.optional
    ),
    out: Flag.String("out").pipe(Flag.withDescription("Where to write the Switchyard config; - prints it"), Flag.withDefault("switchyard.yaml")),
    alias: Flag.String("alias").pipe(Flag.withDescription("The alias a Portkey config becomes (default: default)"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the config, variables and report as JSON"), Flag.withDefault(false))
  },
  (flags) =>
    ImportCommand.run({
      file: flags.file,
      from: Option.getOrUndefined(flags.from),
      out: flags.out,
      alias: Option.getOrUndefined(flags.alias),
      json: flags.json
    })
).pipe(Command.withDescription("Convert a LiteLLM or Portkey config into a Switchyard config, with a report of what maps"))

const limitFlags = {
  rpm: Flag.Int("rpm").pipe(Flag.withDescription("Requests per minute (0 removes the limit)"), Flag.optional),
  tpm: Flag.Int("tpm").pipe(Flag.withDescription("Tokens per minute, input + output (0 removes the limit)"), Flag.optional),
  budgetUsd: Flag.Finite("budget-usd").pipe(Flag.withDescription("A spend limit in USD (0 removes it)"), Flag.optional),
  budgetWindow: Flag.String("budget-window").pipe(Flag.withDescription("The budget's window: daily (default), monthly or <n>s"), Flag.optional)
}

const limitsOf = (flags: { rpm: Option.Option<number>; tpm: Option.Option<number>; budgetUsd: Option.Option<number>; budgetWindow: Option.Option<string> }) => ({
  rpm: Option.getOrUndefined(flags.rpm),
  tpm: Option.getOrUndefined(flags.tpm),
  budgetUsd: Option.getOrUndefined(flags.budgetUsd),
  budgetWindow: Option.getOrUndefined(flags.budgetWindow)
})

const keyId = Argument.String("id").pipe(Argument.withDescription("The key's id (vk_...)"))

const keys = Command.make("keys").pipe(
  Command.withDescription("Virtual keys in the ledger's database: create, list, set limits, revoke"),
  Command.withSubcommands([
    Command.make(
      "create",
      {
        config: configFlag,
        name: Flag.String("name").pipe(Flag.withDescription("A name to recognize the key by"), Flag.optional),
        admin: Flag.Boolean("admin").pipe(Flag.withDescription("May call the admin routes"), Flag.withDefault(false)),
        ...limitFlags
      },
      (flags) =>
        KeysCommand.create({
          configPath: Option.getOrUndefined(flags.config),
          env: process.env,
          name: Option.getOrUndefined(flags.name),
          admin: flags.admin,
          ...limitsOf(flags)
        })
    ).pipe(Command.withDescription("Create a key; its secret is printed once")),
    Command.make(
      "list",
      { config: configFlag, json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON"), Flag.withDefault(false)) },
      (flags) => KeysCommand.list({ configPath: Option.getOrUndefined(flags.config), env: process.env, json: flags.json })
    ).pipe(Command.withDescription("List keys (never their secrets)")),
    Command.make(
      "set",
      {
        config: configFlag,
        id: keyId,
        name: Flag.String("name").pipe(Flag.withDescription("A new name"), Flag.optional),
        admin: Flag.Literals("admin", ["true", "false"]).pipe(Flag.withDescription("Grant or withdraw admin"), Flag.optional),
        ...limitFlags
      },
      (flags) =>
        KeysCommand.set({
          configPath: Option.getOrUndefined(flags.config),
          env: process.env,
          id: flags.id,
          name: Option.getOrUndefined(flags.name),
          admin: Option.getOrUndefined(Option.map(flags.admin, (a) => a === "true")),
          ...limitsOf(flags)
        })
    ).pipe(Command.withDescription("Change a key's limits, name or admin flag")),
    Command.make(
      "revoke",
      { config: configFlag, id: keyId },
      (flags) => KeysCommand.revoke({ configPath: Option.getOrUndefined(flags.config), env: process.env, id: flags.id })
    ).pipe(Command.withDescription("Revoke a key"))
  ])
)

export const command = Command.make("switchyard").pipe(
  Command.withDescription("Switchyard: one OpenAI-compatible endpoint in front of every LLM provider"),
  Command.withSubcommands([serve, costs, probe, importConfig, keys])
)

/** Runs the CLI on `argv` without the node and script entries. */
export const run = (args: ReadonlyArray<string>) => Command.runWith(command, { version: "0.1.0" })(args)

export const main = Effect.suspend(() => run(process.argv.slice(2)))
