/**
 * Every environment stack passes `terraform init` (issue 17, item 0): the configuration checks
 * Terraform runs before it installs providers, with an empty provider mirror, so that only
 * "providers not available" may be reported.
 */
import { ENVIRONMENTS } from "../../src/stacks/config";
import { synthEnvironment } from "../helpers/synth";
import { PIPELINE_TERRAFORM_MINOR, terraformInitProblems, terraformVersion } from "../helpers/terraform-init";

describe("terraform init on the synthesized stacks", () => {
  it(`runs the Terraform ${PIPELINE_TERRAFORM_MINOR} the pipelines pin`, () => {
    expect(terraformVersion()).toMatch(new RegExp(`^${PIPELINE_TERRAFORM_MINOR.replace(".", "\\.")}\\.`));
  });

  it.each(ENVIRONMENTS)("reports no configuration error for estate-%s", (environment) => {
    expect(terraformInitProblems(synthEnvironment(environment))).toEqual([]);
  });

  it.each(ENVIRONMENTS)("puts only static references in every depends_on of estate-%s", (environment) => {
    const interpolated = Object.entries(synthEnvironment(environment).resource).flatMap(([type, byName]) =>
      Object.entries(byName).flatMap(([name, body]) => ((body.depends_on as string[] | undefined) ?? []).filter((entry) => entry.includes("${")).map((entry) => `${type}.${name}: ${entry}`)),
    );
    expect(interpolated).toEqual([]);
  });

  it("catches, on purpose, a depends_on that holds an interpolation", () => {
    const broken = JSON.parse(JSON.stringify(synthEnvironment("dev"))) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const [type, byName] = Object.entries(broken.resource).find(([, resources]) => Object.values(resources).some((body) => Array.isArray(body.depends_on)))!;
    const [, body] = Object.entries(byName).find(([, candidate]) => Array.isArray(candidate.depends_on))!;
    body.depends_on = (body.depends_on as string[]).map((entry) => `\${${entry}}`);
    expect({ type, problems: terraformInitProblems(broken) }).toEqual({ type, problems: [expect.stringMatching(/^Invalid expression: A single static variable reference is required/)] });
  });

  it("catches, on purpose, a required_version the CLI does not meet", () => {
    const broken = { ...synthEnvironment("dev"), terraform: { ...synthEnvironment("dev").terraform, required_version: ">= 9.0.0" } };
    expect(terraformInitProblems(broken)).toEqual([expect.stringMatching(/^Unsupported Terraform Core version/)]);
  });
});
