import OpenAI from "openai"

/** A request written for OpenRouter: `provider/model`, and `models` to fall back on, in order. */
export const ask = async (baseURL: string, question: string) => {
  const client = new OpenAI({ baseURL, apiKey: "no-client-keys-configured" })
  const { data, response } = await client.chat.completions
    .create({
      model: "openai/gpt-5-mini",
      // @ts-expect-error: OpenRouter's extension, which the openai types do not declare
      models: ["anthropic/claude-haiku-4-5", "openrouter/meta-llama/llama-3.3-70b-instruct"],
      messages: [{ role: "user", content: question }]
    })
    .withResponse()
  return { answer: data.choices[0]?.message.content, attempts: response.headers.get("x-switchyard-attempts") }
}
