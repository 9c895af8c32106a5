import { spawnSync } from "node:child_process";
import { ensureBuilt, LIB_ENTRY, REPO_ROOT } from "./built-package";

/**
 * Loads the built package entry in a fresh node process and reports every module it pulled in:
 * the specifiers passed to Module._load (built-ins included) and the files left in require.cache.
 */
const PROBE = `
const Module = require("module");
const requested = new Set();
const load = Module._load;
Module._load = function (request, ...rest) { requested.add(request); return load.call(this, request, ...rest); };
const entry = require(process.argv[1]);
process.stdout.write(JSON.stringify({ requested: [...requested], cached: Object.keys(require.cache), exports: Object.keys(entry) }));
`;

interface Probe {
  requested: string[];
  cached: string[];
  exports: string[];
}

describe("importing the package entry (lib/index.js)", () => {
  let probe: Probe;

  beforeAll(() => {
    ensureBuilt();
    const child = spawnSync(process.execPath, ["-e", PROBE, LIB_ENTRY], { cwd: REPO_ROOT, encoding: "utf8" });
    if (child.status !== 0) throw new Error(`loading ${LIB_ENTRY} failed (exit ${child.status}):\n${child.stderr}`);
    probe = JSON.parse(child.stdout) as Probe;
  }, 180_000);

  it("loads the constructs", () => {
    expect(probe.exports).toEqual(expect.arrayContaining(["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink"]));
    expect(probe.cached.some((file) => file.includes("/node_modules/cdktf/"))).toBe(true);
  });

  it("does not load the lake CLI's Azure SDKs", () => {
    expect(probe.requested.filter((request) => request.startsWith("@azure/"))).toEqual([]);
    expect(probe.cached.filter((file) => file.includes("/node_modules/@azure/"))).toEqual([]);
  });

  it("does not load the lake CLI itself", () => {
    expect(probe.cached.filter((file) => file.startsWith(`${REPO_ROOT}/lib/lake/`))).toEqual([]);
  });
});
