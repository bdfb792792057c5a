/**
 * Ollama's native embeddings endpoint: `POST /api/embed` with `input` (one text or several) and
 * `dimensions`, answered with `embeddings` (one vector per input, in order) and `prompt_eval_count`
 * (the input tokens). Text only: token arrays are refused; `user` has no Ollama equivalent and is
 * not sent.
 * https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings
 */
import { Effect } from "effect"
import { Embeddings, JsonValue, ProviderHttp, Usage } from "@switchyard/core"
import { failureOf } from "./decode.ts"

const { array, number, record, string } = JsonValue

export const encode = (request: Embeddings.EmbeddingRequest, context: ProviderHttp.CallContext) =>
  ProviderHttp.encodeWith("Ollama", context, () => {
    const texts = Embeddings.textsOrRefuse(request.input)
    return {
      path: "/api/embed",
      body: {
        model: request.model,
        input: typeof request.input === "string" ? request.input : texts,
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions })
      }
    }
  })

export const decode = (body: unknown, context: ProviderHttp.CallContext) =>
  Effect.gen(function*() {
    const json = record(body)
    if (json === undefined) return yield* Effect.fail(Embeddings.malformed(context, "not a JSON object"))
    if (json["error"] !== undefined) return yield* Effect.fail(failureOf(context.provider, json))
    const vectors = array(json["embeddings"]).map(Embeddings.vectorOf)
    if (vectors.length === 0) return yield* Effect.fail(Embeddings.malformed(context, "no `embeddings`"))
    const bad = vectors.findIndex((vector) => vector === undefined)
    if (bad >= 0) return yield* Effect.fail(Embeddings.malformed(context, `\`embeddings[${bad}]\` is not a vector`))
    const prompt = number(json["prompt_eval_count"])
    return {
      model: string(json["model"]) ?? context.model,
      embeddings: vectors as ReadonlyArray<ReadonlyArray<number>>,
      ...(prompt === undefined ? {} : { usage: Usage.make({ inputTokens: prompt, outputTokens: 0 }) })
    } satisfies Embeddings.EmbeddingResponse
  })

/** The embeddings part of the Ollama dialect. */
export const dialect: ProviderHttp.EmbeddingsDialect = { encode, decode }
