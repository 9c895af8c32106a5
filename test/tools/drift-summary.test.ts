import { transformFileSync } from "@swc/core";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  addressMatches,
  attributeChanges,
  attributeMatches,
  changedPaths,
  checkDrift,
  exitCodeFor,
  formatPath,
  isExpired,
  loadAcceptedDrift,
  parseAcceptedDrift,
  parseExitCode,
  renderDriftMarkdown,
  terraformExitMeaning,
  type Acceptance,
  type DriftPlanJson,
  type DriftReport,
} from "../../src/tools/drift-summary";
import { REDACTED } from "../../src/tools/plan-redact";

const REPO_ROOT = path.join(__dirname, "..", "..");
const fixtures = path.join(REPO_ROOT, "test", "fixtures", "plan");
const fixture = (name: string) => path.join(fixtures, name);
const load = (name: string) => JSON.parse(readFileSync(fixture(name), "utf8")) as DriftPlanJson;
const noDriftPlan = load("drift-none.plan.json");
const attributePlan = load("drift-attributes.plan.json");
const deletedPlan = load("drift-deleted.plan.json");
const acceptedPlan = load("drift-accepted.plan.json");
const fixtureAcceptances = loadAcceptedDrift(fixture("accepted-drift.yaml"));
// The recorded plans mark every sensitive value with this prefix; none is a real secret.
const MARKER = "SENSITIVE-FIXTURE";
const now = new Date("2026-03-02T05:10:00Z");

const LAKE = "azurerm_storage_account.lake_account_92054329";
const SECRET = "azurerm_key_vault_secret.database_admin-password-secret_AAD1E033";
const SERVER = "azurerm_postgresql_flexible_server.database_server_8BFC5013";
const ENDPOINT = "azurerm_private_endpoint.secrets_private-endpoint_7E4FCCF4";
const GROUP = "azurerm_resource_group.resource-group";
const NSG = "azurerm_network_security_group.network_databricks-host-nsg_8D1F9A7E";

const check = (plan: DriftPlanJson | undefined, terraformExitCode: number | undefined, acceptances: readonly Acceptance[] = []) =>
  checkDrift({ stack: "estate-dev", terraformExitCode, plan, acceptances, now });
const acceptance = (fields: Partial<Acceptance> & Pick<Acceptance, "address" | "attributes">): Acceptance => ({ entry: 1, reason: "a test acceptance", ...fields });
const addresses = (resources: DriftReport["drifted"]) => resources.map((resource) => resource.address);

describe("terraform plan -detailed-exitcode and the drift check's exit code", () => {
  it.each([
    [0, "no-changes"],
    [2, "changes"],
    [1, "error"],
    [137, "error"],
    [undefined, "error"],
  ] as const)("reads terraform's exit code %s as %s", (code, meaning) => {
    expect(terraformExitMeaning(code)).toBe(meaning);
  });

  it.each([
    ["no-drift", 0],
    ["accepted", 0],
    ["drift", 2],
    ["expired", 2],
    ["error", 1],
  ] as const)("exits %s as %i, in terraform's own scheme", (status, code) => {
    expect(exitCodeFor(status)).toBe(code);
  });

  it("reports exit code 1 as an error, not as drift, without needing a plan", () => {
    const report = check(undefined, 1);
    expect(report.status).toBe("error");
    expect(report.error).toContain("terraform plan failed (exit 1)");
  });

  it("reports a missing exit code as an error: the plan did not finish", () => {
    expect(check(attributePlan, undefined).error).toContain("recorded no exit code");
  });

  it("reports an exit code -detailed-exitcode never returns as an error", () => {
    expect(check(noDriftPlan, 137).error).toContain("terraform plan exited 137, which -detailed-exitcode never returns");
  });

  it("reports exit 0 with planned changes in the plan as an error, not as no drift", () => {
    expect(check(attributePlan, 0).error).toContain("exited 0 (no changes) but the plan lists 3 planned resource change(s)");
  });

  it("reports exit 2 with nothing planned as an error", () => {
    expect(check(noDriftPlan, 2).error).toContain("exited 2 (changes) but the plan lists no resource or output change");
  });

  it("reports a plan that says it errored as an error", () => {
    expect(check({ ...noDriftPlan, errored: true }, 0).status).toBe("error");
  });

  it("reports a missing plan after exit 0 or 2 as an error", () => {
    expect(check(undefined, 2).error).toContain("left no JSON plan");
  });
});

