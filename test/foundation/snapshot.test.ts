import { ENVIRONMENTS } from "../../src/stacks/config";
import { synthEnvironment } from "../helpers/synth";

/**
 * A reviewable picture of each stack: one line per resource (and ephemeral block, which Terraform
 * opens while it runs and never stores) with its construct path and, where literal, its Azure name. Property tests pin the security settings; this pins what exists.
 * The job package's files are one line: they follow spark/, and the job-code tests pin them.
 */
function inventory(environment: (typeof ENVIRONMENTS)[number]): string[] {
  const synthesized = synthEnvironment(environment);
  const lines: string[] = [];
  const blocks = [...Object.entries(synthesized.resource), ...Object.entries(synthesized.ephemeral ?? {}).map(([type, bodies]) => [`ephemeral ${type}`, bodies] as const)];
  for (const [type, bodies] of blocks) {
    for (const body of Object.values(bodies)) {
      const path = (body["//"] as { metadata: { path: string } }).metadata.path.replace(/^[^/]+\//, "");
      const name = typeof body.name === "string" && !body.name.includes("${") ? ` ${body.name}` : "";
      lines.push(type === "databricks_workspace_file" ? `${type} pipeline/code-* (the job package)` : `${type} ${path}${name}`);
    }
  }
  return [...new Set(lines)].sort();
}

describe("stack snapshots", () => {
  it.each(ENVIRONMENTS)("keeps the %s stack's resources as reviewed", (environment) => {
    expect(inventory(environment)).toMatchSnapshot();
  });
});
