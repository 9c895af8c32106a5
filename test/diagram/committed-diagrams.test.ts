import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDiagramModel } from "../../src/diagram/model";
import { renderSvg } from "../../src/diagram/render";
import { diagramFileName, readSynthesizedStacks } from "../../src/diagram/stacks";
import { workerLayout } from "./graphviz-worker";

const ROOT = join(__dirname, "..", "..");
const DOCS = join(ROOT, "docs");
const scratch = mkdtempSync(join(tmpdir(), "diagram-test-"));
const synthDir = join(scratch, "synth");
const graphviz = workerLayout();

beforeAll(() => synthesizeAll(synthDir));
afterAll(async () => {
  await graphviz.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Synthesizes every stack in-process from the sources, exactly as `node lib/main.js` does. */
async function synthesizeAll(outdir: string): Promise<void> {
  const previous = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    await import("../../src/main");
  } finally {
    if (previous === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = previous;
  }
}

describe("the committed diagrams", () => {
  it("match what `npm run diagram` draws from a fresh synth (run it if this fails)", async () => {
    const stale: string[] = [];
    for (const stack of readSynthesizedStacks(synthDir)) {
      const file = join(DOCS, diagramFileName(stack.name));
      const fresh = await renderSvg(buildDiagramModel(stack.name, stack.json), graphviz.layout);
      if (!existsSync(file) || readFileSync(file, "utf8") !== fresh) stale.push(`docs/${diagramFileName(stack.name)}`);
    }
    expect(stale).toEqual([]);
  });

  it("exist only for stacks that are synthesized", () => {
    const stacks = readSynthesizedStacks(synthDir).map((stack) => diagramFileName(stack.name));
    const committed = readdirSync(DOCS).filter((name) => /^architecture-.*\.svg$/.test(name));
    expect(committed.sort()).toEqual(stacks.sort());
  });
});

describe("npm run diagram", () => {
  it("synthesizes when there is no output yet and writes the stack's SVG", () => {
    const cli = join(ROOT, "lib", "diagram", "cli.js");
    // `npm test` builds first; a bare `npx jest` in a fresh clone may not have.
    if (!existsSync(cli)) expect(spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, stdio: "inherit" }).status).toBe(0);
    const emptySynthDir = join(scratch, "cli-synth");
    const outDir = join(scratch, "cli-out");
    const run = spawnSync(process.execPath, [cli, "--stack", "estate-dev", "--synth-dir", emptySynthDir, "--out-dir", outDir], { cwd: ROOT, encoding: "utf8" });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(run.stdout).toContain("architecture-dev.svg");
    expect(readdirSync(outDir)).toEqual(["architecture-dev.svg"]);
    const svg = readFileSync(join(outDir, "architecture-dev.svg"), "utf8");
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*Virtual Network[\s\S]*<\/svg>\n$/);
  });

  it("names an unknown stack and the ones it knows", () => {
    const cli = join(ROOT, "lib", "diagram", "cli.js");
    const run = spawnSync(process.execPath, [cli, "--stack", "estate-nope", "--synth-dir", synthDir, "--out-dir", join(scratch, "unused")], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('diagram: Unknown stack "estate-nope"; the synthesized stacks are: estate-dev, estate-prod, estate-test.');
  });
});
