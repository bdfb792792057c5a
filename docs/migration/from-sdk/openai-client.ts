import OpenAI from "openai"

// Before: new OpenAI({ apiKey: process.env.OPENAI_API_KEY })
export const openai = (gateway: string) => new OpenAI({ baseURL: `${gateway}/v1`, apiKey: "no-client-keys-configured" })

export const hello = async (gateway: string, model: string) => {
  const answer = await openai(gateway).chat.completions.create({ model, messages: [{ role: "user", content: "Hello!" }] })
  return answer.choices[0]?.message.content
}
