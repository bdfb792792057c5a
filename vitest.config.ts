import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

// The workspace packages resolve to their TypeScript sources in tests (the `@switchyard/source`
// export condition; published packages resolve to `dist/`).
const conditions = ["@switchyard/source", ...defaultServerConditions]

/** Every workspace folder with a package.json, as a project named after its package. */
const workspaces = [...readdirSync("packages").map((dir) => join("packages", dir)), "examples", "docs"]
  .filter((dir) => existsSync(join(dir, "package.json")))
  .map((dir) => ({
    extends: true as const,
    test: { name: (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string }).name, root: dir }
  }))

// One project per package (vitest's `test.projects` replaces the deprecated vitest.workspace.ts),
// and `latency`: tests that assert response times, run after the others, one file at a time, so
// the machine's other work does not decide them.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      ...workspaces,
      {
        extends: true,
        test: {
          name: "latency",
          include: ["packages/*/test/**/*.latency.ts"],
          sequence: { groupOrder: 1 },
          // One file at a time: each measures response times, which another file's load would skew.
          fileParallelism: false
        }
      }
    ],
    testTimeout: 30_000
  }
})
