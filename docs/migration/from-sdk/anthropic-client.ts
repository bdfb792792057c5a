import Anthropic from "@anthropic-ai/sdk"

// Before: new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY })
export const anthropic = (gateway: string) => new Anthropic({ baseURL: gateway, apiKey: "no-client-keys-configured" })

export const hello = async (gateway: string, model: string) => {
  const message = await anthropic(gateway).messages.create({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello!" }] })
  return message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("")
}
