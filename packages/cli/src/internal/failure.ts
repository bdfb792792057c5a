/** How every command ends on a problem it can name: the message on stderr, and exit code 1. */
import { Console, Effect } from "effect"

export const failure = (message: string): Effect.Effect<void> =>
  Console.error(message).pipe(Effect.andThen(Effect.sync(() => {
    process.exitCode = 1
  })))
