/**
 * The compiled package (tsc's lib/) that the package tests exercise, built on demand: `npm test`
 * builds before jest, but a lone `npx jest test/package` must not test a stale lib/.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "..", "..");
export const LIB_ENTRY = join(REPO_ROOT, "lib", "index.js");
const BUILD_INFO = join(REPO_ROOT, "lib", ".tsbuildinfo");
const LOCK = join(REPO_ROOT, ".cache", "package-test-build.lock");

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  if (!existsSync(LIB_ENTRY) || !existsSync(BUILD_INFO)) return true;
  const newest = Math.max(newestSource(join(REPO_ROOT, "src")), statSync(join(REPO_ROOT, "tsconfig.json")).mtimeMs);
  return newest > statSync(BUILD_INFO).mtimeMs;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Runs `tsc -p tsconfig.json` when lib/ is older than src/. Type errors are left to the build and
 * lint steps (tsc still emits); only a missing lib/index.js fails here. Jest workers that need the
 * build at the same time take turns through a lock directory, so two tsc never write lib/ at once.
 */
export function ensureBuilt(): void {
  if (!isStale()) return;
  mkdirSync(join(REPO_ROOT, ".cache"), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Someone else builds; a lock older than the deadline is left over from a killed run.
      if (Date.now() > deadline || Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      else sleep(250);
    }
  }
  try {
    if (!isStale()) return;
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (!existsSync(LIB_ENTRY)) throw new Error(`tsc did not produce lib/index.js (exit ${tsc.status}):\n${tsc.stdout}${tsc.stderr}`);
    if (tsc.status !== 0) process.stderr.write(`package tests: tsc reported type errors (npm run build fails on them); testing the emitted lib/ anyway\n${tsc.stdout}`);
    // A no-op incremental build leaves .tsbuildinfo untouched; mark lib/ as current for the next check.
    const now = new Date();
    if (existsSync(BUILD_INFO)) utimesSync(BUILD_INFO, now, now);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The exact version of an installed package as this repo's package-lock.json pins it. */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`package-lock.json has no node_modules/${name}`);
  return version;
}
