import OpenAI from "openai"

const invoice = {
  type: "object",
  required: ["vendor", "total", "currency"],
  additionalProperties: false,
  properties: {
    vendor: { type: "string" },
    total: { type: "number" },
    currency: { enum: ["EUR", "USD", "GBP"] }
  }
}

/** Extracts an invoice's fields from text; the gateway holds every provider's answer to the schema. */
export const extractInvoice = async (baseURL: string, text: string) => {
  const client = new OpenAI({ baseURL, apiKey: "no-client-keys-configured" })
  const { data, response } = await client.chat.completions
    .create({
      model: "extract",
      messages: [{ role: "user", content: `Extract the invoice:\n${text}` }],
      response_format: { type: "json_schema", json_schema: { name: "invoice", schema: invoice, strict: true } }
    })
    .withResponse()
  return {
    invoice: JSON.parse(data.choices[0]?.message.content ?? "null"),
    contract: response.headers.get("x-switchyard-contract"),
    repairs: response.headers.get("x-switchyard-repairs")
  }
}
