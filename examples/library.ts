/**
 * Switchyard as a library: the same `Gateway` service the HTTP server uses, in an Effect program.
 * Runs offline with the built-in demo provider: `npx node examples/library.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Stream } from "effect"
import { Gateway, GatewayConfig } from "@switchyard/gateway"
import { Server } from "@switchyard/server"

const program = Effect.gen(function*() {
  const gateway = yield* Gateway.Gateway
  const answer = yield* gateway.complete({ model: "demo", messages: [{ role: "user", content: "Hello!" }] })
  yield* Console.log(`${answer.route.provider}/${answer.route.model}: ${answer.response.choices[0]?.content}`)

  const streaming = yield* gateway.stream({ model: "demo", stream: true, messages: [{ role: "user", content: "Stream, please." }] })
  yield* streaming.events.pipe(
    Stream.filter((event) => event._tag === "TextDelta"),
    Stream.runForEach((event) => Console.log(`delta: ${JSON.stringify(event.text)}`))
  )
})

const config: GatewayConfig.GatewayConfig = { ...GatewayConfig.fromEnv({}), ledger: { kind: "memory" } }

NodeRuntime.runMain(program.pipe(Effect.provide(Server.gatewayLayer(config))))
