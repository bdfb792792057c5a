/**
 * `switchyard import`: real LiteLLM and Portkey configs from those projects' docs and repositories
 * (test/fixtures/import, each citing its source) convert into configs the gateway's own loader
 * accepts, with the mappings and the report asserted; secrets written in a source never reach the
 * output; and the command, run as a user runs it, writes a file that loads.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Yaml } from "effect/encoding"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { GatewayConfig } from "@switchyard/gateway"
import * as Import from "../src/Import.ts"
import { stringify } from "../src/internal/yaml.ts"
import { run } from "./processes.ts"

const fixtures = fileURLToPath(new URL("./fixtures/import/", import.meta.url))
const sources = readdirSync(fixtures).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()

const convert = (name: string, from?: Import.Format) =>
  Effect.gen(function*() {
    const doc = yield* Import.parse(readFileSync(join(fixtures, name), "utf8"), name)
    return yield* Import.convert(doc, name, from)
  })

/** What the user sets after reading the report: a value for every variable the config reads. */
const envFor = (conversion: Import.Conversion): GatewayConfig.Env =>
  Object.fromEntries(conversion.variables.map((v) => [v.name, v.holds === "url" ? "https://llm.example.test" : `value-of-${v.name}`]))

/** Writes the YAML to a temp dir and loads it with `GatewayConfig.load`. */
const load = (conversion: Import.Conversion, name: string) =>
  Effect.gen(function*() {
    const path = join(mkdtempSync(join(tmpdir(), "switchyard-import-")), "switchyard.yaml")
    writeFileSync(path, Import.toYaml(conversion, name))
    return yield* GatewayConfig.load(path, envFor(conversion))
  }).pipe(Effect.provide(NodeFileSystem.layer))

const item = (conversion: Import.Conversion, path: string, status?: Import.Item["status"]) => {
  const found = conversion.report.filter((i) => i.path === path && (status === undefined || i.status === status))
  assert.isAbove(found.length, 0, `no ${status ?? ""} report item at ${path}:\n${Import.render(conversion.report)}`)
  return found[0]!
}

/** The whole output a user sees or keeps: the YAML and the report. */
const output = (conversion: Import.Conversion, name: string) => Import.toYaml(conversion, name) + JSON.stringify(conversion.report)

