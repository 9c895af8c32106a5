/**
 * Preflight on what `cdktf synth` wrote (src/tools/preflight-synth.ts): the checks any app built
 * with the package runs, on cdktf.out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { Permissions } from "@cdktf/provider-databricks/lib/permissions";
import { SecureNetwork } from "../../src/constructs/network/secure-network";
import { SecretStore } from "../../src/constructs/key-vault/secret-store";
import { DatabricksWorkspace } from "../../src/constructs/databricks/databricks-workspace";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { preflight } from "../../src/tools/preflight";
import { main } from "../../src/tools/preflight-cli";
import { readSynthesizedStacks, SynthesizedOutputError, SynthesizedStack, synthesizedStackProblems } from "../../src/tools/preflight-synth";
import { synthesizeEstateStack } from "../../src/tools/estate-stacks";
import { placeholdersFor } from "../../src/stacks/placeholders";
import { CONFIGS } from "../helpers/synth";

const NOW = new Date("2026-12-01T00:00:00Z");
const HUB = "/subscriptions/72c96710-1c59-4b6e-9c1b-0d3e0c2f9a11/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub";
const PLACEMENT = { resourceGroupName: "rg-analytics", location: "westeurope" };

/** An app of two stacks synthesized into a temporary cdktf.out, as a package user's would be. */
function synthesizeApp(build: (app: App) => void): { outdir: string; stacks: SynthesizedStack[]; done: () => void } {
  const outdir = mkdtempSync(path.join(tmpdir(), "preflight-out-"));
  const app = new App({ outdir });
  build(app);
  app.synth();
  return { outdir, stacks: readSynthesizedStacks(outdir), done: () => rmSync(outdir, { recursive: true, force: true }) };
}

function azurermStack(app: App, name: string): TerraformStack {
  const stack = new TerraformStack(app, name);
  new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }], subscriptionId: "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e" });
  return stack;
}

/** A spoke peered with the hub, in 172.<second>.0.0/20. */
function spoke(stack: TerraformStack, second = 16): SecureNetwork {
  const at = (rest: string) => `172.${second}.${rest}`;
  return new SecureNetwork(stack, "network", {
    ...PLACEMENT,
    nameSuffix: `${stack.node.id}-dev`,
    addressSpace: at("0.0/20"),
    subnets: { databricksHost: at("0.0/26"), databricksContainer: at("0.64/26"), postgres: at("1.0/28"), privateEndpoints: at("1.16/28") },
    peeredNetworks: [{ name: "hub", virtualNetworkId: HUB, addressSpaces: ["10.200.0.0/24"], createReversePeering: false }],
  });
}

/** A cdktf.out holding one stack of the given JSON. */
function writtenOut(json: Record<string, unknown>): { outdir: string; done: () => void } {
  const outdir = mkdtempSync(path.join(tmpdir(), "preflight-json-"));
  mkdirSync(path.join(outdir, "stacks", "analytics"), { recursive: true });
  writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify({ stacks: { analytics: { synthesizedStackPath: "stacks/analytics/cdk.tf.json" } } }));
  writeFileSync(path.join(outdir, "stacks", "analytics", "cdk.tf.json"), JSON.stringify(json));
  return { outdir, done: () => rmSync(outdir, { recursive: true, force: true }) };
}

