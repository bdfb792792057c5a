#!/usr/bin/env node
/**
 * The `switchyard` command. It checks the Node.js version before anything else is loaded (the
 * gateway and `@effect/platform-node` need 22.19 or newer), so an old Node gets one clear line, not
 * a stack trace; then it runs the CLI (`main.ts`).
 */
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`switchyard needs Node.js 22.19 or newer; this is Node.js ${process.versions.node}.`)
  process.exit(1)
}
await import("./main.ts")
