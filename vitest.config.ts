import { defineConfig } from "vitest/config"

// One project per package (vitest's `test.projects` replaces the deprecated vitest.workspace.ts),
// and `latency`: tests that assert response times, run after the others, alone, so the machine's
// other work does not decide them.
export default defineConfig({
  test: {
    projects: [
      "packages/*",
      "examples",
      {
        extends: true,
        test: { name: "latency", include: ["packages/*/test/**/*.latency.ts"], sequence: { groupOrder: 1 } }
      }
    ],
    testTimeout: 30_000
  }
})
