/**
 * Gemini embeddings: `POST models/<id>:batchEmbedContents`, one request per input text
 * (`{model, content: {parts: [{text}]}, outputDimensionality}`), answered with `embeddings[].values`
 * in input order. The API takes text only (token arrays are refused) and has no end-user field
 * (`user` is not sent). It reports no token counts, so usage is left to the gateway's estimate unless
 * a `usageMetadata.promptTokenCount` comes back.
 * https://ai.google.dev/api/embeddings#method:-models.batchembedcontents
 */
import { Effect } from "effect"
import { Embeddings, JsonValue, ProviderHttp, Usage } from "@switchyard/core"
import { resourceName } from "./encode.ts"
import * as Errors from "./errors.ts"

const { array, number, record } = JsonValue

export const encode = (
  request: Embeddings.EmbeddingRequest,
  context: ProviderHttp.CallContext
) =>
  ProviderHttp.encodeWith("Gemini", context, () => {
    const model = resourceName(request.model)
    return {
      path: `${model}:batchEmbedContents`,
      body: {
        requests: Embeddings.textsOrRefuse(request.input).map((text) => ({
          model,
          content: { parts: [{ text }] },
          ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions })
        }))
      }
    }
  })

export const decode = (body: unknown, context: ProviderHttp.CallContext) =>
  Effect.gen(function*() {
    const json = record(body)
    if (json === undefined) return yield* Effect.fail(Embeddings.malformed(context, "not a JSON object"))
    if (record(json["error"]) !== undefined) return yield* Effect.fail(Errors.errorOf(context.provider, json))
    const vectors = array(json["embeddings"]).map((item) => Embeddings.vectorOf(record(item)?.["values"]))
    if (vectors.length === 0) return yield* Effect.fail(Embeddings.malformed(context, "no `embeddings`"))
    const bad = vectors.findIndex((vector) => vector === undefined)
    if (bad >= 0) return yield* Effect.fail(Embeddings.malformed(context, `\`embeddings[${bad}].values\` is not a vector`))
    const prompt = number(record(json["usageMetadata"])?.["promptTokenCount"])
    return {
      model: context.model,
      embeddings: vectors as ReadonlyArray<ReadonlyArray<number>>,
      ...(prompt === undefined ? {} : { usage: Usage.make({ inputTokens: prompt, outputTokens: 0 }) })
    } satisfies Embeddings.EmbeddingResponse
  })

/** The embeddings part of the Gemini dialect. */
export const dialect: ProviderHttp.EmbeddingsDialect = { encode, decode }
