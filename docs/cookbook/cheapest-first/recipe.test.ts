/**
 * The cheapest-first recipe: `strategy: price` tries gpt-5-mini before gpt-5.5 (listed first); an
 * answer that fails the schema twice, or a 400, moves the request to gpt-5.5.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MockUpstream, OpenAiChatWire } from "@switchyard/testing"
import { beside, serveFile } from "../../test/Docs.ts"
import { triage } from "./client.ts"

const good = { severity: "high", summary: "Checkout fails for every card payment." }

const serve = (mini: "prose" | "400" | "good") =>
  Effect.gen(function*() {
    const openai = yield* MockUpstream.make()
    yield* openai.setDefault(OpenAiChatWire.route, (request) => {
      const model = (request.json as { model: string }).model
      if (model === "gpt-5-mini" && mini === "400") {
        return OpenAiChatWire.error(400, { message: "Unsupported parameter: 'response_format' with this model." })
      }
      const text = model === "gpt-5-mini" && mini === "prose" ? "This looks like a serious checkout bug." : JSON.stringify(good)
      return OpenAiChatWire.json({ text: [text], usage: { inputTokens: 60, outputTokens: 20 } })
    })
    const url = yield* serveFile(beside(import.meta.url, "switchyard.yaml"), {
      OPENAI_API_KEY: "sk-openai-0123456789",
      OPENAI_BASE_URL: `${openai.url}/v1`
    })
    return { openai, url: `${url}/v1` }
  })

const modelsAsked = (openai: { readonly requests: Effect.Effect<ReadonlyArray<{ readonly json: unknown }>> }) =>
  Effect.map(openai.requests, (requests) => requests.map((r) => (r.json as { model: string }).model))

describe("cookbook: cheapest first, better model as fallback", () => {
  it.live("the cheap model answers when its answer is good", () =>
    Effect.gen(function*() {
      const { openai, url } = yield* serve("good")
      const result = yield* Effect.promise(() => triage(url, "Checkout fails with every card."))
      assert.deepStrictEqual(result, { triage: good, model: "gpt-5-mini", contract: "openai/gpt-5-mini=passed" })
      assert.deepStrictEqual(yield* modelsAsked(openai), ["gpt-5-mini"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("prose that fails the schema twice goes to the better model", () =>
    Effect.gen(function*() {
      const { openai, url } = yield* serve("prose")
      const result = yield* Effect.promise(() => triage(url, "Checkout fails with every card."))
      assert.deepStrictEqual(result, {
        triage: good,
        model: "gpt-5.5",
        contract: "openai/gpt-5-mini=failed, openai/gpt-5.5=passed"
      })
      assert.deepStrictEqual(yield* modelsAsked(openai), ["gpt-5-mini", "gpt-5-mini", "gpt-5.5"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a 400 from the cheap model goes to the better model", () =>
    Effect.gen(function*() {
      const { openai, url } = yield* serve("400")
      const result = yield* Effect.promise(() => triage(url, "Checkout fails with every card."))
      assert.deepStrictEqual(result, {
        triage: good,
        model: "gpt-5.5",
        contract: "openai/gpt-5-mini=failed, openai/gpt-5.5=passed"
      })
      assert.deepStrictEqual(yield* modelsAsked(openai), ["gpt-5-mini", "gpt-5.5"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
