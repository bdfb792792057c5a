import OpenAI from "openai"

const schema = {
  type: "object",
  required: ["severity", "summary"],
  additionalProperties: false,
  properties: {
    severity: { enum: ["low", "medium", "high"] },
    summary: { type: "string" }
  }
}

/** Triages a bug report into `{severity, summary}`, held to the schema by the gateway. */
export const triage = async (baseURL: string, report: string) => {
  const client = new OpenAI({ baseURL, apiKey: "no-client-keys-configured" })
  const { data, response } = await client.chat.completions
    .create({
      model: "triage",
      messages: [{ role: "user", content: `Triage this bug report: ${report}` }],
      response_format: { type: "json_schema", json_schema: { name: "triage", schema, strict: true } }
    })
    .withResponse()
  return {
    triage: JSON.parse(data.choices[0]?.message.content ?? "null"),
    model: response.headers.get("x-switchyard-model"),
    contract: response.headers.get("x-switchyard-contract")
  }
}
