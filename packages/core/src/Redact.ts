/**
 * Removes secrets from text that is kept for debugging (error bodies, logs). Known credential shapes
 * are masked, and so is any exact secret the caller names (the configured API keys).
 */

const patterns: ReadonlyArray<RegExp> = [
  /\bsk-(?:ant-|proj-|or-v1-)?[A-Za-z0-9_-]{8,}/g, // OpenAI, Anthropic, OpenRouter
  /\bAIza[0-9A-Za-z_-]{20,}/g, // Google
  /\bxai-[A-Za-z0-9]{10,}/g, // xAI
  /\bgsk_[A-Za-z0-9]{10,}/g, // Groq
  /\bhf_[A-Za-z0-9]{10,}/g, // Hugging Face
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /([?&](?:key|api_key|apikey|access_token)=)[^&\s"']+/gi,
  /("(?:api_key|apiKey|x-api-key|authorization|access_token)"\s*:\s*")[^"]+/gi
]

const MASK = "[REDACTED]"

/** Text with secrets replaced by `[REDACTED]`. */
export const redact = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join(MASK)
  }
  for (const pattern of patterns) {
    out = out.replace(pattern, (_match, prefix?: unknown) => (typeof prefix === "string" ? prefix : "") + MASK)
  }
  return out
}

const MAX_BODY = 4096

/** A redacted body, cut to a size that is safe to log and return. */
export const redactBody = (body: string, secrets: ReadonlyArray<string> = []): string => {
  const cut = body.length > MAX_BODY ? body.slice(0, MAX_BODY) + `…[${body.length - MAX_BODY} more chars]` : body
  return redact(cut, secrets)
}
