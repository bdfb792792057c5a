// The Switchyard dashboard: polls the gateway's admin data routes and draws them. Plain modern
// JavaScript, no build step; charts are uPlot's (the global `uPlot`, from /dashboard/uplot.js).
// Everything the gateway returns is written with textContent, never parsed as HTML.

const KEY = "switchyard.adminKey"
/** How often the page refreshes: `?refresh=SECONDS` (at least 1), else every 5 seconds. */
const POLL_MS = 1000 * Math.max(1, Number(new URLSearchParams(location.search).get("refresh")) || 5)
/** Bucket size for each window, so a chart has 30 to 100 points. */
const BUCKETS = { "15m": "15s", "1h": "1m", "6h": "5m", "24h": "15m" }
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]

const $ = (id) => document.getElementById(id)

const state = { selected: null, timer: null, charts: new Map() }

class ApiError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

/** GET a gateway route as JSON, with the admin key when one is stored. */
async function api(path) {
  const key = sessionStorage.getItem(KEY)
  const response = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new ApiError(response.status, body.error?.message ?? `${response.status} ${response.statusText}`)
  return body
}

/** An element with properties and children (strings become text nodes). */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (typeof c === "string" ? c : c instanceof Node ? c : String(c))))
  return node
}

const integer = new Intl.NumberFormat("en-US")
const fmt = {
  int: (n) => integer.format(n),
  usd: (n) => `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 4)}`,
  ms: (n) => (n === null ? "–" : `${Math.round(n)} ms`),
  pct: (n) => `${(n * 100).toFixed(1)}%`,
  time: (iso) => new Date(iso).toLocaleTimeString()
}

const badge = (text) =>
  el("span", { className: `badge ${["ok", "closed", "open", "half_open", "cancelled"].includes(text) ? text : "error"}` }, text)

function renderTotals(usage) {
  const t = usage.totals
  $("total-requests").textContent = fmt.int(t.requests)
  $("total-attempts").textContent = fmt.int(t.attempts)
  $("total-cost").textContent = fmt.usd(t.cost_usd)
  $("total-input-tokens").textContent = fmt.int(t.input_tokens)
  $("total-output-tokens").textContent = fmt.int(t.output_tokens)
}

function renderRoutes(routes) {
  $("routes").tBodies[0].replaceChildren(...routes.data.map((r) =>
    el("tr", {},
      el("td", {}, r.alias ?? "–"),
      el("td", { className: "mono" }, r.route),
      el("td", {}, badge(r.breaker)),
      el("td", { className: "num" }, fmt.int(r.attempts)),
      el("td", { className: "num" }, fmt.pct(r.error_rate)),
      el("td", { className: "num" }, fmt.ms(r.p50_ms)),
      el("td", { className: "num" }, fmt.ms(r.p95_ms)))))
}

/** Draws a chart, or gives an existing one new data (a new one when its series changed). */
function chart(id, labels, data, yLabel, points = false) {
  const host = $(id)
  const width = Math.max(300, host.clientWidth)
  const signature = labels.join("\u0000")
  const existing = state.charts.get(id)
  if (existing && existing.signature === signature && existing.width === width) {
    existing.plot.setData(data)
    return
  }
  existing?.plot.destroy()
  const plot = new globalThis.uPlot({
    width,
    height: 220,
    scales: { x: { time: true } },
    axes: [{}, { label: yLabel, size: 60 }],
    series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: points, size: 6 } }))]
  }, data, host)
  state.charts.set(id, { plot, signature, width })
}

/** One chart series per value of `dimension` in `/v1/usage` rows, aligned on the series' buckets. */
function spend(xs, usage, dimension) {
  const names = [...new Set(usage.data.map((row) => row[dimension] ?? "(no key)"))].sort()
  const index = new Map(xs.map((x, i) => [x, i]))
  const ys = names.map(() => xs.map(() => 0))
  for (const row of usage.data) {
    const i = index.get(Date.parse(row.bucket_start) / 1000)
    if (i !== undefined) ys[names.indexOf(row[dimension] ?? "(no key)")][i] += row.cost_usd
  }
  return { names, data: [xs, ...ys] }
}

function renderCharts(series, byProvider, byModel, byKey) {
  const xs = series.data.map((b) => Date.parse(b.bucket_start) / 1000)
  // Buckets without attempts have no latency or error rate: points, so a lone bucket still shows.
  chart("chart-latency", ["p50", "p95", "p99"], [xs, ...["p50_ms", "p95_ms", "p99_ms"].map((f) => series.data.map((b) => b[f]))], "ms", true)
  chart("chart-errors", ["error rate"], [xs, series.data.map((b) => (b.attempts === 0 ? null : b.error_rate * 100))], "%", true)
  for (const [id, usage, dimension] of [["chart-provider", byProvider, "provider"], ["chart-model", byModel, "model"], ["chart-key", byKey, "key"]]) {
    const { data, names } = spend(xs, usage, dimension)
    chart(id, names, data, "USD")
  }
}

