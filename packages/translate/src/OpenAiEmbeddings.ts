/**
 * OpenAI's embeddings format on the client side: the request is the canonical one (any other
 * top-level field is refused by name), and the answer a `list` of `embedding` objects. Vectors come
 * from upstreams as floats; `encoding_format: "base64"` (the `openai` SDK's default) is rendered here,
 * float32 little-endian.
 */
import { Embeddings as Canonical } from "@switchyard/core"

/** The fields of OpenAI's request; any other is refused, naming it. */
export const knownFields = Object.keys(Canonical.EmbeddingRequest.fields)

/** Empty input (no item, or an empty text or token array) is refused, as OpenAI does. */
export const emptyInput = (input: Canonical.Input): boolean => {
  const items = Canonical.items(input)
  return items.length === 0 || items.some((item) => item.length === 0)
}

/** The answer in OpenAI's shape. */
export const render = (request: Canonical.EmbeddingRequest, response: Canonical.EmbeddingResponse) => {
  const promptTokens = response.usage?.inputTokens ?? 0
  return {
    object: "list",
    data: response.embeddings.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: request.encoding_format === "base64" ? Canonical.toBase64(vector) : vector
    })),
    model: response.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }
  }
}
