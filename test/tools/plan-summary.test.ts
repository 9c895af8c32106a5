import { transformFileSync } from "@swc/core";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  MAX_LISTED_PER_KIND,
  assertTerraformPlan,
  classifyActions,
  isDestructive,
  parsePlanArgument,
  renderMarkdown,
  summarizePlan,
  summarizePlanFiles,
  type TerraformPlanJson,
} from "../../src/tools/plan-summary";

const fixtures = path.join(__dirname, "..", "fixtures", "plan");
const devPlanFile = path.join(fixtures, "estate-dev.plan.json");
const prodPlanFile = path.join(fixtures, "estate-prod.plan.json");
const devPlan = JSON.parse(readFileSync(devPlanFile, "utf8")) as TerraformPlanJson;
const prodPlan = JSON.parse(readFileSync(prodPlanFile, "utf8")) as TerraformPlanJson;

describe("classifyActions", () => {
  it.each([
    [["create"], "add"],
    [["update"], "change"],
    [["delete"], "destroy"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["forget"], "forget"],
  ])("classifies %j as %s", (actions, kind) => {
    expect(classifyActions(actions)).toBe(kind);
  });

  it("ignores no-op and read actions", () => {
    expect(classifyActions(["no-op"])).toBeUndefined();
    expect(classifyActions(["read"])).toBeUndefined();
  });

  it("refuses an action list it does not know instead of dropping it", () => {
    expect(() => classifyActions(["delete", "update"])).toThrow("unrecognised Terraform plan actions [delete,update]");
  });
});

describe("summarizePlan over the recorded estate-dev plan", () => {
  const summary = summarizePlan("estate-dev", devPlan);

  it("counts adds, changes, replaces and destroys separately", () => {
    expect(summary.counts).toEqual({ add: 2, change: 1, replace: 2, destroy: 1, forget: 0 });
  });

  it("lists destroyed resources by address with Terraform's reason", () => {
    expect(summary.destroyed).toEqual([
      { address: "azurerm_monitor_diagnostic_setting.legacy_storage_diagnostics", reason: "delete_because_no_resource_config" },
    ]);
  });

  it("lists both delete-then-create and create-then-delete replacements", () => {
    expect(summary.replaced.map((item) => item.address)).toEqual([
      "azurerm_key_vault_secret.secret_store_postgres_admin",
      "azurerm_postgresql_flexible_server.relational_sink_server",
    ]);
  });

  it("does not count the data source read or the unchanged resource group", () => {
    const total = Object.values(summary.counts).reduce((sum, count) => sum + count, 0);
    expect(total).toBe(devPlan.resource_changes!.length - 2);
  });

  it("marks the plan as destructive", () => {
    expect(isDestructive(summary)).toBe(true);
  });

  it("keeps the Terraform version the plan was made with", () => {
    expect(summary.terraformVersion).toBe("1.11.4");
  });
});

describe("summarizePlan over the recorded no-change estate-prod plan", () => {
  it("counts nothing and is not destructive", () => {
    const summary = summarizePlan("estate-prod", prodPlan);
    expect(summary.counts).toEqual({ add: 0, change: 0, replace: 0, destroy: 0, forget: 0 });
    expect(isDestructive(summary)).toBe(false);
  });

  it("treats a plan without resource_changes as empty", () => {
    expect(summarizePlan("empty", { format_version: "1.2" }).counts.add).toBe(0);
  });

  it("names the stack and address when an action is unknown", () => {
    const plan = { format_version: "1.2", resource_changes: [{ address: "x.y", change: { actions: ["explode"] } }] };
    expect(() => summarizePlan("estate-dev", plan)).toThrow("estate-dev: unrecognised Terraform plan actions [explode] at x.y");
  });
});