describe("the recorded plan without drift", () => {
  const report = check(noDriftPlan, 0);

  it("reports no drift", () => {
    expect(report.status).toBe("no-drift");
  });

  it("lists no resource and counts no change", () => {
    expect([...report.drifted, ...report.unapplied, ...report.accepted, ...report.unmanaged]).toEqual([]);
    expect(report.counts).toEqual({ add: 0, change: 0, replace: 0, destroy: 0, forget: 0 });
  });
});

describe("the recorded plan with attribute drift", () => {
  const report = check(attributePlan, 2);
  const resource = (address: string) => [...report.drifted, ...report.unapplied].find((r) => r.address === address);

  it("reports drift", () => {
    expect(report.status).toBe("drift");
  });

  it("lists the resources changed outside Terraform", () => {
    expect(addresses(report.drifted)).toEqual([SECRET, LAKE]);
  });

  it("names each attribute that changed outside Terraform with its values before and after", () => {
    expect(resource(LAKE)?.outsideAttributes).toEqual([
      { path: "network_rules[0].default_action", before: '"Deny"', after: '"Allow"' },
      { path: "network_rules[0].ip_rules", before: "[]", after: '["203.0.113.7"]' },
      { path: "public_network_access_enabled", before: "false", after: "true" },
    ]);
  });

  it("says what an apply would do about each drifted resource", () => {
    expect(report.drifted.map((r) => [r.outside, r.planned])).toEqual([["update", "change"], ["update", "change"]]);
  });

  it("names a sensitive attribute that changed without showing its value", () => {
    expect(resource(SECRET)?.outsideAttributes).toContainEqual({ path: "value", before: REDACTED, after: REDACTED });
  });

  it("leaves no sensitive value in the report or the Markdown", () => {
    expect(JSON.stringify(attributePlan)).toContain(MARKER);
    expect(JSON.stringify(report)).not.toContain(MARKER);
    expect(renderDriftMarkdown(report)).not.toContain(MARKER);
  });

  it("lists a planned change that no drift explains as not applied yet", () => {
    expect(addresses(report.unapplied)).toEqual([SERVER]);
    expect(resource(SERVER)?.plannedAttributes).toEqual([{ path: "backup_retention_days", before: "7", after: "14" }]);
  });
});

describe("the recorded plan with a deleted resource", () => {
  it("reports the resource deleted outside Terraform as drift that an apply would create again", () => {
    const report = check(deletedPlan, 2);
    expect(report.status).toBe("drift");
    expect(report.drifted).toEqual([{ address: ENDPOINT, outside: "delete", planned: "add", outsideAttributes: [], plannedAttributes: [], accepted: false }]);
  });

  it("never accepts a deleted resource, even when an acceptance names it", () => {
    const report = check(deletedPlan, 2, [acceptance({ address: ENDPOINT, attributes: ["name", "tags"] })]);
    expect(report.status).toBe("drift");
    expect(report.accepted).toEqual([]);
  });
});

describe("the recorded plan with accepted drift", () => {
  const report = check(acceptedPlan, 2, fixtureAcceptances);

  it("reports only accepted drift, which does not fail the run", () => {
    expect(report.status).toBe("accepted");
    expect(exitCodeFor(report.status)).toBe(0);
  });

  it("lists the accepted changes as accepted, with the entry that covers each attribute", () => {
    expect(addresses(report.accepted)).toEqual([NSG, GROUP, LAKE]);
    const lake = report.accepted.find((r) => r.address === LAKE);
    expect(lake?.plannedAttributes).toEqual([{ path: "tags.CreatedOnDate", before: '"2026-02-24T09:12:44Z"', after: "(absent)", acceptedBy: 1 }]);
  });

  it("shows the reason and expiry of the acceptance beside the accepted attribute", () => {
    const markdown = renderDriftMarkdown(report, { acceptances: fixtureAcceptances, acceptedFile: ".azure-devops/accepted-drift.yaml" });
    expect(markdown).toContain("**Accepted (.azure-devops/accepted-drift.yaml)**");
    expect(markdown).toContain('`tags.CreatedOnDate`: `(absent)` → `"2026-02-24T09:12:44Z"` (accepted until 2099-12-31: Azure Policy');
  });

  it("fails as drift when nothing is accepted", () => {
    const unaccepted = check(acceptedPlan, 2);
    expect(unaccepted.status).toBe("drift");
    expect(addresses(unaccepted.drifted)).toEqual([GROUP, LAKE]);
  });

  it("still reports drift in an attribute the acceptance does not name", () => {
    const owner = acceptance({ address: "**", attributes: ["tags.owner"] });
    expect(check(acceptedPlan, 2, [owner]).status).toBe("drift");
  });

  it("lists changes outside Terraform that the plan leaves alone as information, without failing", () => {
    const tagsOnly = fixtureAcceptances.filter((a) => a.address === "azurerm_*.*");
    const partly = check(acceptedPlan, 2, tagsOnly);
    expect(partly.status).toBe("accepted");
    expect(partly.unmanaged).toEqual([
      expect.objectContaining({ address: NSG, outside: "update", outsideAttributes: [{ path: "security_rule", before: "[1 item]", after: "[3 items]" }] }),
    ]);
  });

  it("fails when an acceptance has expired, and says which acceptance would have covered the change", () => {
    const expired = acceptance({ address: "**", attributes: ["tags.CreatedOnDate"], expires: "2026-03-01" });
    const result = check(acceptedPlan, 2, [expired, ...fixtureAcceptances.slice(1).map((a) => ({ ...a, entry: 2 }))]);
    expect(result.status).toBe("drift");
    expect(result.expiredAcceptances).toEqual([expired]);
    expect(result.drifted.find((r) => r.address === LAKE)?.plannedAttributes[0].expiredAcceptance).toBe(1);
  });

  it("fails on an expired acceptance that no longer matches anything", () => {
    const stale = acceptance({ address: ENDPOINT, attributes: ["tags"], expires: "2025-12-31" });
    const result = check(noDriftPlan, 0, [stale]);
    expect(result.status).toBe("expired");
    expect(exitCodeFor(result.status)).toBe(2);
  });

  it("ignores acceptances for other stacks", () => {
    const prodOnly = fixtureAcceptances.map((a) => ({ ...a, stacks: ["estate-prod"] }));
    expect(check(acceptedPlan, 2, prodOnly).status).toBe("drift");
  });

  it("lists an unexpired acceptance that matched nothing as unused", () => {
    expect(check(noDriftPlan, 0, fixtureAcceptances).unusedAcceptances.map((a) => a.entry)).toEqual([1, 2]);
  });
});

