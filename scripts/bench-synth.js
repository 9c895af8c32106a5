#!/usr/bin/env node
// Times the cdktf app the way cdktf runs it, against merely loading the azurerm provider package root.
// Goal (issue 12, section 6): the app takes at most 0.5x the time of the root import, with a peak
// RSS of at most 300 MB.
//
// - The app command is read from cdktf.json (BENCH_APP overrides it, e.g. to measure an old command)
//   and spawned as cdktf spawns it: a fresh shell process in the repo root, CDKTF_OUTDIR set to a
//   fresh temp dir per run.
// - The reference is `node -e "require('@cdktf/provider-azurerm')"`, also in a fresh shell process.
// - Runs alternate between the two (BENCH_RUNS each, 5 by default) so that a busy machine slows both
//   alike; the median wall time and the highest peak RSS of each are reported. Peak RSS comes from
//   GNU time's %M (the largest resident set of the process tree) when /usr/bin/time exists, else
//   from a preloaded hook that records each node process's own maxRSS.
// - BENCH_TOUCH=path/to/src/file.ts touches that file before each app run, to time the "one file
//   changed" case instead of the warm, nothing-changed case.
const { spawnSync } = require("child_process");
const { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } = require("fs");
const { tmpdir } = require("os");
const { join, resolve } = require("path");

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = resolve(__dirname, "..");
const appCommand = process.env.BENCH_APP ?? JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8")).app;
const touch = process.env.BENCH_TOUCH ? resolve(root, process.env.BENCH_TOUCH) : undefined;
const referenceCommand = `node -e "require('@cdktf/provider-azurerm')"`;
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const scratch = mkdtempSync(join(tmpdir(), "bench-synth-"));
const rssHook = join(scratch, "rss-hook.js");
writeFileSync(
  rssHook,
  "process.on('exit', () => require('fs').appendFileSync(process.env.BENCH_RSS_FILE, process.resourceUsage().maxRSS + '\\n'));\n",
);

/** One fresh process running `command` through the shell; returns wall seconds and peak RSS in MB. */
function runOnce(label, command, extraEnv) {
  const rssFile = join(scratch, `rss-${process.hrtime.bigint()}`);
  writeFileSync(rssFile, "");
  const env = { ...process.env, ...extraEnv };
  let file = "/bin/sh";
  let args = ["-c", command];
  if (gnuTime) {
    args = ["-f", "%M", "-o", rssFile, "/bin/sh", "-c", command];
    file = gnuTime;
  } else {
    env.BENCH_RSS_FILE = rssFile;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --require ${rssHook}`.trim();
  }
  const started = process.hrtime.bigint();
  const result = spawnSync(file, args, { cwd: root, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    throw new Error(`${label} (${command}) failed with exit ${result.status}`);
  }
  const kilobytes = readFileSync(rssFile, "utf8")
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  return { seconds, peakMb: kilobytes.length ? Math.max(...kilobytes) / 1024 : NaN };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function summary(label, runs) {
  return { label, seconds: median(runs.map((r) => r.seconds)), peakMb: Math.max(...runs.map((r) => r.peakMb)), all: runs.map((r) => r.seconds) };
}

try {
  const app = [];
  const reference = [];
  // One untimed run of each first: the app's first run after a change rebuilds, and both warm the page cache.
  runOnce("app (warm-up)", appCommand, { CDKTF_OUTDIR: mkdtempSync(join(scratch, "out-")) });
  runOnce("reference (warm-up)", referenceCommand, {});
  for (let run = 0; run < RUNS; run++) {
    if (touch) {
      const now = new Date();
      utimesSync(touch, now, now);
    }
    app.push(runOnce("app", appCommand, { CDKTF_OUTDIR: mkdtempSync(join(scratch, "out-")) }));
    reference.push(runOnce("reference", referenceCommand, {}));
  }
  const a = summary(`app: ${appCommand}`, app);
  const r = summary(`reference: ${referenceCommand}`, reference);
  const ratio = a.seconds / r.seconds;
  const width = Math.max(a.label.length, r.label.length);
  console.log(`median of ${RUNS} fresh processes each${touch ? `, touching ${process.env.BENCH_TOUCH} before each app run` : ", nothing changed"}; peak RSS via ${gnuTime ? "GNU time %M" : "process.resourceUsage()"}`);
  console.log(`${"command".padEnd(width)}  median s   peak MB   runs (s)`);
  for (const m of [a, r]) {
    console.log(`${m.label.padEnd(width)}  ${m.seconds.toFixed(3).padStart(8)}  ${m.peakMb.toFixed(0).padStart(8)}   ${m.all.map((s) => s.toFixed(2)).join(" ")}`);
  }
  const timeOk = ratio <= 0.5;
  const memoryOk = a.peakMb <= 300;
  console.log(`ratio app / reference: ${ratio.toFixed(2)} (goal <= 0.50: ${timeOk ? "met" : "NOT met"})`);
  console.log(`app peak RSS: ${a.peakMb.toFixed(0)} MB (goal <= 300 MB: ${memoryOk ? "met" : "NOT met"})`);
  console.log(timeOk && memoryOk ? "goal met" : "goal NOT met");
  process.exitCode = timeOk && memoryOk ? 0 : 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
