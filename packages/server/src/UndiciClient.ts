/**
 * The HTTP client the gateway calls its upstreams with: Effect's `HttpClient` over undici's
 * `Dispatcher.request`, for the calls a provider makes (a body of bytes or none, no query parameters
 * or fragment, no upgrade, no span to make); any other call goes to `NodeHttpClient.makeUndici`,
 * on the same dispatcher.
 *
 * `NodeHttpClient.makeUndici` costs a streamed call about 90 µs more than undici itself (`npm run
 * bench:stages`, `client.*`: a streamed answer from the mock upstream over loopback, read to its
 * end, 314–322 µs a call against 224–230; this client 252–260): `HttpClient.make` wraps every
 * response to abort its `AbortController` when the body ends, a normal end included, and each abort
 * builds a `DOMException` with its stack; and it hands undici that signal, whose listeners undici
 * adds and removes on every call. Here the call is aborted only when it is interrupted, and a body
 * is released when its reader stops: read to its end it leaves the connection to undici's pool, left
 * early (an interrupted stream) it is destroyed, and never read at all (the caller interrupted
 * between the answer's head and its body) it is destroyed once the response is garbage collected, as
 * Effect's own client does.
 */
import { EventEmitter } from "node:events"
import type { Readable } from "node:stream"
import { Effect, Inspectable, Option, Pipeable, type Schema, type Stream, Tracer } from "effect"
import {
  Cookies,
  Headers,
  HttpClient,
  HttpClientError,
  type HttpClientRequest,
  HttpClientResponse,
  HttpIncomingMessage,
  UrlParams
} from "effect/http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"

/** What undici's `Dispatcher.request` answers. */
interface Answer {
  readonly statusCode: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Readable & { arrayBuffer(): Promise<ArrayBuffer> }
}

/** Bodies of responses collected before anyone read them: destroyed, so their connection is freed. */
const unread = new FinalizationRegistry<Readable>((body) => body.destroy())

const noop = () => {}

type Failure = HttpClientError.HttpClientError

const decodeError = (response: UndiciResponse, cause: unknown): Failure =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.DecodeError({ request: response.request, response, cause })
  })

/** A response of undici's as Effect's `HttpClientResponse`. */
class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId] = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId] = HttpIncomingMessage.TypeId
  readonly request: HttpClientRequest.HttpClientRequest
  readonly url: string
  private readonly source: Answer
  private cachedHeaders: Headers.Headers | undefined
  private cachedBytes: Effect.Effect<ArrayBuffer, Failure> | undefined

  constructor(request: HttpClientRequest.HttpClientRequest, source: Answer, url: string) {
    super()
    this.request = request
    this.source = source
    this.url = url
    // An error after the reader left (a reset connection) is no one's to handle.
    source.body.on("error", noop)
    unread.register(this, source.body, this)
  }

  /** The body, from now on its reader's to release. */
  private take(): Answer["body"] {
    unread.unregister(this)
    return this.source.body
  }

  get status() {
    return this.source.statusCode
  }

  get headers() {
    return (this.cachedHeaders ??= Headers.fromInput(this.source.headers))
  }

  get cookies() {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }

  get remoteAddress() {
    return Option.none<string>()
  }

  /** The body as it arrives; the stream's end (however it ends) destroys what is left of it. */
  get stream(): Stream.Stream<Uint8Array, Failure> {
    return NodeStream.fromReadable({ evaluate: () => this.take(), onError: (cause) => decodeError(this, cause) })
  }

  /** The whole body, read once however often it is asked for. */
  get arrayBuffer(): Effect.Effect<ArrayBuffer, Failure> {
    return (this.cachedBytes ??= Effect.runSync(Effect.cached(Effect.tryPromise({
      try: () => this.take().arrayBuffer(),
      catch: (cause) => decodeError(this, cause)
    }))))
  }

  get text(): Effect.Effect<string, Failure> {
    return Effect.map(this.arrayBuffer, (bytes) => new TextDecoder().decode(bytes))
  }

  get json(): Effect.Effect<Schema.Json, Failure> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: (): Schema.Json => (text === "" ? null : JSON.parse(text)), catch: (cause) => decodeError(this, cause) }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, Failure> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        // A leading "?" is form data; URLSearchParams would drop it as a query prefix.
        try: () => UrlParams.fromInput(new URLSearchParams(text.replace(/^\?/, "%3F"))),
        catch: (cause) => decodeError(this, cause)
      }))
  }

  get formData(): Effect.Effect<FormData, Failure> {
    return Effect.flatMap(this.arrayBuffer, (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes, { headers: this.headers }).formData(),
        catch: (cause) => decodeError(this, cause)
      }))
  }

  /** No call made here asks for an upgrade (those go to Effect's client), so no response is one. */
  get upgrade(): Effect.Effect<never, Failure> {
    return Effect.fail(
      new HttpClientError.HttpClientError({ reason: new HttpClientError.StatusCodeError({ request: this.request, response: this }) })
    )
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "effect/http/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }

  pipe() {
    return Pipeable.pipeArguments(this, arguments)
  }
}

/** Where a call goes, when this client makes it itself: its origin and path, and the body's bytes. */
const leanTarget = (request: HttpClientRequest.HttpClientRequest) => {
  const body = request.body
  if (body._tag !== "Empty" && body._tag !== "Uint8Array") return undefined
  if (request.urlParams.params.length > 0 || Option.isSome(request.hash) || request.headers["upgrade"] !== undefined) return undefined
  const url = URL.parse(request.url)
  return url === null ? undefined : { url, body: body._tag === "Empty" ? null : body.body }
}

/** The client, on the current undici `Dispatcher`. */
export const make: Effect.Effect<HttpClient.HttpClient, never, NodeHttpClient.Dispatcher> = Effect.gen(function*() {
  const dispatcher = yield* NodeHttpClient.Dispatcher
  const fallback = yield* NodeHttpClient.makeUndici

  const send = (request: HttpClientRequest.HttpClientRequest, target: NonNullable<ReturnType<typeof leanTarget>>, undiciOptions: object) =>
    Effect.callback<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      // undici listens to an emitter as it does to an `AbortSignal`; it is told only if the call is interrupted.
      const signal = new EventEmitter()
      const state = { interrupted: false }
      dispatcher.request({
        ...undiciOptions,
        method: request.method,
        headers: request.headers,
        origin: target.url.origin,
        path: target.url.pathname + target.url.search,
        body: target.body,
        signal,
        // Timeouts are the gateway's (`StreamTimeouts`).
        headersTimeout: 60 * 60 * 1000,
        bodyTimeout: 0
      }).then(
        (answer) => {
          if (state.interrupted) answer.body.destroy()
          else resume(Effect.succeed(new UndiciResponse(request, answer as unknown as Answer, target.url.href)))
        },
        (cause) => resume(Effect.fail(new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause }) })))
      )
      return Effect.sync(() => {
        state.interrupted = true
        signal.emit("abort")
      })
    })

  return HttpClient.makeWith<never, never, Failure, never>(
    (requests) =>
      Effect.flatMap(requests, (request) =>
        Effect.withFiber((fiber) => {
          // A call to trace goes to Effect's client, which makes its span and sends the trace context.
          const traced = !(fiber.getRef(Tracer.DisablePropagation) || fiber.getRef(HttpClient.TracerDisabledWhen)(request))
          const target = traced ? undefined : leanTarget(request)
          return target === undefined ? fallback.execute(request) : send(request, target, fiber.getRef(NodeHttpClient.UndiciOptions))
        })),
    Effect.succeed
  )
})
