import { transformFileSync } from "@swc/core";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REDACTED, maskSensitive, redactPlan } from "../../src/tools/plan-redact";
import { summarizePlan, type TerraformPlanJson } from "../../src/tools/plan-summary";

const fixtureFile = path.join(__dirname, "..", "fixtures", "plan", "sensitive.plan.json");
const fixtureText = readFileSync(fixtureFile, "utf8");
// The fixture marks every sensitive value with this prefix; none is a real secret.
const MARKER = "SENSITIVE-FIXTURE";

type Json = Parameters<typeof redactPlan>[0];
type AnyObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("maskSensitive", () => {
  it("masks a wholly sensitive value", () => {
    expect(maskSensitive("x", true)).toBe(REDACTED);
  });

  it("masks only the marked attributes of an object", () => {
    expect(maskSensitive({ login: "a", password: "b" }, { password: true })).toEqual({ login: "a", password: REDACTED });
  });

  it("follows list positions in the sensitivity shadow", () => {
    expect(maskSensitive([{ k: "a" }, { k: "b" }], [{}, { k: true }])).toEqual([{ k: "a" }, { k: REDACTED }]);
  });

  it("leaves values alone where the shadow is false or absent", () => {
    expect(maskSensitive({ a: 1 }, false)).toEqual({ a: 1 });
    expect(maskSensitive({ a: 1 }, undefined)).toEqual({ a: 1 });
  });

  it("keeps null as null, so 'not set' still reads as not set", () => {
    expect(maskSensitive(null, true)).toBeNull();
  });
});

describe("redactPlan over a recorded plan with sensitive values", () => {
  const original = JSON.parse(fixtureText) as Json;
  const redacted = redactPlan(original) as AnyObject;

  it("leaves no sensitive value anywhere in the plan", () => {
    expect(fixtureText).toContain(MARKER);
    expect(JSON.stringify(redacted)).not.toContain(MARKER);
  });

  it("masks resource change attributes that before_sensitive and after_sensitive mark", () => {
    const server = redacted.resource_changes[1].change;
    expect(server.before.administrator_password).toBe(REDACTED);
    expect(server.after.administrator_password).toBe(REDACTED);
    expect(server.after.tags).toEqual({ owner: "data-engineering" });
    expect(redacted.resource_changes[2].change.after).toEqual({ name: "webhook-token", content_type: "text/plain", value: REDACTED });
  });

  it("masks state values in planned_values and prior_state, child modules included", () => {
    expect(redacted.planned_values.root_module.resources[0].values.result).toBe(REDACTED);
    expect(redacted.planned_values.root_module.child_modules[0].resources[0].values.administrator_login).toBe("estateadmin");
    expect(redacted.prior_state.values.root_module.resources[0].values.bcrypt_hash).toBe(REDACTED);
  });

  it("masks sensitive outputs and keeps the others", () => {
    expect(redacted.output_changes.admin_password.before).toBe(REDACTED);
    expect(redacted.output_changes.server_fqdn.after).toBe("psql-estate-dev.postgres.database.azure.com");
    expect(redacted.planned_values.outputs.admin_password.value).toBe(REDACTED);
    expect(redacted.prior_state.values.outputs.admin_password.value).toBe(REDACTED);
  });

  it("masks the values and defaults of variables declared sensitive", () => {
    expect(redacted.variables).toEqual({ admin_login: { value: "estateadmin" }, webhook_token: { value: REDACTED } });
    expect(redacted.configuration.root_module.variables.webhook_token.default).toBe(REDACTED);
    expect(redacted.configuration.root_module.module_calls.sink.module.variables.password.default).toBe(REDACTED);
  });

  it("does not change the summary reviewers see", () => {
    expect(summarizePlan("estate-dev", redacted as TerraformPlanJson)).toEqual(
      summarizePlan("estate-dev", original as unknown as TerraformPlanJson),
    );
  });

  it("does not modify the plan it was given", () => {
    expect(JSON.stringify(original)).toBe(JSON.stringify(JSON.parse(fixtureText)));
  });
});

describe("plan-redact command line", () => {
  let workDir: string;
  let compiledCli: string;

  beforeAll(() => {
    workDir = mkdtempSync(path.join(tmpdir(), "plan-redact-"));
    const { code } = transformFileSync(path.join(__dirname, "../../src/tools/plan-redact.ts"), {
      jsc: { target: "es2022", parser: { syntax: "typescript" } },
      module: { type: "commonjs" },
    });
    compiledCli = path.join(workDir, "plan-redact.js");
    writeFileSync(compiledCli, code);
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it("rewrites each plan file in place", () => {
    const plan = path.join(workDir, "plan.json");
    writeFileSync(plan, fixtureText);
    const result = spawnSync(process.execPath, [compiledCli, plan], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(readFileSync(plan, "utf8")).not.toContain(MARKER);
  });

  it("exits non-zero with a one-line error for a file that is not JSON", () => {
    const broken = path.join(workDir, "broken.json");
    writeFileSync(broken, "{");
    const result = spawnSync(process.execPath, [compiledCli, broken], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^plan-redact: cannot read plan .*broken\.json: .*\n$/);
  });
});
