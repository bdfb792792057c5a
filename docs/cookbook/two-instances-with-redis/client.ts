import OpenAI from "openai"

/** Asks `chat` through one instance: who answered, or the gateway's refusal. */
export const ask = async (instance: string, key: string, question: string) => {
  // A limit's refusal goes back to the caller here, not retried by the SDK.
  const client = new OpenAI({ baseURL: `${instance}/v1`, apiKey: key, maxRetries: 0 })
  try {
    const { data, response } = await client.chat.completions
      .create({ model: "chat", max_tokens: 1000, messages: [{ role: "user", content: question }] })
      .withResponse()
    return { status: 200, answer: data.choices[0]?.message.content, attempts: response.headers.get("x-switchyard-attempts") }
  } catch (error) {
    if (error instanceof OpenAI.APIError) {
      return { status: error.status, error: error.code, retryAfter: error.headers?.get("retry-after") ?? null }
    }
    throw error
  }
}
