import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { GatewayConfig } from "@switchyard/gateway"

const yaml = `
server:
  port: 4100
providers:
  openai:
    kind: openai
    api_key: \${OPENAI_API_KEY}
  local:
    kind: ollama
    base_url: \${OLLAMA_URL:-http://127.0.0.1:11434}
models:
  fast:
    routes:
      - { provider: openai, model: gpt-5-mini }
      - { provider: local, model: llama3.2 }
`

describe("GatewayConfig", () => {
  it.effect("decodes YAML with ${ENV} and ${ENV:-default} interpolation", () =>
    Effect.gen(function*() {
      const config = yield* GatewayConfig.parse(yaml, "switchyard.yaml", { OPENAI_API_KEY: "sk-test-123456" })
      const key = config.providers["openai"]?.api_key
      assert.strictEqual(key === undefined ? undefined : Redacted.value(key), "sk-test-123456")
      // held as Redacted from load on: printing the config never shows the key
      assert.notInclude(String(key), "sk-test")
      assert.notInclude(JSON.stringify(config), "sk-test")
      assert.strictEqual(config.providers["local"]?.base_url, "http://127.0.0.1:11434")
      assert.deepStrictEqual(config.models?.["fast"]?.routes.map((r) => r.provider), ["openai", "local"])
      assert.strictEqual(config.server?.port, 4100)
    }))

  it.effect("names the variable and the path when an env var is missing", () =>
    Effect.gen(function*() {
      const error = yield* GatewayConfig.parse(yaml, "switchyard.yaml", {}).pipe(Effect.flip)
      assert.deepStrictEqual(error.problems, [
        { path: "providers.openai.api_key", message: "environment variable OPENAI_API_KEY is not set" }
      ])
      assert.include(error.message, "switchyard.yaml")
    }))

  it.effect("reports every bad field with its path and what was expected", () =>
    Effect.gen(function*() {
      const bad = {
        providers: { openai: { kind: "openia", base_url: "not a url" } },
        models: { fast: { routes: [] } },
        server: { port: "eighty" }
      }
      const error = yield* GatewayConfig.decode(bad, "inline", {}).pipe(Effect.flip)
      const paths = error.problems.map((p) => p.path)
      assert.include(paths, "providers.openai.kind")
      assert.include(paths, "providers.openai.base_url")
      assert.include(paths, "models.fast.routes")
      assert.include(paths, "server.port")
      const kind = error.problems.find((p) => p.path === "providers.openai.kind")!
      assert.include(kind.message, "\"openai\"")
    }))

  it.effect("refuses a route to a provider that is not configured", () =>
    Effect.gen(function*() {
      const error = yield* GatewayConfig.decode(
        { providers: { openai: { kind: "openai" } }, models: { m: { routes: [{ provider: "groq", model: "x" }] } } },
        "inline",
        {}
      ).pipe(Effect.flip)
      assert.strictEqual(error.problems[0]?.path, "models.m.routes[0].provider")
      assert.include(error.problems[0]?.message, "unknown provider \"groq\"")
    }))

  it.effect("ledger.synchronous: normal or full, anything else refused at its path", () =>
    Effect.gen(function*() {
      const base = { providers: { openai: { kind: "openai" } } }
      const full = yield* GatewayConfig.decode({ ...base, ledger: { kind: "sqlite", synchronous: "full" } }, "inline", {})
      assert.deepStrictEqual(full.ledger, { kind: "sqlite", synchronous: "full" })
      const error = yield* GatewayConfig.decode({ ...base, ledger: { kind: "sqlite", synchronous: "off" } }, "inline", {}).pipe(Effect.flip)
      assert.strictEqual(error.problems[0]?.path, "ledger.synchronous")
    }))

  it.effect("reports YAML syntax errors as a config error", () =>
    Effect.gen(function*() {
      const error = yield* GatewayConfig.parse("providers: [1,\n", "broken.yaml", {}).pipe(Effect.flip)
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.problems[0]?.message, "not valid YAML")
    }))

  it("detects providers from the usual environment variables", () => {
    const config = GatewayConfig.fromEnv({
      OPENAI_API_KEY: "sk-a",
      OPENAI_BASE_URL: "http://127.0.0.1:9999/v1",
      ANTHROPIC_API_KEY: "sk-ant-b",
      OLLAMA_HOST: "127.0.0.1:11434",
      GROQ_API_KEY: ""
    })
    assert.deepStrictEqual(Object.keys(config.providers), ["openai", "anthropic", "ollama"])
    assert.strictEqual(config.providers["openai"]?.base_url, "http://127.0.0.1:9999/v1")
    assert.strictEqual(config.providers["ollama"]?.base_url, "http://127.0.0.1:11434")
  })

  it("falls back to the demo provider when no key is set", () => {
    assert.deepStrictEqual(GatewayConfig.fromEnv({}).providers, { demo: { kind: "demo" } })
  })

  it.effect("secrets: every key, credential header and URL password of the config, for redaction", () =>
    Effect.gen(function*() {
      const config = yield* GatewayConfig.decode({
        providers: {
          a: { kind: "openai", api_key: "key-a-123456", headers: { "X-Custom-Auth": "Token tok-abcdef12", "OpenAI-Organization": "org-visible" } },
          b: { kind: "anthropic", headers: { authorization: "Bearer bearer-xyz-7890" } }
        },
        keys: [{ id: "u", key: "client-key-1" }],
        ledger: { kind: "postgres", url: "postgres://app:pg%40pass-42@db:5432/ledger" }
      }, "test", {})
      const found = GatewayConfig.secrets(config).map(Redacted.value)
      for (const s of ["key-a-123456", "Token tok-abcdef12", "tok-abcdef12", "Bearer bearer-xyz-7890", "bearer-xyz-7890", "client-key-1", "pg@pass-42"]) {
        assert.include(found, s)
      }
      assert.notInclude(found, "org-visible")
      assert.notInclude(String(config.ledger && "url" in config.ledger ? config.ledger.url : ""), "pg%40pass")
    }))
})
