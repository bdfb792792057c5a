const mods = process.argv.slice(2)
const mb = () => { globalThis.gc?.(); const m = process.memoryUsage(); return `rss ${(m.rss/1e6).toFixed(0)} heapUsed ${(m.heapUsed/1e6).toFixed(1)} ext ${(m.external/1e6).toFixed(1)}` }
console.log("start", mb())
for (const m of mods) { const t = performance.now(); await import(m); console.log(m, (performance.now()-t).toFixed(0)+"ms", mb()) }
