/**
 * OpenAI's embeddings endpoint (`POST /embeddings`), served by OpenAI and most OpenAI-compatible
 * hosts. The request passes through as it came (token arrays, `dimensions` and `user` included),
 * except `encoding_format`: floats are always asked for, so the gateway renders base64 itself. Answers
 * are read by shape: vectors by `index`, as numbers or (a host that sends base64 anyway) float32 text;
 * an `error` object inside a 200 is classified as an error.
 */
import { Effect } from "effect"
import { Embeddings, ErrorClassifier, JsonValue, ProviderHttp, Usage } from "@switchyard/core"
import type { Host } from "../Hosts.ts"

const { array, number, record, string } = JsonValue

/** `{model, input, dimensions?, user?}` at `/embeddings`. */
export const encode = (request: Embeddings.EmbeddingRequest): Effect.Effect<ProviderHttp.Encoded> =>
  Effect.succeed({
    path: "/embeddings",
    body: {
      model: request.model,
      input: request.input,
      ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      ...(request.user === undefined ? {} : { user: request.user })
    }
  })

/** The vectors in `index` order, the model, and `usage.prompt_tokens` as input tokens. */
export const decode = (host: Host) => (body: unknown, context: ProviderHttp.CallContext) =>
  Effect.gen(function*() {
    const json = record(body)
    if (json === undefined) return yield* Effect.fail(Embeddings.malformed(context, "not a JSON object"))
    if (record(json["error"]) !== undefined) {
      return yield* Effect.fail(ErrorClassifier.classify({ provider: context.provider, body: JSON.stringify(json) }, host.errorRules))
    }
    const items = array(json["data"]).map((item, position) => {
      const entry = record(item)
      return { index: number(entry?.["index"]) ?? position, vector: Embeddings.vectorOf(entry?.["embedding"]) }
    })
    if (items.length === 0) return yield* Effect.fail(Embeddings.malformed(context, "no `data`"))
    const missing = items.find((item) => item.vector === undefined)
    if (missing !== undefined) {
      return yield* Effect.fail(Embeddings.malformed(context, `\`data[${missing.index}].embedding\` is not a vector`))
    }
    const usage = record(json["usage"])
    const prompt = number(usage?.["prompt_tokens"]) ?? number(usage?.["total_tokens"])
    return {
      model: string(json["model"]) ?? context.model,
      embeddings: [...items].sort((a, b) => a.index - b.index).map((item) => item.vector!),
      ...(prompt === undefined ? {} : { usage: Usage.make({ inputTokens: prompt, outputTokens: 0 }) })
    } satisfies Embeddings.EmbeddingResponse
  })

/** The embeddings part of an OpenAI-compatible dialect. */
export const dialect = (host: Host): ProviderHttp.EmbeddingsDialect => ({ encode, decode: decode(host) })