describe("preflight on synthesized stacks", () => {
  it("names a placeholder GUID and a reserved address by the construct path and argument that hold them", () => {
    const out = synthesizeApp((app) => {
      const stack = azurermStack(app, "analytics");
      new SecretStore(stack, "vault", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: "00000000-0000-4000-8000-000000000001", network: spoke(stack), tags: { owner: "data@example.com" } });
    });
    try {
      const problems = synthesizedStackProblems(out.stacks[0], { now: NOW }).filter((problem) => problem.kind === "placeholder");
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: "vault/vault tenant_id", value: "00000000-0000-4000-8000-000000000001", problem: "placeholder GUID 00000000-0000-4000-8000-000000000001" }),
          expect.objectContaining({ path: "vault/vault tags.owner", value: "data@example.com", problem: "address on a reserved domain (data@example.com)" }),
        ]),
      );
    } finally {
      out.done();
    }
  });

  it("refuses a peered VNet whose range overlaps the network's, from the network's notes", () => {
    const out = writtenOut({
      "//": { "azure-quarterly-batch": { networks: [{ path: "analytics/network", addressSpaces: ["10.200.0.0/16"], peers: [{ name: "hub", virtualNetworkId: HUB, addressSpaces: ["10.200.0.0/24"] }] }] } },
    });
    try {
      expect(synthesizedStackProblems(readSynthesizedStacks(out.outdir)[0], { now: NOW })).toEqual([
        expect.objectContaining({ kind: "overlap", path: "network peeredNetworks hub", value: "10.200.0.0/24", problem: "the peered VNet's range overlaps the network's 10.200.0.0/16" }),
      ]);
    } finally {
      out.done();
    }
  });

  it("refuses a key whose expiry is within 30 days", () => {
    const out = synthesizeApp((app) => {
      const stack = azurermStack(app, "analytics");
      const vault = SecretStore.fromExisting(stack, "vault", { vaultId: "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-analytics", skuName: "premium" });
      vault.addKey(stack, "cmk", { name: "cmk-analytics", expirationDate: "2026-12-20T00:00:00Z" });
    });
    try {
      expect(synthesizedStackProblems(out.stacks[0], { now: NOW }).filter((problem) => problem.kind === "expiry")).toEqual([
        expect.objectContaining({ value: "2026-12-20T00:00:00Z", problem: "expires in 19 day(s), within 30", path: expect.stringContaining("expiration_date") }),
      ]);
    } finally {
      out.done();
    }
  });

  it("refuses two stacks that link their own private DNS zones of one name to the same VNet", () => {
    const out = synthesizeApp((app) => {
      spoke(azurermStack(app, "payments"));
      spoke(azurermStack(app, "risk"), 17);
    });
    try {
      const [payments] = out.stacks;
      const problems = synthesizedStackProblems(payments, { now: NOW, otherStacks: out.stacks }).filter((problem) => problem.kind === "dns-link");
      expect(problems).toEqual([expect.objectContaining({ value: HUB, problem: expect.stringMatching(/^stack risk links its own zones of these names to this VNet too; .*privatelink\.dfs\.core\.windows\.net/) })]);
    } finally {
      out.done();
    }
  });

  it("refuses a principal that a permission names but no workspace assignment covers", () => {
    const out = synthesizeApp((app) => {
      const stack = azurermStack(app, "analytics");
      const provider = new DatabricksProvider(stack, "databricks", { host: "https://adb-1234567890123456.7.azuredatabricks.net" });
      DatabricksWorkspace.fromExisting(stack, "workspace", {
        workspaceResourceId: "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/dbw-analytics",
        workspaceUrl: "https://adb-1234567890123456.7.azuredatabricks.net",
        workspaceId: "1234567890123456",
        location: "westeurope",
        accessConnectorId: "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.Databricks/accessConnectors/dbac-analytics",
        accessConnectorPrincipalId: "7c6b5a49-3827-4615-9a4b-3c2d1e0f9a8b",
        provider,
        assignedPrincipals: [DatabricksPrincipal.group("analysts")],
      });
      new Permissions(stack, "handwritten", {
        provider,
        directoryPath: "/jobs/analytics",
        accessControl: [{ groupName: "analysts", permissionLevel: "CAN_READ" }, { groupName: "contractors", permissionLevel: "CAN_READ" }],
      });
    });
    try {
      expect(synthesizedStackProblems(out.stacks[0], { now: NOW }).filter((problem) => problem.kind === "unassigned")).toEqual([
        expect.objectContaining({ path: "handwritten access_control[1].group_name", value: "contractors", problem: "not assigned to the workspace of provider databricks" }),
      ]);
    } finally {
      out.done();
    }
  });

  it("finds in the estate's synthesized stack every placeholder of the config that reaches Terraform", () => {
    const synthesized = synthesizeEstateStack<SynthesizedStack["json"]>("dev", CONFIGS.dev);
    const text = JSON.stringify({ ...synthesized, "//": undefined });
    // A peered VNet's range, say, is checked at synth and never reaches Terraform.
    const configValues = [...new Set(preflight(CONFIGS.dev, { now: NOW }).filter((problem) => problem.kind === "placeholder").map((problem) => problem.value))].filter((value) => text.includes(value));
    expect(configValues.length).toBeGreaterThan(5);
    const standIns = (value: string) => (placeholdersFor(value).length > 0 ? { what: placeholdersFor(value)[0].what, fix: `set ${placeholdersFor(value)[0].envVar}` } : undefined);
    const found = synthesizedStackProblems({ name: "estate-dev", json: synthesized }, { now: NOW, standIns }).filter((problem) => problem.kind === "placeholder");
    const foundText = found.map((problem) => problem.value).join("\n");
    expect(configValues.filter((value) => !foundText.includes(value))).toEqual([]);
  });

  it("refuses an output folder it cannot read, and a stack it does not hold", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "preflight-bad-"));
    try {
      expect(() => readSynthesizedStacks(outdir)).toThrow(new SynthesizedOutputError(`${path.join(outdir, "manifest.json")} does not exist: run cdktf synth first (or give --out the folder it wrote)`));
      writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify({ stacks: { analytics: { synthesizedStackPath: "stacks/analytics/cdk.tf.json" } } }));
      expect(() => readSynthesizedStacks(outdir)).toThrow(/stacks\/analytics\/cdk\.tf\.json, stack analytics's synthesized JSON, does not exist: run cdktf synth again/);
      mkdirSync(path.join(outdir, "stacks", "analytics"), { recursive: true });
      writeFileSync(path.join(outdir, "stacks", "analytics", "cdk.tf.json"), "{ not json");
      expect(() => readSynthesizedStacks(outdir)).toThrow(/is not JSON/);
      expect(() => readSynthesizedStacks(outdir, ["payments"])).toThrow(`${outdir} holds no stack payments; it holds analytics`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("exits 1 on a problem, 0 on a ready app and 2 on an output it cannot read, from the command line", () => {
    const bad = synthesizeApp((app) => {
      const stack = azurermStack(app, "analytics");
      new SecretStore(stack, "vault", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: "00000000-0000-4000-8000-000000000001", network: spoke(stack) });
    });
    const good = synthesizeApp((app) => spoke(azurermStack(app, "analytics")));
    const writes: string[] = [];
    const spies = [jest.spyOn(process.stdout, "write"), jest.spyOn(process.stderr, "write")].map((spy) =>
      spy.mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      }),
    );
    try {
      expect(main(["--out", bad.outdir], {})).toBe(1);
      expect(writes.join("")).toContain("vault/vault tenant_id");
      expect(main(["--out", good.outdir], {})).toBe(0);
      expect(main(["--out", path.join(good.outdir, "missing")], {})).toBe(2);
    } finally {
      for (const spy of spies) spy.mockRestore();
      bad.done();
      good.done();
    }
  });
});
