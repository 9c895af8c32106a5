import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PIPELINES_DIR, listFiles, REPO_ROOT } from "./azure-pipelines";

const script = path.join(PIPELINES_DIR, "scripts", "terraform-stack.sh");

/**
 * A stand-in `terraform` on PATH: records each call with the identity variables it was given,
 * and writes the files the real commands would (tfplan, the lock file, show output).
 */
const FAKE_TERRAFORM = `#!/usr/bin/env bash
set -euo pipefail
{
  echo "terraform $*"
  for name in ARM_CLIENT_ID ARM_TENANT_ID ARM_SUBSCRIPTION_ID ARM_USE_OIDC ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID ARM_OIDC_AZURE_SERVICE_CONNECTION_ID DATABRICKS_AUTH_TYPE TF_IN_AUTOMATION; do
    echo "  $name=\${!name:-}"
  done
} >>"$TERRAFORM_CALLS"
case "$1" in
  init) touch .terraform.lock.hcl; mkdir -p .terraform/providers ;;
  plan)
    code="\${FAKE_PLAN_EXIT:-0}"
    if [[ "$code" != 1 ]]; then touch tfplan; else echo "Error: building account: unauthorized" >&2; fi
    exit "$code" ;;
  apply) if [[ -n "\${FAIL_APPLY:-}" ]]; then echo "Error: creating external location" >&2; exit 1; fi ;;
  show) if [[ "$2" == "-json" ]]; then echo '{"format_version":"1.2"}'; else echo "No changes."; fi ;;
  output)
    name="\${*: -1}"
    if [[ "$name" == "lake_account_id" ]]; then printf '%s' "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-bank-dev-01/providers/Microsoft.Storage/storageAccounts/stbankdev01"
    else echo "Error: output $name not found" >&2; exit 1; fi ;;
esac
`;

interface Sandbox {
  root: string;
  stackDir: string;
  calls: string;
  run(args: string[], env?: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string };
}