describe("isExpired", () => {
  it("holds an acceptance through its expiry day (UTC) and not after", () => {
    const a = acceptance({ address: "**", attributes: ["tags"], expires: "2026-03-02" });
    expect(isExpired(a, new Date("2026-03-02T23:59:59Z"))).toBe(false);
    expect(isExpired(a, new Date("2026-03-03T00:00:00Z"))).toBe(true);
  });

  it("never expires an acceptance without a date", () => {
    expect(isExpired(acceptance({ address: "**", attributes: ["tags"] }), new Date("2999-01-01T00:00:00Z"))).toBe(false);
  });
});

describe("attribute paths", () => {
  it("diffs nested objects down to the changed key", () => {
    expect(changedPaths({ tags: { a: "1" }, name: "x" }, { tags: { a: "1", b: "2" }, name: "x" })).toEqual([["tags", "b"]]);
  });

  it("diffs lists of the same length position by position", () => {
    expect(changedPaths({ rules: [{ action: "Deny" }] }, { rules: [{ action: "Allow" }] })).toEqual([["rules", 0, "action"]]);
  });

  it("reports a list that grew or shrank as one change of the whole list", () => {
    expect(changedPaths({ ips: ["a"] }, { ips: ["a", "b"] })).toEqual([["ips"]]);
  });

  it("treats null and absent as the same", () => {
    expect(changedPaths({ a: null }, {})).toEqual([]);
  });

  it("counts a value known only after apply as changed", () => {
    expect(attributeChanges({ actions: ["update"], before: { id: "1" }, after: {}, after_unknown: { id: true } })).toEqual([
      { path: "id", before: '"1"', after: "(known after apply)" },
    ]);
  });

  it("cuts the path at a wholly sensitive attribute so its keys are not shown either", () => {
    const change = { actions: ["update"], before: { settings: { API_KEY: "a" } }, after: { settings: { API_KEY: "b" } }, before_sensitive: { settings: true }, after_sensitive: { settings: true } };
    expect(attributeChanges(change)).toEqual([{ path: "settings", before: REDACTED, after: REDACTED }]);
  });

  it("writes keys that are not plain names in brackets", () => {
    expect(formatPath(["tags", "hidden-link:/x"])).toBe('tags["hidden-link:/x"]');
    expect(formatPath(["network_rules", 0, "default_action"])).toBe("network_rules[0].default_action");
  });
});

