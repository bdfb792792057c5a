/**
 * `GET /dashboard`: a page that shows what the gateway is doing, from the admin data routes
 * (`/v1/routes`, `/v1/series`, `/v1/usage`, `/v1/requests`). Its files ship in this package's
 * `dashboard/` folder as plain HTML, JavaScript and CSS (no build step, nothing from a CDN: it works
 * offline); its charts are uPlot's, served from the `uplot` package this package depends on. The
 * files are open (they hold no data); the page asks for the admin key when keys are configured.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { ErrorBody } from "@switchyard/translate"
import * as Endpoint from "./Endpoint.ts"

const own = (name: string) => fileURLToPath(new URL(`../dashboard/${name}`, import.meta.url))
const uplot = (name: string) => createRequire(import.meta.url).resolve(`uplot/dist/${name}`)

/** The files the page is made of, by the name it asks for: a fixed set, never a path from the client. */
const files: ReadonlyMap<string, { readonly path: () => string; readonly contentType: string }> = new Map([
  ["index.html", { path: () => own("index.html"), contentType: "text/html; charset=utf-8" }],
  ["dashboard.js", { path: () => own("dashboard.js"), contentType: "text/javascript; charset=utf-8" }],
  ["dashboard.css", { path: () => own("dashboard.css"), contentType: "text/css; charset=utf-8" }],
  ["uplot.js", { path: () => uplot("uPlot.iife.min.js"), contentType: "text/javascript; charset=utf-8" }],
  ["uplot.css", { path: () => uplot("uPlot.min.css"), contentType: "text/css; charset=utf-8" }]
])

const headers = {
  "cache-control": "no-cache",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff"
}

const serve = (name: string) =>
  Endpoint.make({ open: true }, ({ refuse }) => {
    const file = files.get(name)
    if (file === undefined) return Effect.succeed(refuse(ErrorBody.notFound("Unknown route.")))
    return Effect.map(
      Effect.promise(() => readFile(file.path())),
      (body) => HttpServerResponse.uint8Array(body, { contentType: file.contentType, headers })
    )
  })

/** `GET /dashboard` (the page). */
export const page = serve("index.html")

/** `GET /dashboard/{file}` (its script, styles and uPlot's). */
export const asset = Effect.flatMap(HttpRouter.params, (params) => serve(params["file"] ?? ""))
