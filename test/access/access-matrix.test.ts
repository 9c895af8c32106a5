/**
 * The access matrix (issue 25, 26): every principal of a synthesized stack with every right it holds,
 * `npm run access -- <stack> [--json]`, and the access changes a pull request's comment shows.
 */
import { accessChanges, accessMatrix, AccessMatrix, AccessPrincipal, renderAccessChanges } from "../../src/access/access-matrix";
import { main } from "../../src/tools/access-cli";
import { ENVIRONMENTS, EnvironmentName } from "../../src/stacks/config";
import { CONFIGS, synthEnvironment } from "../helpers/synth";

const matrixOf = (environment: EnvironmentName) => accessMatrix(`estate-${environment}`, synthEnvironment(environment));
const principal = (matrix: AccessMatrix, id: string): AccessPrincipal => {
  const found = matrix.principals.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no principal ${id} in ${matrix.stack}: ${matrix.principals.map((p) => p.id).join(", ")}`);
  return found;
};
const rights = (matrix: AccessMatrix, id: string) => principal(matrix, id).rights.map((right) => `${right.right} on ${right.on}`);

/** Runs the CLI in this process and returns what it printed. */
function cli(argv: string[]): { code: number; stdout: string; stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    return { code: main(argv), stdout: out.join(""), stderr: err.join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("npm run access -- estate-prod --json", () => {
  const { code, stdout } = cli(["estate-prod", "--json"]);
  const [matrix] = (JSON.parse(stdout) as { stacks: AccessMatrix[] }).stacks;

  it("prints the documented shape", () => {
    expect(code).toBe(0);
    for (const entry of matrix.principals) {
      expect(entry).toEqual({ id: `${entry.kind}:${entry.name}`, kind: expect.any(String), name: expect.any(String), ...(entry.description ? { description: expect.any(String) } : {}), rights: expect.any(Array) });
      for (const right of entry.rights) expect(Object.keys(right).sort()).toEqual(["on", "plane", "right", "via"]);
    }
  });

  it("names the plan identity, which has no right in prod: no pull request plans prod", () => {
    expect(principal(matrix, "pipeline identity:plan")).toMatchObject({ rights: [], description: expect.stringContaining("not used for estate-prod") });
  });

  it("names the job's service principal with its rights: it runs the job and reads the secret scope", () => {
    const job = `service principal:${CONFIGS.prod.pipeline.jobServicePrincipal.name}`;
    expect(rights(matrix, job)).toEqual(expect.arrayContaining(["runs as on job bank-prod-quarterly-etl", "READ on secret scope bank-prod-kv (every secret of vault kv-bank-prod-01)", "WRITE_FILES on external location bank_prod_curated"]));
  });

  it("refuses an unknown stack and an unknown flag, exiting 2", () => {
    expect(cli(["estate-staging"])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown stack estate-staging") });
    expect(cli(["estate-prod", "--yaml"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--yaml") });
  });
});

describe.each(ENVIRONMENTS)("the access matrix of estate-%s", (environment) => {
  const matrix = matrixOf(environment);
  const engineers = `group:${CONFIGS[environment].pipeline.dataEngineers.name}`;

  it(environment === "prod" ? "lets data engineers only view the job" : "lets data engineers run the job", () => {
    expect(rights(matrix, engineers)).toContain(`${environment === "prod" ? "CAN_VIEW" : "CAN_MANAGE_RUN"} on job bank-${environment}-quarterly-etl`);
  });

  it("makes the drift identity a workspace admin and gives it MANAGE on the catalog's objects, and nothing on data", () => {
    const drift = rights(matrix, "pipeline identity:drift");
    expect(drift).toEqual(expect.arrayContaining(["workspace admin on the workspace", `MANAGE on catalog bank_${environment}`, `MANAGE on storage credential bank_${environment}_lake`]));
    expect(drift.filter((right) => /^(SELECT|MODIFY|READ_FILES|WRITE_FILES) /.test(right))).toEqual([]);
  });

  it("shows the deploy identity as the job's owner and as the vault's secrets officer", () => {
    expect(rights(matrix, "pipeline identity:deploy")).toEqual(expect.arrayContaining([`IS_OWNER on job bank-${environment}-quarterly-etl`, `Key Vault Secrets Officer on vault kv-bank-${environment}-01`]));
  });

  it("shows each access connector's role and where it holds it", () => {
    const connectors = matrix.principals.filter((candidate) => candidate.name.startsWith("access connector"));
    expect(connectors.length).toBeGreaterThan(0);
    for (const connector of connectors) expect(connector.rights.map((right) => right.right)).toContain("Storage Blob Data Contributor");
  });

  it("shows the PostgreSQL roles the migrate task creates", () => {
    expect(rights(matrix, "database role:bank_etl")).toEqual(["owns every table on schema bank"]);
    expect(rights(matrix, "database login:bank_app")).toEqual(["member of bank_reader on schema bank"]);
  });

  it("grants nothing to all users or account users", () => {
    expect(matrix.principals.map((entry) => entry.name.toLowerCase())).not.toEqual(expect.arrayContaining(["users"]));
    expect(matrix.principals.map((entry) => entry.name.toLowerCase())).not.toEqual(expect.arrayContaining(["account users"]));
  });
});

describe("the access changes a pull request makes", () => {
  it("are none when the stack's rights are the same", () => {
    expect(renderAccessChanges([accessChanges(matrixOf("dev"), matrixOf("dev"))])).toBe("");
  });

  it("show a grant the change adds, and a permission it takes away", () => {
    const after = JSON.parse(JSON.stringify(synthEnvironment("prod")));
    const features = Object.values(after.resource.databricks_grants as Record<string, { grant: Array<{ principal: string; privileges: string[] }> }>).find((body) =>
      body.grant.some((grant) => grant.principal === CONFIGS.prod.pipeline.mlConsumers.name && grant.privileges.includes("SELECT")),
    );
    features!.grant.push({ principal: "contractors", privileges: ["SELECT", "MODIFY"] });
    const engineers = CONFIGS.prod.pipeline.dataEngineers.name;
    const jobPermissions = Object.values(
      after.resource.databricks_permissions as Record<string, { job_id?: string; access_control: Array<{ group_name?: string }> }>,
    ).find((body) => body.job_id !== undefined && body.access_control.some((entry) => entry.group_name === engineers));
    jobPermissions!.access_control = jobPermissions!.access_control.filter((entry) => entry.group_name !== engineers);
    const section = renderAccessChanges([accessChanges(matrixOf("prod"), accessMatrix("estate-prod", after))]);
    expect(section).toContain("### Access changes");
    expect(section).toContain("+ group contractors: MODIFY on schema bank_prod.features");
    expect(section).toContain("+ group contractors: SELECT on schema bank_prod.features");
    expect(section).toContain(`- group ${engineers}: CAN_VIEW on job bank-prod-quarterly-etl`);
  });
});
