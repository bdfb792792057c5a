/**
 * Getting an answer that honours an output contract, across routes: each route's template writes
 * the request; the answer (the forced tool call's arguments, else the text) is parsed and validated;
 * if it fails, the named repairs are tried; if it still fails, the same route is asked once more with
 * the violations spelled out; then the next route. The result says which repairs were applied and
 * which routes were tried.
 */
import { Clock, Data, Effect } from "effect"
import type { ChatRequest, ChatResponse, ProviderError } from "@switchyard/core"
import type { OutputContract, Violation } from "./OutputContract.ts"
import * as PromptTemplates from "./PromptTemplates.ts"
import * as Repair from "./Repair.ts"

/** A route as `provider/model`. */
export type Route = string

/** Calls one route; the gateway's `complete` with `model: route`, a provider, or a mock. */
export type Call = (route: Route, request: ChatRequest.ChatRequest) => Effect.Effect<ChatResponse.ChatResponse, ProviderError.ProviderError>

/** How one route did: `passed` as is, `repaired`, `reasked` (passed on the second ask), or `failed`. */
export interface Attempt {
  readonly route: Route
  readonly outcome: "passed" | "repaired" | "reasked" | "failed"
  /** What was wrong with the last answer (empty when it passed). */
  readonly violations: ReadonlyArray<Violation>
  readonly repairs: ReadonlyArray<string>
  /** A provider failure, when the route did not answer. */
  readonly error?: string | undefined
  readonly latencyMs: number
  /** The provider's answers for this route (one, or two after a re-ask): for usage and cost. */
  readonly responses: ReadonlyArray<ChatResponse.ChatResponse>
}

export interface Conformed {
  readonly value: unknown
  readonly route: Route
  readonly repairs: ReadonlyArray<string>
  readonly attempts: ReadonlyArray<Attempt>
}

/** No route produced an answer that honours the contract; `attempts` says what each did. */
export class ContractFailed extends Data.TaggedError("ContractFailed")<{
  readonly contract: string
  readonly attempts: ReadonlyArray<Attempt>
}> {
  override get message(): string {
    const lines = this.attempts.map((a) =>
      `${a.route}: ${a.error ?? a.violations.map((v) => `${v.path || "(answer)"} ${v.message}`).join("; ")}`
    )
    return `No answer honoured the contract "${this.contract}":\n${lines.join("\n")}`
  }
}

/** The answer's payload: a forced tool call's arguments, else the text. */
export const answerText = (response: ChatResponse.ChatResponse): string => {
  const choice = response.choices[0]
  return choice?.toolCalls[0]?.arguments ?? choice?.content ?? ""
}

/** The value, repaired where needed, or what is still wrong. */
export const check = (
  text: string,
  contract: OutputContract
): { readonly value: unknown; readonly repairs: ReadonlyArray<string> } | { readonly violations: ReadonlyArray<Violation> } => {
  const parsed = Repair.parseAnswer(text)
  if (parsed === undefined) return { violations: [{ path: "", message: "expected JSON, got text with no JSON value in it" }] }
  let value = parsed.value
  const repairs = parsed.repair === undefined ? [] : [parsed.repair]
  let violations = contract.validate(value)
  for (const step of Repair.steps) {
    if (violations.length === 0) break
    const applied = step(value, contract)
    if (applied === undefined) continue
    value = applied.value
    repairs.push(applied.note)
    violations = contract.validate(value)
  }
  return violations.length === 0 ? { value, repairs } : { violations }
}

/** The follow-up message of a re-ask: what was wrong, where, and what is expected. */
export const reaskMessage = (violations: ReadonlyArray<Violation>, contract: OutputContract): string =>
  [
    "Your answer does not match the required format:",
    ...violations.map((v) => `- ${v.path === "" ? "the answer" : v.path}: ${v.message}`),
    `Answer again with JSON only, matching this JSON Schema: ${JSON.stringify(contract.jsonSchema)}`
  ].join("\n")

/** Asks `routes` in order until one answers within the contract. */
export const run = (options: {
  readonly request: ChatRequest.ChatRequest
  readonly contract: OutputContract
  readonly routes: ReadonlyArray<Route>
  readonly call: Call
  readonly templates?: PromptTemplates.PromptTemplates["Service"] | undefined
}): Effect.Effect<Conformed, ContractFailed> =>
  Effect.gen(function*() {
    const { contract, request } = options
    const attempts: Array<Attempt> = []
    for (const route of options.routes) {
      const slash = route.indexOf("/")
      const template = options.templates?.forRoute(route.slice(0, slash), route.slice(slash + 1)) ?? {}
      const first = PromptTemplates.apply(template, request, contract)
      const started = yield* Clock.currentTimeMillis
      const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - started)
      const answered = yield* Effect.result(options.call(route, first))
      if (answered._tag === "Failure") {
        attempts.push({ route, outcome: "failed", violations: [], repairs: [], error: answered.failure.message, latencyMs: yield* elapsed, responses: [] })
        continue
      }
      const text = answerText(answered.success)
      const checked = check(text, contract)
      if ("value" in checked) {
        const outcome = checked.repairs.length === 0 ? "passed" : "repaired"
        attempts.push({ route, outcome, violations: [], repairs: checked.repairs, latencyMs: yield* elapsed, responses: [answered.success] })
        return { value: checked.value, route, repairs: checked.repairs, attempts }
      }
      const again = yield* Effect.result(options.call(route, {
        ...first,
        messages: [
          ...first.messages,
          { role: "assistant", content: text },
          { role: "user", content: reaskMessage(checked.violations, contract) }
        ]
      }))
      const second = again._tag === "Success" ? check(answerText(again.success), contract) : checked
      const responses = again._tag === "Success" ? [answered.success, again.success] : [answered.success]
      if ("value" in second) {
        attempts.push({ route, outcome: "reasked", violations: [], repairs: second.repairs, latencyMs: yield* elapsed, responses })
        return { value: second.value, route, repairs: second.repairs, attempts }
      }
      attempts.push({
        route,
        outcome: "failed",
        violations: second.violations,
        repairs: [],
        error: again._tag === "Failure" ? again.failure.message : undefined,
        latencyMs: yield* elapsed,
        responses
      })
    }
    return yield* new ContractFailed({ contract: contract.name, attempts })
  })
