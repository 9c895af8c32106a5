#!/usr/bin/env node
// Compares synthesizing every stack with merely loading the azurerm provider package root.
// Goal (issue 2): synth takes at most half the time of the root import, with peak RSS <= 300 MB.
// Each command runs in a fresh node process, several times; the median wall time and the
// peak resident set size (from the child's own process.resourceUsage()) are reported.
const { spawnSync } = require("child_process");
const { mkdtempSync, rmSync } = require("fs");
const { tmpdir } = require("os");
const { join } = require("path");

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = join(__dirname, "..");
const reportUsage = "process.on('exit', () => process.stderr.write('\\nBENCH_MAXRSS_KB=' + process.resourceUsage().maxRSS + '\\n'));";

function measure(label, args, env = {}) {
  const times = [];
  const peaks = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["-e", reportUsage + args.code], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) {
      process.stderr.write(result.stderr);
      throw new Error(`${label} failed with exit ${result.status}`);
    }
    const match = /BENCH_MAXRSS_KB=(\d+)/.exec(result.stderr);
    times.push(seconds);
    peaks.push(match ? Number(match[1]) / 1024 : NaN);
  }
  times.sort((a, b) => a - b);
  return { label, seconds: times[Math.floor(times.length / 2)], peakMb: Math.max(...peaks) };
}

const outdir = mkdtempSync(join(tmpdir(), "bench-synth-"));
try {
  const synth = measure("synth all stacks (node lib/main.js)", { code: "require('./lib/main.js');" }, { CDKTF_OUTDIR: outdir });
  const rootImport = measure("require('@cdktf/provider-azurerm')", { code: "require('@cdktf/provider-azurerm');" });
  const ratio = synth.seconds / rootImport.seconds;
  const rows = [synth, rootImport].map((m) => `${m.label.padEnd(40)} ${m.seconds.toFixed(2).padStart(7)} s ${m.peakMb.toFixed(0).padStart(6)} MB`);
  console.log(`median of ${RUNS} runs, each in a fresh node process`);
  console.log(rows.join("\n"));
  console.log(`ratio synth / root import: ${ratio.toFixed(2)} (goal <= 0.50)`);
  console.log(`synth peak memory: ${synth.peakMb.toFixed(0)} MB (goal <= 300 MB)`);
  const ok = ratio <= 0.5 && synth.peakMb <= 300;
  console.log(ok ? "goal met" : "goal NOT met");
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
