/**
 * The dashboard in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`)
 * driven by playwright-core, over the gateway serving the scripted mix of `dashboardScenario.ts`.
 * Checks the login (a wrong key is refused on the form), the route table's breakers, the totals
 * against the ledger's, the charts drawn, a request's attempts, and the page refreshing itself.
 * Saves a screenshot to `test/artifacts/dashboard.png`.
 */
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { chromium } from "playwright-core"
import { adminKey, clientKey, getJson, serveMix } from "./dashboardScenario.ts"

const artifacts = fileURLToPath(new URL("artifacts/", import.meta.url))

const browser = Effect.acquireRelease(
  Effect.promise(() =>
    chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
  ),
  (b) => Effect.promise(() => b.close())
)

/** A number as the page shows it (`1,234`, `$0.0420`). */
const shown = (text: string | null): number => Number((text ?? "").replace(/[$,]/g, ""))

describe("dashboard in Chromium", () => {
  it.live("log in, see routes, totals, charts and a request's attempts; it refreshes by itself", () =>
    Effect.gen(function*() {
      const { send, sent, url } = yield* serveMix
      const b = yield* browser
      const tab = yield* Effect.promise(() => b.newPage({ viewport: { width: 1400, height: 1300 } }))
      const errors: Array<string> = []
      tab.on("pageerror", (e) => errors.push(e.message))
      tab.on("console", (m) => m.type() === "error" && !m.text().includes("401") && !m.text().includes("403") && errors.push(m.text()))

      yield* Effect.promise(async () => {
        await tab.goto(`${url}/dashboard?refresh=1`)
        // No key yet: the login form. A wrong key and a client key are refused there.
        await tab.locator("#login").waitFor({ state: "visible" })
        await tab.fill("#key", "sk-wrong-0123456789")
        await tab.click("#login button[type=submit]")
        await tab.locator("#login-error", { hasText: "Invalid API key." }).waitFor()
        await tab.fill("#key", clientKey)
        await tab.click("#login button[type=submit]")
        await tab.locator("#login-error", { hasText: "needs an admin key" }).waitFor()
        await tab.fill("#key", adminKey)
        await tab.click("#login button[type=submit]")
        await tab.locator("#board").waitFor({ state: "visible" })
        await tab.locator("#total-requests", { hasText: /^6$/ }).waitFor()
      })

      // The route table: primary's breaker opened, the others closed.
      const routes = yield* Effect.promise(() =>
        tab.locator("#routes tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)))
      )
      assert.deepStrictEqual(routes.map((r) => [r[0], r[1], r[2], r[3]]), [
        ["smart", "primary/big", "open", "4"],
        ["smart", "backup/small", "closed", "3"],
        ["solo", "flaky/m", "closed", "1"]
      ])

      // The totals are the ledger's.
      const ledger = (yield* getJson(`${url}/v1/usage`)).body.totals
      const totals = yield* Effect.promise(() =>
        Promise.all(["requests", "attempts", "cost", "input-tokens", "output-tokens"].map((id) => tab.textContent(`#total-${id}`)))
      )
      assert.deepStrictEqual(totals.map(shown).filter((_, i) => i !== 2), [ledger.requests, ledger.attempts, ledger.input_tokens, ledger.output_tokens])
      assert.closeTo(shown(totals[2]!), ledger.cost_usd, 5e-5)
      assert.isAbove(ledger.cost_usd, 0.05)

      // Every chart is drawn: a canvas with a size, a legend naming its series.
      for (const id of ["latency", "errors", "provider", "model", "key"]) {
        const box = yield* Effect.promise(() => tab.locator(`#chart-${id} canvas`).boundingBox())
        assert.isAbove(box?.width ?? 0, 200, id)
        assert.isAbove(box?.height ?? 0, 100, id)
      }
      const legends = yield* Effect.promise(() => tab.locator(".u-legend").allTextContents())
      assert.include(legends[0], "p95")
      assert.include(legends[2], "primary")
      assert.include(legends[4], "team-a")

      // A request that failed over: its two attempts, the second a fallback.
      const failedOver = sent[2]!.id
      yield* Effect.promise(async () => {
        await tab.click(`#requests tbody tr[data-id="${failedOver}"]`)
        await tab.locator("#attempts tbody tr").nth(1).waitFor()
      })
      const attempts = yield* Effect.promise(() =>
        tab.locator("#attempts tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)))
      )
      assert.deepStrictEqual(attempts.map((a) => [a[1], a[2], a[3]]), [["primary/big", "primary", "overloaded"], ["backup/small", "fallback", "ok"]])
      assert.strictEqual(attempts[1]![6], "8,000")
      assert.include(yield* Effect.promise(() => tab.textContent("#detail-summary")), failedOver)

      // New traffic shows up without a reload.
      yield* send("smart", clientKey)
      yield* Effect.promise(() => tab.locator("#total-requests", { hasText: /^7$/ }).waitFor({ timeout: 5000 }))

      mkdirSync(artifacts, { recursive: true })
      yield* Effect.promise(() => tab.screenshot({ path: `${artifacts}dashboard.png`, fullPage: true }))
      assert.deepStrictEqual(errors, [])
    }), 30_000)
})
