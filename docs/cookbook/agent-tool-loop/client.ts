import OpenAI from "openai"

const tools: Array<OpenAI.Chat.ChatCompletionTool> = [
  {
    type: "function",
    function: { name: "list_files", description: "List the files of the project", parameters: { type: "object", properties: {} } }
  },
  {
    type: "function",
    function: {
      name: "read_file",
      description: "Read one file",
      parameters: { type: "object", required: ["path"], properties: { path: { type: "string" } } }
    }
  }
]

/** Runs a tool-calling agent over an in-memory project until the model answers without a tool call. */
export const runAgent = async (baseURL: string, task: string, files: Record<string, string>, maxTurns = 10) => {
  const client = new OpenAI({ baseURL, apiKey: "no-client-keys-configured" })
  const messages: Array<OpenAI.Chat.ChatCompletionMessageParam> = [{ role: "user", content: task }]
  const run = (name: string, args: { path?: string }) =>
    name === "list_files" ? Object.keys(files).join("\n") : files[args.path ?? ""] ?? `no such file: ${args.path}`
  for (let turn = 1; turn <= maxTurns; turn++) {
    const stream = client.chat.completions.stream({ model: "agent", messages, tools })
    const message = (await stream.finalChatCompletion()).choices[0]!.message
    messages.push(message)
    if (!message.tool_calls?.length) return { answer: message.content, turns: turn, messages }
    for (const call of message.tool_calls) {
      if (call.type !== "function") continue
      const content = run(call.function.name, JSON.parse(call.function.arguments || "{}"))
      messages.push({ role: "tool", tool_call_id: call.id, content })
    }
  }
  throw new Error(`no answer after ${maxTurns} turns`)
}
