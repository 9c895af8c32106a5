/**
 * The cdktf app's fast path (scripts/app.js: swc into .app/, no type checking) must synthesize
 * exactly what tsc's lib/main.js does, and cdktf.json and `npm run synth` must use it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ensureBuilt, REPO_ROOT } from "./built-package";

function synth(args: string[], outdir: string): void {
  const result = spawnSync(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}:\n${result.stderr}`);
}

function tree(directory: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const full = join(current, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(directory, full)] = readFileSync(full, "utf8");
    }
  };
  walk(directory);
  return files;
}

describe("the cdktf app", () => {
  it("is scripts/app.js, for cdktf and for npm run synth", () => {
    const cdktf = JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8")) as { app: string };
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(cdktf.app).toBe("node scripts/app.js");
    expect(pkg.scripts.synth).toBe("node scripts/app.js");
    expect(pkg.scripts.build).toMatch(/^tsc /);
  });

  it("synthesizes the same stacks as tsc's lib/main.js", () => {
    ensureBuilt();
    const work = mkdtempSync(join(tmpdir(), "app-vs-lib-"));
    try {
      synth([join(REPO_ROOT, "scripts", "app.js")], join(work, "app"));
      synth([join(REPO_ROOT, "lib", "main.js")], join(work, "lib"));
      const fromApp = tree(join(work, "app"));
      expect(Object.keys(fromApp)).toContain("manifest.json");
      expect(fromApp).toEqual(tree(join(work, "lib")));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});
