/**
 * The V8 settings `switchyard serve` runs Node with, chosen for a gateway rather than left to V8's
 * sizing for the machine. On a large machine (where V8 allows itself a heap over 2 GiB) V8 gives
 * the young generation 64 MB semi-spaces; under a gateway's load each collection of it copies about
 * a fifth of what was allocated since the last one and stops the process for 9–17 ms, and the RSS
 * under sustained load reaches 470–590 MB. With 16 MB semi-spaces the pauses are 4–5 ms and the RSS
 * 80–100 MB lower, at no measured CPU cost (smaller ones cost CPU: 4 MB did, 15–40% under load; see
 * docs/benchmarks.md). Where V8 already sizes it no larger (a container, a small machine), or the
 * operator chose a size, nothing changes.
 */

/** The young generation's semi-space, in MB, that `serve` runs with on a large machine. */
export const SEMI_SPACE_MB = 16

/** Above this heap limit V8 sized itself for a large machine (its semi-spaces exceed 16 MB). */
export const LARGE_HEAP_LIMIT = 2 * 2 ** 30

/** How this Node was started, and the heap limit V8 chose. */
export interface Start {
  /** The command's arguments (`process.argv.slice(2)`). */
  readonly args: ReadonlyArray<string>
  readonly execArgv: ReadonlyArray<string>
  readonly nodeOptions: string | undefined
  readonly heapSizeLimit: number
}

const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size\b/

/**
 * The flags to restart Node with before serving, or none: when the command is not `serve` (a
 * restart costs a Node start, about 40 ms, which only a long-running server earns back), when the
 * semi-space was set by the operator, or when V8 sized the heap for a small machine.
 */
export const restartFlags = (start: Start): ReadonlyArray<string> => {
  const given = [...start.execArgv, ...(start.nodeOptions ?? "").split(/\s+/)]
  return !start.args.includes("serve") || given.some((arg) => SEMI_SPACE_FLAG.test(arg)) ||
      start.heapSizeLimit <= LARGE_HEAP_LIMIT
    ? []
    : [`--max-semi-space-size=${SEMI_SPACE_MB}`]
}