function renderRequests(requests) {
  $("requests").tBodies[0].replaceChildren(...requests.data.map((r) => {
    const row = el("tr", { className: r.id === state.selected ? "selected" : "" },
      el("td", {}, fmt.time(r.started_at)),
      el("td", { className: "mono", title: r.id }, r.id.length > 16 ? `${r.id.slice(0, 16)}…` : r.id),
      el("td", {}, r.model),
      el("td", {}, badge(r.outcome)),
      el("td", { className: "num" }, fmt.int(r.attempts.length)),
      el("td", { className: "num" }, fmt.ms(r.duration_ms)),
      el("td", { className: "num" }, fmt.int(r.input_tokens + r.output_tokens)),
      el("td", { className: "num" }, fmt.usd(r.cost_usd)))
    row.dataset.id = r.id
    row.addEventListener("click", () => select(r.id))
    return row
  }))
}

function renderDetail(request) {
  $("detail-empty").hidden = true
  $("detail-body").hidden = false
  const start = Date.parse(request.started_at)
  const facts = [
    ["Request", request.id],
    ["Model", request.model],
    ["Key", request.key ?? "–"],
    ["Started", new Date(request.started_at).toLocaleString()],
    ["Duration", fmt.ms(request.duration_ms)],
    ["Outcome", request.outcome],
    ["Tokens", `${fmt.int(request.input_tokens)} in, ${fmt.int(request.output_tokens)} out`],
    ["Cost", fmt.usd(request.cost_usd) + (request.unknown_cost_attempts > 0 ? ` (+${request.unknown_cost_attempts} unpriced)` : "")]
  ]
  $("detail-summary").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))
  $("attempts").tBodies[0].replaceChildren(...request.attempts.map((a, i) =>
    el("tr", {},
      el("td", {}, String(i + 1)),
      el("td", { className: "mono" }, `${a.provider}/${a.model}`),
      el("td", {}, a.role),
      el("td", {}, badge(a.outcome)),
      el("td", { className: "num" }, `+${Date.parse(a.started_at) - start} ms`),
      el("td", { className: "num" }, fmt.ms(a.latency_ms)),
      el("td", { className: "num" }, fmt.int(a.input_tokens)),
      el("td", { className: "num" }, fmt.int(a.output_tokens)),
      el("td", { className: "num" }, a.cost_usd === null ? "unpriced" : fmt.usd(a.cost_usd)))))
}

async function select(id) {
  state.selected = id
  for (const row of $("requests").tBodies[0].rows) row.classList.toggle("selected", row.dataset.id === id)
  try {
    renderDetail(await api(`/v1/requests/${encodeURIComponent(id)}`))
  } catch (error) {
    handle(error)
  }
}

/** Reads every panel's data, then draws it all. */
async function refresh() {
  const since = $("window").value
  const bucket = BUCKETS[since]
  const from = Date.now() - { "15m": 9e5, "1h": 3.6e6, "6h": 2.16e7, "24h": 8.64e7 }[since]
  const usage = (groupBy) => api(`/v1/usage?from=${from}&bucket=${bucket}&group_by=${groupBy}`)
  const [totals, routes, series, byProvider, byModel, byKey, requests] = await Promise.all([
    api(`/v1/usage?from=${from}`),
    api(`/v1/routes?since=${since}`),
    api(`/v1/series?since=${since}&bucket=${bucket}`),
    usage("provider"),
    usage("model"),
    usage("key"),
    api(`/v1/requests?since=${since}&limit=50`)
  ])
  showBoard()
  renderTotals(totals)
  renderRoutes(routes)
  renderCharts(series, byProvider, byModel, byKey)
  renderRequests(requests)
  if (state.selected !== null) renderDetail(await api(`/v1/requests/${encodeURIComponent(state.selected)}`))
  $("board-error").textContent = ""
  $("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`
}

function showBoard() {
  $("login").hidden = true
  $("board").hidden = false
  $("controls").hidden = false
}

function showLogin(message) {
  stop()
  $("board").hidden = true
  $("controls").hidden = true
  $("login").hidden = false
  $("login-error").textContent = message
  $("key").focus()
}

/** A refused key sends back to the login form; anything else is shown above the board. */
function handle(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    const hadKey = sessionStorage.getItem(KEY) !== null
    sessionStorage.removeItem(KEY)
    showLogin(hadKey ? error.message : "")
  } else {
    $("board-error").textContent = `Could not refresh: ${error.message}`
  }
}

function stop() {
  clearTimeout(state.timer)
  state.timer = null
}

/** Refreshes now, then every POLL_MS while the board is shown. */
async function poll() {
  stop()
  try {
    await refresh()
    state.timer = setTimeout(poll, POLL_MS)
  } catch (error) {
    handle(error)
    if (!$("board").hidden) state.timer = setTimeout(poll, POLL_MS)
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault()
  sessionStorage.setItem(KEY, $("key").value.trim())
  $("key").value = ""
  $("login-error").textContent = ""
  poll()
})
$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY)
  state.selected = null
  showLogin("")
})
$("window").addEventListener("change", poll)
window.addEventListener("resize", () => state.timer !== null && poll())

poll()
