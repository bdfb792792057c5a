/**
 * For tests against a real Redis: a key prefix of the test's own (give it as the state's `prefix`),
 * whose keys are deleted when the test's scope closes, and the keys under a prefix.
 */
import { randomUUID } from "node:crypto"
import { NodeRedis } from "@effect/platform-node"
import { Context, Effect, Layer, type Scope } from "effect"
import { Redis } from "effect/persistence"

const withRedis = <A>(url: string, f: (redis: Redis.Redis["Service"]) => Effect.Effect<A, Redis.RedisError>) =>
  Effect.flatMap(Layer.build(NodeRedis.layer({ url })), (context) => f(Context.get(context, Redis.Redis))).pipe(
    Effect.scoped,
    Effect.orDie
  )

/** The keys under `prefix` in the Redis at `url`. */
export const keysUnder = (url: string, prefix: string): Effect.Effect<ReadonlyArray<string>> =>
  withRedis(url, (redis) => redis.send<ReadonlyArray<string>>("KEYS", `${prefix}*`))

/** A prefix no other test uses; its keys in the Redis at `url` are deleted when the scope closes. */
export const testPrefix = (url: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.gen(function*() {
    const prefix = `switchyard-test:${randomUUID()}:`
    yield* Effect.addFinalizer(() =>
      withRedis(url, (redis) =>
        Effect.flatMap(redis.send<ReadonlyArray<string>>("KEYS", `${prefix}*`), (keys) =>
          keys.length > 0 ? Effect.asVoid(redis.send("DEL", ...keys)) : Effect.void))
    )
    return prefix
  })
