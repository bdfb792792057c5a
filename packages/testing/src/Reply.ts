/**
 * What `MockUpstream` answers to one request: a status, headers, and a body written as a list of
 * chunks, each after its own delay, plus how the connection misbehaves (see `Fault`). Replies are
 * plain immutable data: build them here or with a wire builder (`OpenAiChatWire.stream(...)`), then
 * `pipe` them through `Fault` combinators.
 */
import { Duration, Pipeable } from "effect"

/** One write of the body. */
export interface Chunk {
  readonly bytes: Uint8Array
  /** Milliseconds to wait before writing this chunk. */
  readonly delay: number
  /** Marks the provider's end-of-stream marker (`data: [DONE]`, `message_stop`, ...); see `Fault.dropTerminal`. */
  readonly terminal: boolean
}

/** How the body is framed, so faults can corrupt a frame the way the format would break. */
export type Framing = "sse" | "ndjson" | "none"

/** Connection-level behaviour, set through `Fault`. */
export interface Transport {
  /** Milliseconds between receiving the request and sending the headers. */
  readonly latency: number
  /** Accept the request and never answer. */
  readonly hang: boolean
  /** Reset the connection (TCP RST) instead of sending headers. */
  readonly reset: boolean
  /** Split every chunk into writes of at most this many bytes. */
  readonly writeSize: number | undefined
  /** Milliseconds between those small writes. */
  readonly writeGap: number
  /** Destroy the socket after writing this many chunks. */
  readonly disconnectAfter: number | undefined
  /** Stop writing after this many chunks and keep the connection open. */
  readonly stallAfter: number | undefined
}

export interface Reply extends Pipeable.Pipeable {
  readonly status: number
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly chunks: ReadonlyArray<Chunk>
  /** Send `Content-Length` (a whole body) rather than chunked transfer encoding. */
  readonly contentLength: boolean
  readonly framing: Framing
  readonly transport: Transport
}

/** The fields of a reply, without `pipe`. */
export type Fields = Omit<Reply, "pipe">

const ReplyProto: Pipeable.Pipeable = {
  pipe() {
    return Pipeable.pipeArguments(this, arguments)
  }
}

const noFaults: Transport = {
  latency: 0,
  hang: false,
  reset: false,
  writeSize: undefined,
  writeGap: 1,
  disconnectAfter: undefined,
  stallAfter: undefined
}

const encoder = new TextEncoder()

/** A body piece: bytes or text, optionally with a delay before it and the terminal mark. */
export type ChunkInput =
  | string
  | Uint8Array
  | {
    readonly data: string | Uint8Array
    readonly delay?: Duration.Input | undefined
    readonly terminal?: boolean | undefined
  }

/** Makes a chunk from text or bytes. */
export const chunk = (input: ChunkInput): Chunk => {
  if (typeof input === "string" || input instanceof Uint8Array) {
    return { bytes: typeof input === "string" ? encoder.encode(input) : input, delay: 0, terminal: false }
  }
  return {
    bytes: typeof input.data === "string" ? encoder.encode(input.data) : input.data,
    delay: input.delay === undefined ? 0 : Duration.toMillis(input.delay),
    terminal: input.terminal ?? false
  }
}

/** Builds a reply from all of its fields. */
export const fromFields = (fields: Fields): Reply => Object.assign(Object.create(ReplyProto), fields)

/** Returns the reply with some fields replaced. */
export const modify = (reply: Reply, patch: Partial<Fields>): Reply => fromFields({ ...reply, ...patch })

const lowerCase = (headers: Readonly<Record<string, string>> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))

export interface Options {
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** A whole body (sent with `Content-Length`), or the chunks of a streamed one. */
  readonly body?: string | Uint8Array | ReadonlyArray<ChunkInput> | undefined
  readonly framing?: Framing | undefined
}

/** A reply from raw parts; status 200 and an empty body by default. */
export const make = (options: Options = {}): Reply => {
  const body = options.body ?? ""
  const whole = typeof body === "string" || body instanceof Uint8Array
  return fromFields({
    status: options.status ?? 200,
    headers: lowerCase(options.headers),
    chunks: whole ? [chunk(body)] : body.map(chunk),
    contentLength: whole,
    framing: options.framing ?? "none",
    transport: noFaults
  })
}

/** Adds or replaces headers. */
export const setHeaders = (headers: Readonly<Record<string, string>>) => (reply: Reply): Reply =>
  modify(reply, { headers: { ...reply.headers, ...lowerCase(headers) } })

/** A JSON body, serialized compactly unless given as text. */
export const json = (
  body: unknown,
  options: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> } = {}
): Reply =>
  make({
    status: options.status ?? 200,
    headers: { "content-type": "application/json", ...options.headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

/** A plain-text body, as some proxies and servers answer errors. */
export const text = (status: number, body: string, headers?: Readonly<Record<string, string>>): Reply =>
  make({ status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body })

const nginxTitles: Readonly<Record<number, string>> = {
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out"
}

/** The error page nginx serves in front of an API (CRLF line ends, `Server: nginx`). */
export const nginxError = (status: 429 | 500 | 502 | 503 | 504 = 502): Reply => {
  const title = `${status} ${nginxTitles[status]}`
  return make({
    status,
    headers: { "content-type": "text/html", server: "nginx" },
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n` +
      `<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  })
}

const cloudflareTitles: Readonly<Record<number, string>> = {
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway time-out",
  520: "Web server is returning an unknown error",
  522: "Connection timed out",
  524: "A timeout occurred"
}

/** A Cloudflare-branded error page (abridged), with its `Server` and `CF-Ray` headers. */
export const cloudflareError = (
  status: 500 | 502 | 503 | 504 | 520 | 522 | 524 = 502,
  options: { readonly host?: string; readonly rayId?: string } = {}
): Reply => {
  const host = options.host ?? "api.example.com"
  const ray = options.rayId ?? "8f2a6c1e9b3d4f70"
  const title = cloudflareTitles[status] ?? "Error"
  return make({
    status,
    headers: { "content-type": "text/html; charset=UTF-8", server: "cloudflare", "cf-ray": `${ray}-SJC` },
    body: `<!DOCTYPE html>\n<html class="no-js" lang="en-US">\n<head>\n<title>${host} | ${status}: ${title}</title>\n` +
      `<meta charset="UTF-8" />\n</head>\n<body>\n<div id="cf-wrapper">\n<div id="cf-error-details">\n` +
      `<h1><span class="inline-block">${title}</span> <span class="code-label">Error code ${status}</span></h1>\n` +
      `</div>\n<div class="cf-error-footer">\n<span class="cf-footer-item">Cloudflare Ray ID: ` +
      `<strong class="font-semibold">${ray}</strong></span>\n</div>\n</div>\n</body>\n</html>\n`
  })
}

/** Status 200 with an empty body: a base for pure transport faults (`Fault.hang`, `Fault.reset`). */
export const empty: Reply = make()
