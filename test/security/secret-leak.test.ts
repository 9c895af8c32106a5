/**
 * No password, key or token literal in the synthesized Terraform or the test logs. The
 * planted-secret tests prove the scan would notice one.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { ENVIRONMENTS, stackName } from "../../src/stacks/config";
import { EstateStack } from "../../src/stacks/estate-stack";
import { CONFIGS } from "../helpers/synth";
import { AllowedLiteral, filesUnder, findLeaks, scanFiles } from "./leak-detector";

const repoRoot = path.resolve(__dirname, "..", "..");
const reportsDir = path.resolve(repoRoot, process.env.REPORTS_DIR ?? "reports");

/**
 * The Azurite emulator's development account key is public and documented by Microsoft; it opens
 * nothing in Azure. It may appear in exactly one file, the Azurite test helper, which says so.
 */
const AZURITE_HELPER = "test/lake/azurite.ts";
function azuriteAllowance(): AllowedLiteral[] {
  const helper = path.join(repoRoot, AZURITE_HELPER);
  if (!existsSync(helper)) return [];
  const value = /AZURITE_PUBLIC_DEV_ACCOUNT_KEY\s*=\s*"([^"]+)"/.exec(readFileSync(helper, "utf8"))?.[1];
  return value ? [{ file: AZURITE_HELPER, value, reason: "public Azurite development account key" }] : [];
}

/** A value shaped like an Azure storage account key (64 random bytes, base64), made at run time so no key sits in this file. */
function fakeAccountKey(): string {
  return randomBytes(64).toString("base64");
}

function fakePassword(): string {
  return `Pw${randomBytes(12).toString("hex")}`;
}

describe("secret leak scan", () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(os.tmpdir(), "leak-synth-"));
    const app = new App({ outdir });
    for (const environment of ENVIRONMENTS) new EstateStack(app, stackName(environment), CONFIGS[environment]);
    app.synth();
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("finds no password, key or token in any synthesized file of any stack", () => {
    const files = filesUnder(outdir);
    for (const environment of ENVIRONMENTS) expect(files).toContain(path.join(outdir, "stacks", stackName(environment), "cdk.tf.json"));
    expect(scanFiles(outdir, files)).toEqual([]);
  });

  it("finds no password, key or token in the test logs written so far", () => {
    const logs = existsSync(reportsDir) ? filesUnder(reportsDir).filter((file) => file.endsWith(".log")) : [];
    expect(scanFiles(reportsDir, logs, azuriteAllowance())).toEqual([]);
  });

  it("catches a storage account key planted in a synthesized file", () => {
    const key = fakeAccountKey();
    const stackFile = path.join(outdir, "stacks", "estate-dev", "cdk.tf.json");
    const planted = readFileSync(stackFile, "utf8").replace('"resource": {', `"resource": {\n    "azurerm_key_vault_secret": { "planted": { "value": "${key}" } },`);
    const leaks = findLeaks("stacks/estate-dev/cdk.tf.json", planted);
    expect(leaks.map((leak) => leak.kind)).toContain("Azure storage account key");
    expect(leaks.every((leak) => !leak.excerpt.includes(key))).toBe(true);
  });

  it("catches a literal password given to a resource", () => {
    const leaks = findLeaks("cdk.tf.json", `{ "administrator_password": "${fakePassword()}", "administrator_login": "bankadmin" }`);
    expect(leaks).toEqual([expect.objectContaining({ line: 1, kind: "password, secret or token literal" })]);
  });

  it("catches a connection string password in a test log on disk", () => {
    const logDir = mkdtempSync(path.join(os.tmpdir(), "leak-log-"));
    try {
      writeFileSync(path.join(logDir, "spark.log"), `starting\nconnecting with host=localhost;Username=etl;Password=${fakePassword()};\ndone\n`);
      const leaks = scanFiles(logDir, filesUnder(logDir));
      expect(leaks).toEqual([expect.objectContaining({ file: "spark.log", line: 2, kind: "key or password in a connection string" })]);
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it("ignores Terraform and Databricks secret references, which hold no secret", () => {
    const text = `{ "administrator_password_wo": "\${random_password.admin.result}", "PG_PASSWORD": "{{secrets/bank-prod/pg-admin-password}}" }`;
    expect(findLeaks("cdk.tf.json", text)).toEqual([]);
  });

  it("allows the public Azurite key only in the Azurite test helper", () => {
    const allowance = azuriteAllowance();
    expect(allowance).toHaveLength(1);
    const line = `AccountKey=${allowance[0].value};`;
    expect(findLeaks(AZURITE_HELPER, line, allowance)).toEqual([]);
    expect(findLeaks("test/lake/cli.test.ts", line, allowance).length).toBeGreaterThan(0);
  });
});
