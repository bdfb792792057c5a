import { defineConfig } from "vitest/config"

// One project per package (vitest's `test.projects` replaces the deprecated vitest.workspace.ts).
export default defineConfig({
  test: {
    projects: ["packages/*", "examples"],
    testTimeout: 30_000
  }
})