describe("switchyard import", () => {
  it.effect("converts every fixture, detecting its format, into a config GatewayConfig.load accepts", () =>
    Effect.gen(function*() {
      assert.isAtLeast(sources.filter((s) => s.startsWith("litellm-")).length, 3)
      assert.isAtLeast(sources.filter((s) => s.startsWith("portkey-")).length, 2)
      for (const name of sources) {
        const conversion = yield* convert(name)
        assert.strictEqual(conversion.from, name.startsWith("litellm-") ? "litellm" : "portkey", name)
        const config = yield* load(conversion, name)
        assert.deepStrictEqual(Object.keys(config.providers), Object.keys(conversion.config.providers), name)
        // The YAML writer round-trips: what is parsed back is what was converted.
        assert.deepStrictEqual(Yaml.parse(Import.toYaml(conversion, name)), JSON.parse(JSON.stringify(conversion.config)), name)
        for (const v of conversion.variables) assert.match(v.name, /^[A-Z_][A-Z0-9_]*$/)
      }
    }))

  it.effect("LiteLLM reliability example: fallbacks become later routes, retries, timeout, cooldown and allowed_fails", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("litellm-reliability.yaml")
      const config = yield* load(conversion, "litellm-reliability.yaml")
      const zephyr = config.models!["zephyr-beta"]!
      assert.deepStrictEqual(zephyr.routes.map((r) => `${r.provider}/${r.model}`), [
        "huggingface/HuggingFaceH4/zephyr-7b-beta",
        "huggingface-2/HuggingFaceH4/zephyr-7b-beta",
        "huggingface-3/HuggingFaceH4/zephyr-7b-beta",
        "openai/gpt-3.5-turbo"
      ])
      // Under the weighted strategy (LiteLLM's simple-shuffle), weight 0 puts the fallback last.
      assert.strictEqual(config.routing?.strategy, "weighted")
      assert.strictEqual(zephyr.routes[3]!.weight, 0)
      assert.isUndefined(zephyr.routes[0]!.weight)
      assert.strictEqual(config.providers["huggingface-2"]!.base_url, "http://0.0.0.0:8002/v1")
      assert.deepStrictEqual(config.routing?.retries, { max: 3 })
      assert.strictEqual(config.routing?.attempt_ms, 10_000)
      assert.strictEqual(config.routing?.last_attempt_ms, 10_000)
      assert.isUndefined(config.routing?.deadline_ms)
      assert.deepStrictEqual(config.routing?.breaker, { consecutive_failures: 4, cooldown_ms: 30_000 })
      assert.strictEqual(item(conversion, "litellm_settings.allowed_fails").status, "approximate")
      assert.strictEqual(item(conversion, "litellm_settings.fallbacks.zephyr-beta").status, "mapped")
      // `<my-openai-key>` is written in the file twice: one variable, never the value.
      assert.notInclude(output(conversion, "x"), "my-openai-key")
      assert.strictEqual(config.providers["openai"]!.api_key !== undefined && Redacted.value(config.providers["openai"]!.api_key), "value-of-OPENAI_API_KEY")
      assert.include(item(conversion, "model_list[3].litellm_params.api_key", "approximate").message, "set OPENAI_API_KEY")
    }))

  it.effect("LiteLLM load-balancing example: rpm weights, model_group_alias, Azure, placeholders and redis", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("litellm-load-balancing.yaml")
      const config = yield* load(conversion, "litellm-load-balancing.yaml")
      const routes = config.models!["gpt-3.5-turbo"]!.routes
      assert.deepStrictEqual(routes.map((r) => [r.provider, r.model, r.weight]), [
        ["azure", "<your-deployment-name>", 6],
        ["azure-2", "gpt-turbo-small-ca", 6],
        ["azure-3", "gpt-turbo-large", 1440]
      ])
      assert.deepStrictEqual(config.models!["gpt-4"]!.routes, routes)
      assert.strictEqual(config.providers["azure-3"]!.base_url, "https://openai-france-1234.openai.azure.com/openai/v1")
      // `<your-azure-endpoint>` is no URL: the config reads AZURE_API_BASE instead, and says so.
      assert.strictEqual(conversion.config.providers["azure"]!.base_url, "${AZURE_API_BASE}/openai/v1")
      assert.strictEqual(config.providers["azure"]!.base_url, "https://llm.example.test/openai/v1")
      assert.include(item(conversion, "model_list[0].litellm_params.api_base", "approximate").message, "AZURE_API_BASE")
      assert.strictEqual(item(conversion, "model_list[2].litellm_params.rpm").status, "approximate")
      // Redis for shared router state: the placeholder host and the written password become variables.
      assert.include(item(conversion, "router_settings.redis_host", "approximate").message, "state: redis")
      assert.deepStrictEqual(conversion.config.state, { kind: "redis", url: "redis://:${REDIS_PASSWORD}@${REDIS_HOST}:1992" })
      assert.strictEqual(config.state?.kind, "redis")
      assert.strictEqual(config.routing?.attempt_ms, 30_000)
      assert.deepStrictEqual(config.routing?.retries, { max: 2 })
      assert.notInclude(output(conversion, "x"), "your-azure-api-key")
      assert.notInclude(output(conversion, "x"), "your redis password")
    }))

  it.effect("LiteLLM's own proxy config: unsupported strategy and providers are reported, context fallbacks, master key", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("litellm-proxy-server-config.yaml")
      const config = yield* load(conversion, "litellm-proxy-server-config.yaml")
      assert.strictEqual(item(conversion, "router_settings.routing_strategy").status, "unsupported")
      assert.include(item(conversion, "model_list[2].litellm_params.model", "unsupported").message, "sagemaker")
      assert.include(item(conversion, "model_list[9].litellm_params.model", "unsupported").message, "text-completion-openai")
      assert.isUndefined(config.models!["sagemaker-completion-model"])
      // Wildcards configure a provider, not an alias.
      assert.isUndefined(config.models!["*"])
      assert.strictEqual(config.providers["anthropic"]!.kind, "anthropic")
      assert.strictEqual(item(conversion, "model_list[8]").status, "approximate")
      assert.deepStrictEqual(config.routing?.context_fallback, { "azure/chatgpt-v-2": { provider: "openai", model: "gpt-3.5-turbo-1106" } })
      // A per-deployment timeout is the alias's attempt limit; request_timeout 600 s needs a longer deadline.
      assert.strictEqual(config.models!["gpt-3.5-turbo-large"]!.attempt_ms, 300_000)
      assert.strictEqual(config.models!["gpt-3.5-turbo-large"]!.first_token_ms, 60_000)
      assert.strictEqual(config.routing?.attempt_ms, 600_000)
      assert.strictEqual(config.routing?.deadline_ms, 600_000)
      assert.deepStrictEqual(config.models!["my-special-fake-model-alias-name"]!.routes, config.models!["fake-openai-endpoint-3"]!.routes)
      assert.deepStrictEqual(config.keys?.map((k) => [k.id, k.admin, Redacted.value(k.key)]), [["master", true, "value-of-LITELLM_MASTER_KEY"]])
      const text = output(conversion, "x")
      for (const secret of ["sk-1234", "fake-key"]) assert.notInclude(text, secret)
      // Different written keys are different variables, and so different providers.
      assert.notStrictEqual(conversion.config.providers["openai-2"]!.api_key, conversion.config.providers["openai-3"]!.api_key)
      assert.strictEqual(item(conversion, "litellm_settings.drop_params").status, "unsupported")
    }))

  it.effect("Portkey fallback with keys written in the config: routes in order, no retries, keys as variables", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("portkey-fallback-keys.json")
      const config = yield* load(conversion, "portkey-fallback-keys.json")
      const alias = config.models!["default"]!
      assert.strictEqual(alias.strategy, "priority")
      assert.deepStrictEqual(alias.routes.map((r) => `${r.provider}/${r.model}`), ["openai/gpt-4o", "anthropic/claude-3-5-sonnet-20240620"])
      assert.deepStrictEqual(config.routing?.retries, { max: 0 })
      assert.deepStrictEqual(conversion.variables.map((v) => v.name), ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"])
      assert.notInclude(output(conversion, "x"), "sk-***")
      assert.notInclude(output(conversion, "x"), "sk-ant-***")
    }))

  it.effect("Portkey on_status_codes: a fallback only on 429 and 5xx makes auth and not-found errors fail at once", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("portkey-fallback-status-codes.json")
      const config = yield* load(conversion, "portkey-fallback-status-codes.json")
      assert.deepStrictEqual(config.routing?.on, { auth: "fail", not_found: "fail" })
      assert.strictEqual(item(conversion, "strategy.on_status_codes").status, "approximate")
      assert.include(item(conversion, "targets[0].provider").message, "OPENAI_API_KEY")
    }))

  it.effect("Portkey load balance with a nested fallback: weights, flattened groups, targets without a model reported", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("portkey-loadbalance-nested-fallback.json")
      const config = yield* load(conversion, "portkey-loadbalance-nested-fallback.json")
      const alias = config.models!["default"]!
      assert.strictEqual(alias.strategy, "weighted")
      assert.deepStrictEqual(alias.routes, [{ provider: "anthropic", model: "claude-2.1", weight: 0.5 }])
      assert.strictEqual(item(conversion, "targets[1].strategy").status, "approximate")
      assert.strictEqual(item(conversion, "targets[1].targets[0].override_params.model").status, "unsupported")
      assert.strictEqual(item(conversion, "targets[0].override_params.max_tokens").status, "unsupported")
      assert.include(item(conversion, "targets[0].virtual_key", "approximate").message, "told from the model name")
    }))

  it.effect("Portkey Model Catalog providers (@slug): the provider from the model name, the key from a variable named after the slug", () =>
    Effect.gen(function*() {
      const conversion = yield* Import.convert({
        strategy: { mode: "fallback" },
        targets: [
          { provider: "@openai-prod", override_params: { model: "gpt-4o" } },
          { override_params: { model: "@anthropic-prod/claude-sonnet-4-5" } }
        ]
      }, "catalog.json")
      assert.deepStrictEqual(conversion.config.providers, {
        openai: { kind: "openai", api_key: "${OPENAI_PROD}" },
        anthropic: { kind: "anthropic", api_key: "${ANTHROPIC_PROD}" }
      })
      assert.deepStrictEqual(conversion.config.models?.["default"]?.routes, [
        { provider: "openai", model: "gpt-4o" },
        { provider: "anthropic", model: "claude-sonnet-4-5" }
      ])
      assert.isTrue(conversion.report.some((i) => i.path === "targets[1].provider" && i.message.includes("set ANTHROPIC_PROD")))
      yield* load(conversion, "catalog.json")
    }))

  it.effect("Portkey retry: attempts, and status codes as categories (quota stops are never retried)", () =>
    Effect.gen(function*() {
      const conversion = yield* convert("portkey-retry.json")
      const config = yield* load(conversion, "portkey-retry.json")
      assert.deepStrictEqual(config.routing?.retries, { max: 3 })
      assert.deepStrictEqual(config.routing?.on, { overloaded: "failover", server_error: "failover" })
      assert.isUndefined(config.models)
      assert.strictEqual(item(conversion, "targets").status, "unsupported")
    }))

  it.effect("refuses what it cannot read, with a clear message", () =>
    Effect.gen(function*() {
      const broken = yield* Effect.flip(Import.parse("model_list:\n  - model_name: [unclosed\n", "broken.yaml"))
      assert.match(broken.message, /^Cannot import broken\.yaml: not valid YAML or JSON/)
      const scalar = yield* Effect.flip(Import.parse("just text\n", "text.yaml"))
      assert.include(scalar.message, "expected a mapping")
      const unknown = yield* Effect.flip(Import.convert({ server: { port: 1 } }, "other.yaml"))
      assert.include(unknown.message, "pass --from")
      // Told the format, a file of the other kind converts to nothing rather than to something wrong.
      const forced = yield* convert("portkey-retry.json", "litellm")
      assert.strictEqual(item(forced, "model_list").status, "unsupported")
      assert.strictEqual(item(forced, "retry").status, "unsupported")
    }))

  it("writes YAML that reads back as the same data, quoting what YAML would misread", () => {
    const data = {
      on: { auth: "fail" },
      words: ["yes", "no", "null", "1.5", "007", "a: b", "#x", "", "- x", "${A}/v1", "@scope/x", "it's \"quoted\""],
      nested: [[1, 2], [], {}, { a: [{ b: true }] }],
      none: null
    }
    assert.deepStrictEqual(Yaml.parse(stringify(data)), data)
  })

  it.live("the command writes the config, prints the report, refuses to overwrite and fails on a bad file", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-import-cli-"))
      const out = join(dir, "switchyard.yaml")
      const source = join(fixtures, "litellm-reliability.yaml")
      const first = yield* run(["import", source, "--out", out])
      assert.strictEqual(first.code, 0, first.stderr)
      assert.match(first.stdout, /Wrote .*switchyard\.yaml from .* \(litellm\): \d+ mapped, \d+ approximate, 0 unsupported/)
      assert.include(first.stdout, "litellm_settings.allowed_fails")
      assert.include(first.stdout, "Set before `switchyard serve`: OPENAI_API_KEY")
      const config = yield* GatewayConfig.load(out, { OPENAI_API_KEY: "sk-test-0123456789" }).pipe(Effect.provide(NodeFileSystem.layer))
      assert.strictEqual(config.models!["zephyr-beta"]!.routes.length, 4)

      const again = yield* run(["import", source, "--out", out])
      assert.strictEqual(again.code, 1)
      assert.include(again.stderr, "exists")

      const json = yield* run(["import", join(fixtures, "portkey-fallback-keys.json"), "--out", "-", "--json", "--alias", "smart"])
      assert.strictEqual(json.code, 0, json.stderr)
      const parsed = JSON.parse(json.stdout)
      assert.strictEqual(parsed.from, "portkey")
      assert.deepStrictEqual(Object.keys(parsed.config.models), ["smart"])
      assert.notInclude(json.stdout, "sk-***")

      const bad = join(dir, "bad.yaml")
      writeFileSync(bad, "model_list: [\n")
      const failed = yield* run(["import", bad, "--out", join(dir, "never.yaml")])
      assert.strictEqual(failed.code, 1)
      assert.include(failed.stderr, "Cannot import")
      assert.include(failed.stderr, "not valid YAML or JSON")
    }), 60_000)
})
