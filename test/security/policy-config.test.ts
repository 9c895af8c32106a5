/**
 * The policy exceptions stay justified and documented, and the policy report counts what the
 * scanners do. The scanners themselves run in scripts/policy.sh, not here.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { EnvironmentName } from "../../src/stacks/config";
import {
  copyForCheckov,
  checkovExceptions,
  exceptionCovers,
  Finding,
  formatTable,
  parseCheckov,
  parseTrivy,
  stackOf,
  summarize,
  toJunit,
  trivyExceptions,
  unusedExceptions,
} from "../../src/tools/policy-report";
import { CONFIGS } from "../helpers/synth";

const repoRoot = path.resolve(__dirname, "..", "..");
const checkovConfig = readFileSync(path.join(repoRoot, ".checkov.yaml"), "utf8");
const trivyIgnore = readFileSync(path.join(repoRoot, ".trivyignore.yaml"), "utf8");
// docs/security.md (linked from the README) lists every exception and relaxation.
const securityDoc = readFileSync(path.join(repoRoot, "docs", "security.md"), "utf8");

/** Each `skip-check` entry of .checkov.yaml with the comment lines written just above it. */
function checkovEntriesWithComments(): Array<{ entry: string; comment: string }> {
  const lines = checkovConfig.split("\n");
  const start = lines.findIndex((line) => line.startsWith("skip-check:"));
  const entries: Array<{ entry: string; comment: string }> = [];
  let comment: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const commentMatch = /^\s+#\s?(.*)$/.exec(line);
    const entryMatch = /^\s+-\s+(\S+)\s*$/.exec(line);
    if (commentMatch) comment.push(commentMatch[1]);
    else if (entryMatch) {
      entries.push({ entry: entryMatch[1], comment: comment.join("\n") });
      comment = [];
    } else if (/^\S/.test(line)) break;
  }
  return entries;
}

function finding(overrides: Partial<Finding>): Finding {
  return { scanner: "checkov", stack: "estate-dev", checkId: "CKV_AZURE_1", title: "a check", resource: "azurerm_x.y", file: "/stacks/estate-dev/cdk.tf.json", passed: true, ...overrides };
}

describe("the checkov exceptions", () => {
  const entries = checkovEntriesWithComments();

  it("are the ones the policy report reads", () => {
    expect(entries.map((e) => e.entry)).toEqual(checkovExceptions(checkovConfig).map((e) => e.entry));
    expect(entries.length).toBeGreaterThan(0);
  });

  it("each name the resources they are for and give a justification", () => {
    for (const { entry, comment } of entries) {
      const [resources, ...justification] = comment.split("\n");
      expect({ entry, resources }).toEqual({ entry, resources: expect.stringMatching(/^Resources: \S+/) });
      expect({ entry, justified: justification.join(" ").length >= 60 }).toEqual({ entry, justified: true });
    }
  });

  it("scope a relaxation to the stacks whose config justifies it", () => {
    for (const { entry, comment } of entries.filter((e) => e.entry.includes(":"))) {
      const relaxation = /relaxation "([^"]+)"/.exec(comment)?.[1];
      expect({ entry, relaxation }).toEqual({ entry, relaxation: expect.any(String) });
      const pattern = new RegExp(entry.split(":")[1]);
      for (const environment of Object.keys(CONFIGS) as EnvironmentName[]) {
        const scoped = pattern.test(`/stacks/estate-${environment}/cdk.tf.json`);
        if (scoped) expect({ entry, environment, justified: Boolean(CONFIGS[environment].relaxations[relaxation as string]) }).toEqual({ entry, environment, justified: true });
      }
      expect(pattern.test("/stacks/estate-prod/cdk.tf.json")).toBe(false);
    }
  });

  it("are all listed in the README's security section", () => {
    for (const { entry } of entries) expect({ entry, documented: securityDoc.includes(`\`${entry}\``) }).toEqual({ entry, documented: true });
  });
});

describe("the environment relaxations", () => {
  it("are all listed in the README's security section", () => {
    for (const environment of Object.keys(CONFIGS) as EnvironmentName[]) {
      for (const setting of Object.keys(CONFIGS[environment].relaxations)) {
        expect({ environment, setting, documented: securityDoc.includes(`| \`${setting}\` |`) }).toEqual({ environment, setting, documented: true });
      }
    }
  });
});

describe("the trivy exceptions", () => {
  const config = parseYaml(trivyIgnore) as { misconfigurations: Array<{ id: string; paths?: string[]; statement?: string }> };

  it("each have a path scope and a statement that names the resource", () => {
    for (const item of config.misconfigurations) {
      expect(item.paths?.length).toBeGreaterThan(0);
      expect(item.statement).toMatch(/^azurerm_\w+\.\w+: .{60,}/);
    }
  });

  it("are all listed in the README's security section", () => {
    for (const item of config.misconfigurations) expect({ id: item.id, documented: securityDoc.includes(`\`${item.id}\``) }).toEqual({ id: item.id, documented: true });
  });
});

