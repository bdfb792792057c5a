import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { Demo } from "@switchyard/gateway"
import { serveProviders } from "./harness.ts"

const client = (baseURL: string) => new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "unused", maxRetries: 0 })

describe("gateway server with the demo provider", () => {
  it.live("answers a plain completion through the official SDK", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const completion = yield* Effect.promise(() =>
        client(url).chat.completions.create({ model: "demo-model", messages: [{ role: "user", content: "hi there" }] })
      )
      assert.strictEqual(completion.object, "chat.completion")
      assert.strictEqual(completion.model, "demo-model")
      assert.strictEqual(completion.choices[0]?.message.content, "Hello from Switchyard's demo provider. You said: \"hi there\"")
      assert.strictEqual(completion.choices[0]?.finish_reason, "stop")
      assert.strictEqual(completion.usage?.completion_tokens, 9)
    }))

  it.live("streams every delta in order and ends with [DONE]", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const stream = yield* Effect.promise(() =>
        client(url).chat.completions.create({
          model: "demo-model",
          messages: [{ role: "user", content: "stream me" }],
          stream: true,
          stream_options: { include_usage: true }
        })
      )
      const deltas: Array<string> = []
      let finish: string | null = null
      let usage: number | undefined
      yield* Effect.promise(async () => {
        for await (const chunk of stream) {
          const choice = chunk.choices[0]
          if (choice?.delta.content) deltas.push(choice.delta.content)
          if (choice?.finish_reason) finish = choice.finish_reason
          if (chunk.usage) usage = chunk.usage.total_tokens
        }
      })
      assert.strictEqual(deltas.join(""), "Hello from Switchyard's demo provider. You said: \"stream me\"")
      assert.isAbove(deltas.length, 5)
      assert.strictEqual(finish, "stop")
      assert.strictEqual(usage, 2 + 9)
    }))

  it.live("omits the usage chunk when the client did not ask for it", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const text = yield* Effect.promise(() =>
        fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] })
        }).then((r) => r.text())
      )
      assert.notInclude(text, "\"usage\"")
      assert.isTrue(text.endsWith("data: [DONE]\n\n"))
    }))

  it.live("refuses bad input with the OpenAI error format naming the field", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")])
      const post = (body: string) =>
        Effect.promise(() =>
          fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body })
            .then(async (r) => ({ status: r.status, body: await r.json() as { error: Record<string, unknown> } }))
        )
      const badRole = yield* post(JSON.stringify({ model: "m", messages: [{ role: "wizard", content: "x" }] }))
      assert.strictEqual(badRole.status, 400)
      assert.strictEqual(badRole.body.error["type"], "bad_request")
      assert.strictEqual(badRole.body.error["param"], "messages[0].role")
      assert.strictEqual(badRole.body.error["retryable"], false)
      const badTemp = yield* post(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], temperature: "hot" }))
      assert.strictEqual(badTemp.body.error["param"], "temperature")
      const notJson = yield* post("{model:")
      assert.strictEqual(notJson.status, 400)
      assert.strictEqual(notJson.body.error["code"], "invalid_json")
    }))

  it.live("lists models and reports health", () =>
    Effect.gen(function*() {
      const url = yield* serveProviders([Demo.make("demo")], { fast: { routes: [{ provider: "demo", model: "m" }] } })
      const models = yield* Effect.promise(() => fetch(`${url}/v1/models`).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>))
      assert.deepStrictEqual(models.data.map((m) => m.id), ["fast"])
      const health = yield* Effect.promise(() => fetch(`${url}/healthz`).then((r) => r.status))
      assert.strictEqual(health, 200)
      const unknown = yield* Effect.promise(() => fetch(`${url}/v2/nothing`).then((r) => r.status))
      assert.strictEqual(unknown, 404)
    }))
})
