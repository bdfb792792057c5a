import OpenAI from "openai"

/** Asks the gateway's `chat` alias; says who answered and every attempt it took. */
export const ask = async (baseURL: string, question: string) => {
  const client = new OpenAI({ baseURL, apiKey: "no-client-keys-configured" })
  const { data, response } = await client.chat.completions
    .create({ model: "chat", messages: [{ role: "user", content: question }] })
    .withResponse()
  return {
    answer: data.choices[0]?.message.content,
    provider: response.headers.get("x-switchyard-provider"),
    attempts: response.headers.get("x-switchyard-attempts")
  }
}
