/**
 * `terraform init -backend=false` on a synthesized stack, with a CLI configuration whose only
 * provider source is an empty filesystem mirror. Terraform checks the configuration (expressions,
 * `depends_on`, `required_version`, blocks) before it installs providers, so every error it reports
 * other than "providers not available" is one `cdktf deploy` would stop at. Nothing is downloaded.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Terraform release the pipelines pin (.azure-devops/templates/steps/install-terraform.yml). */
export const PIPELINE_TERRAFORM_MINOR = "1.11";

/** The only error an empty mirror may cause: a provider that is not in it. */
const PROVIDER_UNAVAILABLE = "Failed to query available provider packages";

interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
  range?: { filename?: string; start?: { line?: number } };
}

/** The `terraform` on PATH and its version; throws (never skips) when it is missing or too old. */
export function terraformVersion(): string {
  const result = spawnSync("terraform", ["version", "-json"], { encoding: "utf8", env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" } });
  if (result.error || result.status !== 0) throw new Error(`terraform is not on PATH (${result.error?.message ?? result.stderr}); install Terraform ${PIPELINE_TERRAFORM_MINOR} as the pipelines do`);
  return (JSON.parse(result.stdout) as { terraform_version: string }).terraform_version;
}

/**
 * The configuration errors `terraform init` reports for a stack (Terraform JSON as an object or
 * text), each as `summary: detail (file:line)`; an empty list when only providers are missing.
 * Also fails if init reports no provider error at all, which would mean it did not get that far.
 */
export function terraformInitProblems(stack: unknown): string[] {
  const work = mkdtempSync(join(tmpdir(), "tf-init-"));
  try {
    const mirror = join(work, "empty-mirror");
    const config = join(work, "stack");
    mkdirSync(mirror);
    mkdirSync(config);
    writeFileSync(join(config, "cdk.tf.json"), typeof stack === "string" ? stack : JSON.stringify(stack));
    const cliConfig = join(work, "terraform.rc");
    writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["*/*/*"]\n  }\n}\n`);
    const result = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color", "-json"], {
      cwd: config,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1", TF_PLUGIN_CACHE_DIR: "", CHECKPOINT_DISABLE: "1" },
    });
    if (result.error) throw result.error;
    const diagnostics = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => (JSON.parse(line) as { diagnostic?: Diagnostic }).diagnostic)
      .filter((d): d is Diagnostic => d !== undefined && d.severity === "error");
    // The closing "problems with the configuration" summary only repeats the errors it follows.
    const problems = diagnostics
      .filter((d) => d.summary !== PROVIDER_UNAVAILABLE && !d.summary.startsWith("Terraform encountered problems during initialisation"))
      .map((d) => `${d.summary}: ${d.detail ?? ""} (${d.range?.filename ?? "?"}:${d.range?.start?.line ?? "?"})`);
    if (problems.length === 0 && !diagnostics.some((d) => d.summary === PROVIDER_UNAVAILABLE)) {
      problems.push(`terraform init reported no missing provider, so it did not check the whole configuration: ${result.stdout.slice(-500)}${result.stderr.slice(-500)}`);
    }
    return problems;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