function sandbox(): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), "terraform-stack-"));
  const bin = path.join(root, "bin");
  const stackDir = path.join(root, "tfplan-estate-dev");
  mkdirSync(bin);
  mkdirSync(stackDir);
  writeFileSync(path.join(stackDir, "cdk.tf.json"), "{}");
  writeFileSync(path.join(bin, "terraform"), FAKE_TERRAFORM);
  chmodSync(path.join(bin, "terraform"), 0o755);
  const calls = path.join(root, "calls.log");
  writeFileSync(calls, "");
  // What AzureCLI@2 with addSpnToEnvironment and the template's env mapping provide. Placeholders only.
  const pipelineEnv = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    HOME: root,
    TERRAFORM_CALLS: calls,
    servicePrincipalId: "11111111-1111-1111-1111-111111111111",
    tenantId: "22222222-2222-2222-2222-222222222222",
    idToken: "federated-token-placeholder",
    AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "33333333-3333-3333-3333-333333333333",
    ARM_SUBSCRIPTION_ID: "44444444-4444-4444-4444-444444444444",
    SYSTEM_ACCESSTOKEN: "job-token-placeholder",
    SYSTEM_OIDCREQUESTURI: "https://dev.azure.com/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
    ARM_USE_OIDC: "true",
  };
  return {
    root,
    stackDir,
    calls,
    run(args, env = {}) {
      const merged = Object.fromEntries(
        Object.entries({ ...pipelineEnv, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const result = spawnSync("bash", [script, ...args], { env: merged, encoding: "utf8" });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

describe("terraform-stack.sh", () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => rmSync(box.root, { recursive: true, force: true }));

  const commands = () =>
    readFileSync(box.calls, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("terraform "));

  it("plans into tfplan and writes plan.txt, plan.json and an .artifactignore without .terraform", () => {
    const result = box.run(["plan", box.stackDir]);
    expect(result.status).toBe(0);
    expect(commands()).toEqual([
      "terraform init -input=false -no-color",
      "terraform plan -input=false -no-color -out=tfplan",
      "terraform show -no-color tfplan",
      "terraform show -json tfplan",
    ]);
    expect(readFileSync(path.join(box.stackDir, "plan.txt"), "utf8")).toBe("No changes.\n");
    expect(JSON.parse(readFileSync(path.join(box.stackDir, "plan.json"), "utf8"))).toEqual({ format_version: "1.2" });
    expect(readFileSync(path.join(box.stackDir, ".artifactignore"), "utf8")).toBe(".terraform/\n");
  });

  it("hands Terraform the service connection's federated identity", () => {
    box.run(["plan", box.stackDir]);
    const log = readFileSync(box.calls, "utf8");
    expect(log).toContain("ARM_CLIENT_ID=11111111-1111-1111-1111-111111111111");
    expect(log).toContain("ARM_TENANT_ID=22222222-2222-2222-2222-222222222222");
    expect(log).toContain("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID=33333333-3333-3333-3333-333333333333");
    expect(log).toContain("ARM_OIDC_AZURE_SERVICE_CONNECTION_ID=33333333-3333-3333-3333-333333333333");
    expect(log).toContain("ARM_USE_OIDC=true");
    expect(log).toContain("DATABRICKS_AUTH_TYPE=azure-cli");
  });

  it("plans without the state lock when asked", () => {
    expect(box.run(["plan", box.stackDir], { TF_PLAN_LOCK: "false" }).status).toBe(0);
    expect(commands()).toContain("terraform plan -input=false -no-color -out=tfplan -lock=false");
  });

  it("plans without refreshing, and without the state lock, for a pull request", () => {
    expect(box.run(["plan", box.stackDir], { TF_PLAN_LOCK: "false", TF_PLAN_REFRESH: "false" }).status).toBe(0);
    expect(commands()).toContain("terraform plan -input=false -no-color -out=tfplan -lock=false -refresh=false");
  });

  it("refreshes by default", () => {
    expect(box.run(["plan", box.stackDir]).status).toBe(0);
    expect(commands().filter((command) => command.startsWith("terraform plan"))).toEqual(["terraform plan -input=false -no-color -out=tfplan"]);
  });

  it("applies the saved plan after installing the locked providers", () => {
    writeFileSync(path.join(box.stackDir, "tfplan"), "");
    writeFileSync(path.join(box.stackDir, ".terraform.lock.hcl"), "");
    expect(box.run(["apply", box.stackDir]).status).toBe(0);
    expect(commands()).toEqual([
      "terraform init -input=false -no-color -lockfile=readonly",
      "terraform apply -input=false -no-color tfplan",
    ]);
  });

  it("publishes the outputs a later step needs as job variables after apply", () => {
    writeFileSync(path.join(box.stackDir, "tfplan"), "");
    writeFileSync(path.join(box.stackDir, ".terraform.lock.hcl"), "");
    const result = box.run(["apply", box.stackDir], { TF_EXPORT_OUTPUTS: "lake_account_id" });
    expect(result.status).toBe(0);
    expect(commands()).toEqual([
      "terraform init -input=false -no-color -lockfile=readonly",
      "terraform apply -input=false -no-color tfplan",
      "terraform output -no-color -raw lake_account_id",
    ]);
    expect(result.stdout).toContain(
      "##vso[task.setvariable variable=TF_OUTPUT_lake_account_id]/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-bank-dev-01/providers/Microsoft.Storage/storageAccounts/stbankdev01",
    );
  });

  it("fails, naming it, when the stack lacks an output to publish", () => {
    writeFileSync(path.join(box.stackDir, "tfplan"), "");
    writeFileSync(path.join(box.stackDir, ".terraform.lock.hcl"), "");
    const result = box.run(["apply", box.stackDir], { TF_EXPORT_OUTPUTS: "lake_acount_id" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("the stack has no output lake_acount_id");
  });

  it("still publishes the outputs when apply fails, and fails with it", () => {
    writeFileSync(path.join(box.stackDir, "tfplan"), "");
    writeFileSync(path.join(box.stackDir, ".terraform.lock.hcl"), "");
    const result = box.run(["apply", box.stackDir], { TF_EXPORT_OUTPUTS: "lake_account_id not_yet_created", FAIL_APPLY: "1" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("##vso[task.setvariable variable=TF_OUTPUT_lake_account_id]/subscriptions/");
    expect(result.stdout).not.toContain("not_yet_created]");
    expect(result.stdout).not.toContain("has no output");
  });

  it("refuses to apply without a saved plan", () => {
    writeFileSync(path.join(box.stackDir, ".terraform.lock.hcl"), "");
    const result = box.run(["apply", box.stackDir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("has no saved plan (tfplan)");
    expect(commands()).toEqual([]);
  });

  it("refuses a service connection that authenticates with a stored key", () => {
    const result = box.run(["plan", box.stackDir], { servicePrincipalKey: "stored-key-placeholder" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("switch it to workload identity federation");
    expect(commands()).toEqual([]);
  });

  it("refuses to run outside AzureCLI@2 with addSpnToEnvironment", () => {
    const result = box.run(["plan", box.stackDir], { servicePrincipalId: undefined });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("run me from AzureCLI@2 with addSpnToEnvironment: true");
  });

  it("refuses a subscription id that is an unexpanded pipeline variable", () => {
    const result = box.run(["plan", box.stackDir], { ARM_SUBSCRIPTION_ID: "$(ARM_SUBSCRIPTION_ID)" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("ARM_SUBSCRIPTION_ID is not a subscription id");
  });

  it("prefers an explicit ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID over the task's", () => {
    box.run(["plan", box.stackDir], { ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: "55555555-5555-5555-5555-555555555555" });
    expect(readFileSync(box.calls, "utf8")).toContain("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID=55555555-5555-5555-5555-555555555555");
  });

  it("checks drift with -detailed-exitcode and without the state lock", () => {
    expect(box.run(["drift", box.stackDir], { FAKE_PLAN_EXIT: "2" }).status).toBe(0);
    expect(commands()).toEqual([
      "terraform init -input=false -no-color",
      "terraform plan -input=false -no-color -detailed-exitcode -lock=false -out=tfplan",
      "terraform show -no-color tfplan",
      "terraform show -json tfplan",
    ]);
  });

  it("records the drift plan's exit code for the summary step and leaves no saved plan", () => {
    expect(box.run(["drift", box.stackDir], { FAKE_PLAN_EXIT: "2" }).status).toBe(0);
    expect(readFileSync(path.join(box.stackDir, "plan.exitcode"), "utf8")).toBe("2\n");
    expect(existsSync(path.join(box.stackDir, "plan.json"))).toBe(true);
    expect(existsSync(path.join(box.stackDir, "tfplan"))).toBe(false);
  });

  it("records exit code 0 when the drift plan finds no changes", () => {
    expect(box.run(["drift", box.stackDir]).status).toBe(0);
    expect(readFileSync(path.join(box.stackDir, "plan.exitcode"), "utf8")).toBe("0\n");
  });

  it("fails when the drift plan errors, after recording exit code 1 and without plan files", () => {
    writeFileSync(path.join(box.stackDir, "plan.json"), "{}");
    const result = box.run(["drift", box.stackDir], { FAKE_PLAN_EXIT: "1" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("terraform plan failed (exit 1); the drift check could not run");
    expect(readFileSync(path.join(box.stackDir, "plan.exitcode"), "utf8")).toBe("1\n");
    // A plan.json left from an earlier run is not taken for this one's.
    expect(existsSync(path.join(box.stackDir, "plan.json"))).toBe(false);
    expect(commands().filter((line) => line.startsWith("terraform show"))).toEqual([]);
  });

  it("refuses to take the state lock for a drift plan", () => {
    const result = box.run(["drift", box.stackDir], { TF_PLAN_LOCK: "true" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("a drift plan never takes the state lock");
    expect(commands()).toEqual([]);
  });

  it("refuses a directory that is not a synthesized stack", () => {
    const result = box.run(["plan", box.root]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("has no cdk.tf.json");
    expect(existsSync(path.join(box.root, "tfplan"))).toBe(false);
  });
});

describe("the .azure-devops shell scripts", () => {
  it.each(listFiles(PIPELINES_DIR, (file) => file.endsWith(".sh")))("%s is valid bash", (file) => {
    const result = spawnSync("bash", ["-n", path.join(REPO_ROOT, file)], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
