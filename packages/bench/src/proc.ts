/**
 * Per-process CPU and memory from /proc (Linux): what the benchmark reads for every target, its own
 * children and the gateway alike, so all are measured the same way.
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"

const clockTicks = (() => {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())
    return Number.isFinite(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
})()

/** User + system CPU time of the process (all its threads) so far, in microseconds. */
export const cpuMicros = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) / clockTicks) * 1e6
}

const statusKb = (pid: number, key: "VmRSS" | "VmHWM"): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)
  return match === null ? 0 : Number(match[1])
}

/** Resident set size now, MB. */
export const rssMb = (pid: number): number => statusKb(pid, "VmRSS") / 1024

/** Peak resident set size since start or the last `resetPeak`, MB. */
export const peakRssMb = (pid: number): number => statusKb(pid, "VmHWM") / 1024

/** Resets the peak RSS (`echo 5 > /proc/pid/clear_refs`); false when the kernel refuses. */
export const resetPeak = (pid: number): boolean => {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5")
    return true
  } catch {
    return false
  }
}

export const clockResolutionMs = 1000 / clockTicks