describe("the policy report", () => {
  it("finds the stack of a scanned file", () => {
    expect(stackOf("/stacks/estate-test/cdk.tf.json")).toBe("estate-test");
    expect(stackOf("stacks/estate-prod")).toBe("estate-prod");
  });

  it("matches a stack-scoped checkov skip only in that stack", () => {
    const [skip] = checkovExceptions("skip-check:\n  - CKV_AZURE_206:estate-dev/\n");
    expect(exceptionCovers(skip, finding({ checkId: "CKV_AZURE_206" }))).toBe(true);
    expect(exceptionCovers(skip, finding({ checkId: "CKV_AZURE_206", stack: "estate-prod", file: "/stacks/estate-prod/cdk.tf.json" }))).toBe(false);
    expect(exceptionCovers(skip, finding({ checkId: "CKV_AZURE_20" }))).toBe(false);
  });

  it("matches a trivy ignore by id and path glob", () => {
    const [ignore] = trivyExceptions("misconfigurations:\n  - id: AZU-0012\n    paths: ['stacks/*/cdk.tf.json']\n");
    expect(exceptionCovers(ignore, finding({ scanner: "trivy", checkId: "AZU-0012", file: "stacks/estate-dev/cdk.tf.json" }))).toBe(true);
    expect(exceptionCovers(ignore, finding({ scanner: "trivy", checkId: "AZU-0012", file: "other/cdk.tf.json" }))).toBe(false);
  });

  it("counts a check that a skip switched off as skipped, not passed", () => {
    const gate = [finding({ checkId: "CKV_A" })];
    const audit = [finding({ checkId: "CKV_A" }), finding({ checkId: "CKV_B", passed: false })];
    expect(summarize(["estate-dev"], gate, audit)[0].checkov).toEqual({ passed: 1, failed: 0, skipped: 1 });
  });

  it("counts a trivy failure hidden by an ignore as skipped", () => {
    const gate = [finding({ scanner: "trivy", checkId: "AZU-1" })];
    const audit = [finding({ scanner: "trivy", checkId: "AZU-1" }), finding({ scanner: "trivy", checkId: "AZU-2", passed: false })];
    expect(summarize(["estate-dev"], gate, audit)[0].trivy).toEqual({ passed: 1, failed: 0, skipped: 1 });
  });

  it("reports an exception that hides no failure", () => {
    const exceptions = checkovExceptions("skip-check:\n  - CKV_A\n  - CKV_B\n");
    const audit = [finding({ checkId: "CKV_A", passed: false }), finding({ checkId: "CKV_B", passed: true })];
    expect(unusedExceptions(exceptions, audit).map((e) => e.entry)).toEqual(["CKV_B"]);
  });

  it("reads checkov's JSON and names resources with their type", () => {
    const json = {
      check_type: "terraform_json",
      results: {
        passed_checks: [{ check_id: "CKV_AZURE_44", check_name: "TLS", file_path: "/stacks/estate-dev/cdk.tf.json", resource: "resource.lake_account" }],
        failed_checks: [{ check_id: "CKV2_AZURE_1", check_name: "CMK", file_path: "/stacks/estate-dev/cdk.tf.json", resource: "azurerm_storage_account.lake_account" }],
        skipped_checks: [],
        parsing_errors: [],
      },
    };
    const { findings } = parseCheckov(json, new Map([["estate-dev", new Map([["lake_account", "azurerm_storage_account"]])]]));
    expect(findings.map((f) => [f.checkId, f.resource, f.passed])).toEqual([
      ["CKV_AZURE_44", "azurerm_storage_account.lake_account", true],
      ["CKV2_AZURE_1", "azurerm_storage_account.lake_account", false],
    ]);
  });

  it("reads trivy's JSON with passes included", () => {
    const json = { Results: [{ Target: "stacks/estate-prod/cdk.tf.json", Misconfigurations: [{ ID: "AZU-0012", Title: "Deny", Status: "FAIL", CauseMetadata: { Resource: "azurerm_storage_account.lake" } }] }] };
    expect(parseTrivy(json)).toEqual([expect.objectContaining({ stack: "estate-prod", checkId: "AZU-0012", resource: "azurerm_storage_account.lake", passed: false })]);
  });

  it("prints one row per stack and writes failures into the JUnit report", () => {
    const reports = [{ stack: "estate-dev", checkov: { passed: 70, failed: 1, skipped: 9 }, trivy: { passed: 23, failed: 0, skipped: 2 } }];
    expect(formatTable(reports).split("\n")[2]).toMatch(/^estate-dev\s+70\s+1\s+9\s+23\s+0\s+2$/);
    const junit = toJunit(reports, [finding({ checkId: "CKV_X", passed: false, title: "a <bad> check" })]);
    expect(junit).toContain('<testsuite name="checkov estate-dev" tests="1" failures="1"');
    expect(junit).toContain('<failure message="a &lt;bad&gt; check">');
  });
});

describe("the stacks as checkov reads them", () => {
  it("are copied without terraform.required_version, which checkov's JSON parser refuses, and with everything else", () => {
    const outdir = mkdtempSync(path.join(os.tmpdir(), "policy-copy-"));
    try {
      const stack = { terraform: { required_version: ">= 1.11.0", backend: { azurerm: { key: "k" } } }, resource: { azurerm_resource_group: { rg: { name: "rg" } } } };
      mkdirSync(path.join(outdir, "stacks", "estate-dev"), { recursive: true });
      writeFileSync(path.join(outdir, "stacks", "estate-dev", "cdk.tf.json"), JSON.stringify(stack));
      const copy = copyForCheckov(outdir, ["estate-dev"], path.join(outdir, "copy"));
      expect(JSON.parse(readFileSync(path.join(copy, "stacks", "estate-dev", "cdk.tf.json"), "utf8"))).toEqual({ terraform: { backend: stack.terraform.backend }, resource: stack.resource });
      expect(JSON.parse(readFileSync(path.join(outdir, "stacks", "estate-dev", "cdk.tf.json"), "utf8"))).toEqual(stack);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
