/**
 * The packages as a user gets them: build, `npm pack` every published package, install the tarballs
 * into a scratch project outside the repository (its own package.json, no workspace links, the
 * registry for everything else), then there
 *
 * 1. run an Effect program that imports `@switchyard/server`, `@switchyard/gateway` and
 *    `@switchyard/testing`, builds the layers and gets an answer from the demo provider and from a
 *    mock upstream;
 * 2. run the installed `switchyard serve`, get an answer with the official `openai` client, and get
 *    the dashboard's page and files;
 * 3. where the machine has an older Node.js (`/usr/bin/node`), check that `switchyard` says so.
 *
 * Prints the tarball sizes and the install time; exits non-zero on any failure.
 * Run: `npm run test:consumer`.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
const published = ["core", "cost", "routing", "state-redis", "prompts", "provider-openai", "provider-anthropic", "provider-google", "provider-ollama", "testing", "translate", "gateway", "server", "cli"]

/** The environment of a user's shell: nothing of this repository's development settings. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "NODE_OPTIONS" && !key.startsWith("npm_")))

const run = (command: string, args: ReadonlyArray<string>, cwd: string) =>
  execFileSync(command, args, { cwd, env: userEnv, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })

const scratch = mkdtempSync(join(tmpdir(), "switchyard-consumer-"))
const tarballs = join(scratch, "tarballs")
const app = join(scratch, "app")
const cleanup = () => rmSync(scratch, { recursive: true, force: true })

try {
  console.log("building the packages (tsc -b tsconfig.build.json)")
  run("npx", ["tsc", "-b", "tsconfig.build.json"], root)

  console.log("packing")
  mkdirSync(tarballs)
  const files = published.map((name) => {
    const out = run("npm", ["pack", "--silent", "--pack-destination", tarballs], join(root, "packages", name)).trim().split("\n").at(-1)!
    return join(tarballs, out)
  })
  for (const file of files) console.log(`  ${file.split("/").at(-1)}: ${(statSync(file).size / 1024).toFixed(1)} kB`)

  const openaiVersion = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
    .devDependencies["openai"]!
  mkdirSync(app)
  writeFileSync(join(app, "package.json"), JSON.stringify({
    name: "switchyard-consumer",
    private: true,
    type: "module",
    dependencies: {
      ...Object.fromEntries(files.map((file) => [
        (JSON.parse(run("tar", ["-xOzf", file, "package/package.json"], scratch)) as { name: string }).name,
        `file:${file}`
      ])),
      openai: openaiVersion
    }
  }, null, 2))

  console.log("installing into a scratch project")
  const started = Date.now()
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], app)
  console.log(`  installed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const installed = readdirSync(join(app, "node_modules", "@switchyard"))
  if (installed.length !== published.length) throw new Error(`installed ${installed.join(", ")}`)

  console.log("1. an Effect program over the installed packages")
  writeFileSync(join(app, "program.js"), `
import { Effect, Layer } from "effect"
import { NodeHttpClient } from "@effect/platform-node"
import { Gateway, GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"

const ask = (config) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    const answer = yield* gateway.complete({ model: "m", messages: [{ role: "user", content: "Hi" }] })
    return answer.response.choices[0].content
  }).pipe(Effect.provide(Server.gatewayLayer({ ledger: { kind: "memory" }, ...config })))

const program = Effect.gen(function*() {
  const demo = yield* ask(GatewayConfig.fromEnv({}))
  const upstream = yield* MockUpstream.make()
  yield* upstream.setDefault(OpenAiChatWire.route, OpenAiChatWire.answer({ text: ["from the mock"], usage: { inputTokens: 3, outputTokens: 3 } }))
  const mocked = yield* ask(GatewayConfig.fromEnv({ OPENAI_API_KEY: "sk-consumer-0123456789", OPENAI_BASE_URL: upstream.url + "/v1" }))
  console.log(JSON.stringify({ demo, mocked }))
}).pipe(Effect.scoped)

Effect.runPromise(program).then(() => process.exit(0), (error) => { console.error(error); process.exit(1) })
`)
  const answers = JSON.parse(run("node", ["program.js"], app).trim().split("\n").at(-1)!) as { demo: string; mocked: string }
  if (!answers.demo.includes("demo provider") || answers.mocked !== "from the mock") throw new Error(JSON.stringify(answers))
  console.log(`  demo: ${answers.demo}\n  mock upstream: ${answers.mocked}`)

  console.log("2. the installed switchyard serve, with the openai client")
  const server = spawn(join(app, "node_modules", ".bin", "switchyard"), ["serve", "--port", "0"], { cwd: app, env: userEnv })
  try {
    const url = await new Promise<string>((ok, fail) => {
      let output = ""
      const timer = setTimeout(() => fail(new Error(`no listening line: ${output}`)), 30_000)
      const read = (data: Buffer) => {
        output += data.toString()
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match) clearTimeout(timer), ok(match[1]!)
      }
      server.stdout.on("data", read)
      server.stderr.on("data", read)
      server.on("exit", (code) => fail(new Error(`exited with ${code}: ${output}`)))
    })
    writeFileSync(join(app, "client.js"), `
import OpenAI from "openai"
const client = new OpenAI({ baseURL: process.argv[2] + "/v1", apiKey: "unused" })
const completion = await client.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "Hello!" }] })
console.log(completion.choices[0].message.content)
`)
    const text = run("node", ["client.js", url], app).trim()
    if (!text.includes("Hello!")) throw new Error(text)
    console.log(`  ${text}`)
    // The dashboard's files ship in the package, and uPlot's come from the installed `uplot`.
    for (const [path, expected] of [["/dashboard", "<title>Switchyard dashboard"], ["/dashboard/dashboard.js", "uPlot"], ["/dashboard/uplot.js", "uPlot"]] as const) {
      const response = await fetch(url + path)
      const body = await response.text()
      if (response.status !== 200 || !body.includes(expected)) throw new Error(`GET ${path}: ${response.status} ${body.slice(0, 200)}`)
    }
    console.log("  /dashboard and its files served")
  } finally {
    server.kill("SIGTERM")
  }
  const systemNode = "/usr/bin/node"
  const version = existsSync(systemNode) ? execFileSync(systemNode, ["--version"], { encoding: "utf8" }).trim() : undefined
  if (version !== undefined && /^v(1\d|20|21|22\.(1\d|[0-9])\.)/.test(version)) {
    console.log(`3. the installed switchyard on ${version}`)
    const old = spawnSync(systemNode, [join(app, "node_modules", "@switchyard", "cli", "dist", "bin.js"), "serve"], { env: userEnv, encoding: "utf8" })
    if (old.status !== 1 || !old.stderr.includes("needs Node.js 22.19 or newer")) throw new Error(`on ${version}: ${old.status} ${old.stderr}`)
    console.log(`  ${old.stderr.trim()}`)
  }
  console.log("consumer test passed")
  cleanup()
} catch (error) {
  cleanup()
  console.error("consumer test failed:", error)
  process.exit(1)
}
