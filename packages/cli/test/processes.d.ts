/**
 * Runs the `switchyard` command as a user would: a real Node process, its output and exit code.
 */
import { Effect } from "effect";
export declare const bin: string;
/** Runs `switchyard ...args` to completion. */
export declare const run: (args: ReadonlyArray<string>, options?: {
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
}) => Effect.Effect<{
    code: number | null;
    stdout: string;
    stderr: string;
}, never, never>;
/** The environment of a fresh machine: no provider keys. */
export declare const cleanEnv: () => {
    [k: string]: string | undefined;
};
export interface Running {
    readonly url: string;
    readonly output: () => string;
}
/** Starts `switchyard ...args`, waits for its "listening" line, and kills it with the scope. */
export declare const start: (args: ReadonlyArray<string>, env?: Record<string, string | undefined>) => Effect.Effect<Running, Error, import("effect/Scope").Scope>;