describe("patterns", () => {
  it("matches an attribute pattern against the attribute and everything inside it", () => {
    expect(attributeMatches("tags", "tags.CreatedOnDate")).toBe(true);
    expect(attributeMatches("security_rule", "security_rule[2].priority")).toBe(true);
    expect(attributeMatches("tags", "tags_all.x")).toBe(false);
  });

  it("matches * within one part of an attribute path and ** across parts", () => {
    expect(attributeMatches("tags.*", "tags.CostCenter")).toBe(true);
    expect(attributeMatches("network_rules[*].default_action", "network_rules[0].default_action")).toBe(true);
    expect(attributeMatches("network_*", "network_rules[0].default_action")).toBe(true);
    expect(attributeMatches("blob_properties.*", "blob_properties[0].x")).toBe(false);
    expect(attributeMatches("blob_properties**", "blob_properties[0].x")).toBe(true);
  });

  it("matches an address pattern against the whole address, * within one part", () => {
    expect(addressMatches("azurerm_*.*", LAKE)).toBe(true);
    expect(addressMatches("azurerm_storage_account.*", "module.lake.azurerm_storage_account.x")).toBe(false);
    expect(addressMatches("**", "module.lake.azurerm_storage_account.x")).toBe(true);
    expect(addressMatches("azurerm_storage_account", LAKE)).toBe(false);
  });
});

describe("the accepted-drift file", () => {
  const parse = (document: unknown) => parseAcceptedDrift(document, "accepted-drift.yaml");
  const entry = { address: "**", attributes: ["tags.CreatedOnDate"], reason: "Azure Policy" };

  it("reads address, attributes, reason, expiry and stacks, numbering the entries", () => {
    expect(fixtureAcceptances).toEqual([
      expect.objectContaining({ entry: 1, address: "azurerm_*.*", attributes: ["tags.CreatedOnDate"], expires: "2099-12-31" }),
      expect.objectContaining({ entry: 2, address: "azurerm_network_security_group.network_databricks-*", attributes: ["security_rule"], stacks: ["estate-dev", "estate-test", "estate-prod"] }),
    ]);
  });

  it("accepts nothing when empty", () => {
    expect(parse(null)).toEqual([]);
    expect(parse({ accepted: [] })).toEqual([]);
  });

  it("refuses an entry without a reason", () => {
    expect(() => parse({ accepted: [{ ...entry, reason: " " }] })).toThrow("accepted entry 1 needs a non-empty 'reason'");
  });

  it("refuses an unknown key, such as a misspelt expires", () => {
    expect(() => parse({ accepted: [{ ...entry, expiry: "2026-01-01" }] })).toThrow("accepted entry 1 has unknown key(s) expiry");
  });

  it("refuses an expiry that is not a calendar date", () => {
    expect(() => parse({ accepted: [{ ...entry, expires: "2026-02-30" }] })).toThrow("expires '2026-02-30' is not a date (YYYY-MM-DD)");
  });

  it("refuses an attribute pattern that starts with a wildcard and would accept any change", () => {
    expect(() => parse({ accepted: [{ ...entry, attributes: ["**"] }] })).toThrow("attribute '**' must start with the attribute's name");
  });

  it("refuses an entry without attributes", () => {
    expect(() => parse({ accepted: [{ address: "**", reason: "x" }] })).toThrow("needs 'attributes'");
  });

  it("names the file and the YAML problem when it cannot be parsed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "accepted-drift-"));
    try {
      const broken = path.join(dir, "accepted-drift.yaml");
      writeFileSync(broken, "accepted: [\n");
      expect(() => loadAcceptedDrift(broken)).toThrow(`cannot read accepted drift ${broken}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checked in as .azure-devops/accepted-drift.yaml, is valid", () => {
    expect(() => loadAcceptedDrift(path.join(REPO_ROOT, ".azure-devops", "accepted-drift.yaml"))).not.toThrow();
  });

  it("checked in, accepts the DBFS key binding's move to a rotated key version in prod, and nothing else about the binding", () => {
    const checkedIn = loadAcceptedDrift(path.join(REPO_ROOT, ".azure-devops", "accepted-drift.yaml"));
    const binding = "azurerm_databricks_workspace_root_dbfs_customer_managed_key.pipeline_workspace_dbfs-key_3A1B2C4D";
    const vault = "https://kv-bank-prod-01.vault.azure.net/keys/cmk-dbw-bank-prod-dbfs";
    const rotated = (after: Record<string, string>): DriftPlanJson => ({
      format_version: "1.2",
      resource_changes: [{ address: binding, mode: "managed", type: binding.split(".")[0], change: { actions: ["update"], before: { key_vault_key_id: `${vault}/1111`, workspace_id: "/w" }, after: { key_vault_key_id: `${vault}/2222`, workspace_id: "/w", ...after } } }],
    } as unknown as DriftPlanJson);
    const judge = (plan: DriftPlanJson, stack: string) => checkDrift({ stack, terraformExitCode: 2, plan, acceptances: checkedIn, now }).status;
    expect(judge(rotated({}), "estate-prod")).toBe("accepted");
    expect(judge(rotated({ workspace_id: "/another" }), "estate-prod")).toBe("drift");
    expect(judge(rotated({}), "estate-dev")).toBe("drift");
  });
});

describe("renderDriftMarkdown", () => {
  it("says so when there is no drift", () => {
    expect(renderDriftMarkdown(check(noDriftPlan, 0))).toContain("✅ **No drift.**");
  });

  it("says an error is not a drift result and gives the reason", () => {
    const markdown = renderDriftMarkdown(check(undefined, 1));
    expect(markdown).toContain("This is not a drift result: the estate was not checked.");
    expect(markdown).toContain("**estate-dev**: terraform plan failed (exit 1)");
  });

  it("lists drift under 'Changed outside Terraform' with what an apply would do", () => {
    const markdown = renderDriftMarkdown(check(deletedPlan, 2));
    expect(markdown).toContain(`**Changed outside Terraform**\n\n- \`${ENDPOINT}\`: deleted outside Terraform; an apply would create it`);
  });

  it("lists configuration changes never applied separately from drift", () => {
    const markdown = renderDriftMarkdown(check(attributePlan, 2));
    expect(markdown).toContain(`**Not applied yet (the configuration changed; nothing changed outside Terraform)**\n\n- \`${SERVER}\`: an apply would update it in place\n  - \`backup_retention_days\`: \`7\` → \`14\``);
  });

  it("uses the given title and appends the footer", () => {
    const markdown = renderDriftMarkdown(check(noDriftPlan, 0), { title: "Drift: prod", footer: ["Run 42"] });
    expect(markdown.startsWith("### Drift: prod\n")).toBe(true);
    expect(markdown.trimEnd().endsWith("Run 42")).toBe(true);
  });
});

