/**
 * The pages cannot drift from what the tests run: every block marked `<!-- file: PATH -->` in the
 * cookbook, the migration guides and getting started is that file's text exactly, and every file of
 * a page's folder (`docs/cookbook/fallback-chain/` for `fallback-chain.md`) is shown in the page,
 * except `recipe.test.ts`, the test that runs them.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { read, shownFiles } from "./Docs.ts"

const docs = dirname(dirname(new URL(import.meta.url).pathname))

const pages = [
  join(docs, "getting-started.md"),
  ...["cookbook", "migration"].flatMap((folder) =>
    readdirSync(join(docs, folder)).filter((name) => name.endsWith(".md") && name !== "README.md").map((name) => join(docs, folder, name))
  )
]

describe("pages show the files the tests run", () => {
  it.each(pages.map((page) => [page.slice(docs.length + 1), page]))("%s", (_name, page) => {
    const shown = shownFiles(read(page))
    for (const { file, code } of shown) {
      const path = join(dirname(page), file)
      expect(existsSync(path), `${file} is shown but does not exist`).toBe(true)
      expect(code, `the block shown as ${file}`).toBe(read(path).replace(/\n+$/, ""))
    }
    const folder = page.replace(/\.md$/, "")
    if (existsSync(folder)) {
      const files = readdirSync(folder).filter((name) => name !== "recipe.test.ts")
      const paths = new Set(shown.map((s) => s.file))
      for (const name of files) {
        expect(paths.has(`${folder.slice(dirname(page).length + 1)}/${name}`), `${name} is not shown in the page`).toBe(true)
      }
    }
  })

  it("every page shows at least one file", () => {
    for (const page of pages) expect(shownFiles(read(page)).length, page).toBeGreaterThan(0)
  })
})