describe("renderMarkdown", () => {
  const markdown = renderMarkdown([summarizePlan("estate-dev", devPlan), summarizePlan("estate-prod", prodPlan)]);

  it("gives one table row of counts per stack", () => {
    expect(markdown).toContain("| Stack | Add | Change | Replace | Destroy |");
    expect(markdown).toContain("| estate-dev | 2 | 1 | **2** | **1** |");
    expect(markdown).toContain("| estate-prod | 0 | 0 | 0 | 0 |");
  });

  it("calls out destructive changes before the table", () => {
    const warning = markdown.indexOf("⚠️ **Destructive changes:** **estate-dev** destroys 1 resource and replaces 2 resources");
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(markdown.indexOf("| Stack |"));
  });

  it("lists each destroyed and replaced address under its stack with the reason in words", () => {
    expect(markdown).toContain("#### estate-dev");
    expect(markdown).toContain(
      "- `azurerm_monitor_diagnostic_setting.legacy_storage_diagnostics` (removed from the configuration)",
    );
    expect(markdown).toContain(
      "- `azurerm_postgresql_flexible_server.relational_sink_server` (an argument that cannot change in place changed)",
    );
    expect(markdown).not.toContain("#### estate-prod");
  });

  it("says so when nothing is destroyed or replaced", () => {
    expect(renderMarkdown([summarizePlan("estate-prod", prodPlan)])).toContain("No resource is destroyed or replaced.");
  });

  it("cuts long lists short and points at the plan artifact", () => {
    const many = Array.from({ length: MAX_LISTED_PER_KIND + 3 }, (_, i) => ({
      address: `azurerm_storage_container.c${String(i).padStart(3, "0")}`,
      change: { actions: ["delete"] },
    }));
    const text = renderMarkdown([summarizePlan("estate-dev", { format_version: "1.2", resource_changes: many })]);
    expect(text.match(/^- `azurerm_storage_container/gm)).toHaveLength(MAX_LISTED_PER_KIND);
    expect(text).toContain("…and 3 more: see plan.txt");
  });

  it("uses the given title and appends the footer", () => {
    const text = renderMarkdown([summarizePlan("estate-prod", prodPlan)], { title: "Plan for prod", footer: ["Run 42"] });
    expect(text.startsWith("### Plan for prod\n")).toBe(true);
    expect(text.trimEnd().endsWith("Run 42")).toBe(true);
  });
});

describe("assertTerraformPlan", () => {
  it("rejects a document without format_version", () => {
    expect(() => assertTerraformPlan({ resource_changes: [] }, "state.json")).toThrow(
      "state.json is not a 'terraform show -json' plan: it has no format_version",
    );
  });

  it("rejects a future major format", () => {
    expect(() => assertTerraformPlan({ format_version: "2.0" }, "plan.json")).toThrow("only 1.x is supported");
  });
});

describe("parsePlanArgument", () => {
  it("takes an explicit stack name before '='", () => {
    expect(parsePlanArgument("estate-test=/tmp/a/plan.json")).toEqual({ stack: "estate-test", file: "/tmp/a/plan.json" });
  });

  it("takes the stack name from the plan's directory otherwise", () => {
    expect(parsePlanArgument("cdktf.out/stacks/estate-dev/plan.json").stack).toBe("estate-dev");
  });
});

describe("summarizePlanFiles", () => {
  it("names the file it could not parse", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-summary-"));
    try {
      const broken = path.join(dir, "plan.json");
      writeFileSync(broken, "{ not json");
      expect(() => summarizePlanFiles([{ stack: "x", file: broken }])).toThrow(`cannot read plan ${broken}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("plan-summary command line", () => {
  let workDir: string;
  let compiledCli: string;

  beforeAll(() => {
    // Compile the entry point with swc (as jest does) so the test needs no prior `npm run build`.
    workDir = mkdtempSync(path.join(tmpdir(), "plan-summary-"));
    const { code } = transformFileSync(path.join(__dirname, "../../src/tools/plan-summary.ts"), {
      jsc: { target: "es2022", parser: { syntax: "typescript" } },
      module: { type: "commonjs" },
    });
    compiledCli = path.join(workDir, "plan-summary.js");
    writeFileSync(compiledCli, code);
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const run = (args: string[]) =>
    spawnSync(process.execPath, [compiledCli, ...args], { encoding: "utf8" });

  it("prints the Markdown summary for plans named on the command line", () => {
    mkdirSync(path.join(workDir, "estate-dev"));
    writeFileSync(path.join(workDir, "estate-dev", "plan.json"), readFileSync(devPlanFile));
    const result = run([path.join(workDir, "estate-dev", "plan.json"), `estate-prod=${prodPlanFile}`]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("| estate-dev | 2 | 1 | **2** | **1** |");
    expect(result.stdout).toContain("| estate-prod | 0 | 0 | 0 | 0 |");
  });

  it("exits non-zero with a one-line error when a plan file is missing", () => {
    const result = run([path.join(workDir, "missing", "plan.json")]);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("plan-summary: cannot read plan");
  });
});
