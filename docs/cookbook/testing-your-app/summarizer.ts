import { Context, Effect, Layer } from "effect"
import { Gateway, type GatewayError } from "@switchyard/gateway"

/** Your application's service: it summarizes support tickets with whatever model `summary` routes to. */
export class Summarizer extends Context.Service<Summarizer, {
  readonly summarize: (
    ticket: string
  ) => Effect.Effect<{ readonly summary: string; readonly by: string }, GatewayError.UnknownModel | GatewayError.BudgetExceeded | GatewayError.RateLimited>
}>()("app/Summarizer") {}

export const layer = Layer.effect(
  Summarizer,
  Effect.gen(function*() {
    const gateway = yield* Gateway.Gateway
    return {
      summarize: (ticket) =>
        gateway.complete({
          model: "summary",
          max_tokens: 200,
          messages: [{ role: "system", content: "Summarize the ticket in one sentence." }, { role: "user", content: ticket }]
        }).pipe(
          Effect.map((answer) => ({ summary: answer.response.choices[0]?.content ?? "", by: answer.route.provider })),
          // When every route fails, the ticket is still filed, without a summary.
          Effect.catchTag("RoutesExhausted", () => Effect.succeed({ summary: "(no summary)", by: "none" }))
        )
    }
  })
)
