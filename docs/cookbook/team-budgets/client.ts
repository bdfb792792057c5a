import OpenAI from "openai"

/** Asks `chat` with a team's key: the answer, or the gateway's error type when it refused. */
export const ask = async (baseURL: string, teamKey: string, question: string) => {
  // A budget refusal is final until the window resets: don't let the SDK retry it.
  const client = new OpenAI({ baseURL, apiKey: teamKey, maxRetries: 0 })
  try {
    const answer = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: question }] })
    return { status: 200, answer: answer.choices[0]?.message.content }
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status, error: error.type, message: error.message }
    throw error
  }
}

/** Spend over the last 24 hours, per key (needs an admin key). */
export const usageByKey = async (baseURL: string, adminKey: string) => {
  const response = await fetch(`${baseURL}/usage?group_by=key`, {
    headers: { authorization: `Bearer ${adminKey}` }
  })
  const usage = (await response.json()) as { data: Array<{ key: string; requests: number; cost_usd: number }> }
  return usage.data.map(({ key, requests, cost_usd }) => ({ key, requests, cost_usd }))
}
