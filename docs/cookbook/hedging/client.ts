import OpenAI from "openai"

/** Streams a completion from `autocomplete`: the text, the time to its first token, the attempts. */
export const complete = async (baseURL: string, prefix: string) => {
  const client = new OpenAI({ baseURL, apiKey: "no-client-keys-configured" })
  const started = Date.now()
  const { data: stream, response } = await client.chat.completions
    .create({ model: "autocomplete", stream: true, messages: [{ role: "user", content: prefix }] })
    .withResponse()
  let text = ""
  let firstTokenMs: number | undefined
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta.content ?? ""
    if (delta !== "") firstTokenMs ??= Date.now() - started
    text += delta
  }
  return { text, firstTokenMs, attempts: response.headers.get("x-switchyard-attempts") }
}
