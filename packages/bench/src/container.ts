/**
 * A memory-limited container for one benchmark target: a Linux memory cgroup of its own (v2, or v1's
 * `memory` controller), which the target is started in, so that Node sizes its heap to the limit as
 * it does in a container (`process.constrainedMemory()`). Needs write access to `/sys/fs/cgroup`
 * (root, or a delegated subtree); where there is none, `make` says why.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export interface Container {
  /** The command that runs `command args` inside the container (a shell joins it, then `exec`s). */
  readonly wrap: (command: string, args: ReadonlyArray<string>) => readonly [string, ReadonlyArray<string>]
  /** Removes the cgroup (once its processes have exited). */
  readonly remove: () => void
}

const V2_ROOT = "/sys/fs/cgroup"
const V1_ROOT = "/sys/fs/cgroup/memory"

/** Where a new memory cgroup can be made and how its limit is set, or why none can. */
const layout = (): { readonly root: string; readonly limitFile: string } | string => {
  const controllers = join(V2_ROOT, "cgroup.controllers")
  if (existsSync(controllers)) {
    return readFileSync(join(V2_ROOT, "cgroup.subtree_control"), "utf8").includes("memory")
      ? { root: V2_ROOT, limitFile: "memory.max" }
      : "cgroup v2 without the memory controller enabled for children"
  }
  return existsSync(join(V1_ROOT, "memory.limit_in_bytes"))
    ? { root: V1_ROOT, limitFile: "memory.limit_in_bytes" }
    : "no memory cgroup controller mounted"
}

/** A container of `limitMb`, named `name` (unique per run), or the reason there can be none. */
export const make = (name: string, limitMb: number): Container | string => {
  const where = layout()
  if (typeof where === "string") return where
  const dir = join(where.root, `switchyard-bench-${process.pid}-${name}`)
  try {
    mkdirSync(dir)
    writeFileSync(join(dir, where.limitFile), String(limitMb * 1024 * 1024))
  } catch (error) {
    return `cannot make a memory cgroup: ${error instanceof Error ? error.message : String(error)}`
  }
  return {
    wrap: (command, args) => ["/bin/sh", ["-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir, command, ...args]],
    remove: () => {
      try {
        rmdirSync(dir)
      } catch {
        // still in use, or gone
      }
    }
  }
}