describe("parseExitCode", () => {
  it("reads an empty value as no exit code recorded", () => {
    expect(parseExitCode("")).toBeUndefined();
    expect(parseExitCode(" 2\n")).toBe(2);
  });

  it("refuses something that is not a number", () => {
    expect(() => parseExitCode("two")).toThrow("--exit-code 'two' is not a number");
  });
});

describe("drift-summary command line", () => {
  let workDir: string;
  let cli: string;

  beforeAll(() => {
    // Compile the tool and the modules it imports with swc (as jest does): no `npm run build` needed.
    workDir = mkdtempSync(path.join(tmpdir(), "drift-summary-"));
    for (const tool of ["drift-summary", "plan-summary", "plan-redact", "pr-comment"]) {
      const { code } = transformFileSync(path.join(REPO_ROOT, "src", "tools", `${tool}.ts`), {
        jsc: { target: "es2022", parser: { syntax: "typescript" } },
        module: { type: "commonjs" },
      });
      writeFileSync(path.join(workDir, `${tool}.js`), code);
    }
    cli = path.join(workDir, "drift-summary.js");
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", NODE_PATH: path.join(REPO_ROOT, "node_modules") } });

  it("prints the Markdown, writes the JSON report and exits 2 on drift", () => {
    const json = path.join(workDir, "drift.json");
    const result = run(["--exit-code", "2", "--json", json, `estate-dev=${fixture("drift-deleted.plan.json")}`]);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain("### Drift check: estate-dev");
    expect(JSON.parse(readFileSync(json, "utf8"))).toMatchObject({ stack: "estate-dev", status: "drift", terraformExitCode: 2 });
  });

  it("exits 0 on drift that the accepted-drift file covers", () => {
    const result = run(["--exit-code", "2", "--accepted", fixture("accepted-drift.yaml"), `estate-dev=${fixture("drift-accepted.plan.json")}`]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("**Only accepted drift.**");
  });

  it("exits 1 with a summary that says so when terraform plan failed and left no plan", () => {
    const result = run(["--exit-code", "1", `estate-dev=${path.join(workDir, "missing", "plan.json")}`]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("terraform plan failed (exit 1)");
  });

  it("exits 1 with a summary naming the file when the accepted-drift file is invalid", () => {
    const invalid = path.join(workDir, "invalid.yaml");
    writeFileSync(invalid, "accepted:\n  - address: '**'\n    attributes: [tags]\n");
    const result = run(["--exit-code", "0", "--accepted", invalid, `estate-dev=${fixture("drift-none.plan.json")}`]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${invalid}: accepted entry 1 needs a non-empty 'reason'`);
  });

  it("exits 1 with a one-line usage error without --exit-code", () => {
    const result = run([fixture("drift-none.plan.json")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^drift-summary: usage: drift-summary --exit-code <n> .*\n$/);
  });
});
