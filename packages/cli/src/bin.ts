#!/usr/bin/env node
/**
 * The `switchyard` command. It checks the Node.js version before anything else is loaded (the
 * gateway and `@effect/platform-node` need 22.19 or newer), so an old Node gets one clear line, not
 * a stack trace; then it runs the CLI (`main.ts`) with Node's compile cache on: the modules compiled
 * at a start are written to disk once loaded (`node-compile-cache` in the OS temp folder, or
 * `NODE_COMPILE_CACHE`), not only at a clean exit, so that later starts skip compiling them even
 * after a crash or a `kill -9` (`NODE_DISABLE_COMPILE_CACHE=1` turns it off).
 */
import module from "node:module"

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`switchyard needs Node.js 22.19 or newer; this is Node.js ${process.versions.node}.`)
  process.exit(1)
}
module.enableCompileCache()
await import("./main.ts")
module.flushCompileCache()
