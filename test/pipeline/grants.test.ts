import { ENVIRONMENTS, EnvironmentName } from "../../src/stacks/config";
import { FORBIDDEN_PRINCIPALS, pipelineGrantSet } from "../../src/constructs/databricks/pipeline-grants";
import { CONFIGS, resourceAt, resourcesOf, synthEnvironment } from "../helpers/synth";

type Grant = { principal: string; privileges: string[] };

/** The synthesized grants of one securable, by principal. */
function grantsAt(environment: EnvironmentName, securable: string): Record<string, string[]> {
  const body = resourceAt(synthEnvironment(environment), "databricks_grants", `/pipeline/catalog/grants-${securable}`);
  return Object.fromEntries((body.grant as Grant[]).map((grant) => [grant.principal, grant.privileges]));
}

const READ_SCHEMA = ["USE_SCHEMA", "SELECT"];
const WRITE_SCHEMA = ["USE_SCHEMA", "SELECT", "MODIFY", "CREATE_TABLE"];

describe("the audited grant set", () => {
  it("grants data engineers all privileges on the catalog only where access is all", () => {
    expect(pipelineGrantSet("all").catalog.dataEngineers).toEqual(["ALL_PRIVILEGES"]);
    expect(pipelineGrantSet("read").catalog.dataEngineers).toEqual(["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"]);
  });

  it("differs between access levels only in the data engineers' catalog privileges", () => {
    const all = pipelineGrantSet("all");
    const read = pipelineGrantSet("read");
    expect({ ...all, catalog: { ...all.catalog, dataEngineers: [] } }).toEqual({ ...read, catalog: { ...read.catalog, dataEngineers: [] } });
  });

  it("never lets ML consumers write or read anything but the features schema", () => {
    for (const [securable, byGrantee] of Object.entries(pipelineGrantSet("all"))) {
      const privileges = byGrantee.mlConsumers ?? [];
      if (securable === "catalog") expect(privileges).toEqual(["USE_CATALOG"]);
      else if (securable === "schema:features") expect(privileges).toEqual(READ_SCHEMA);
      else expect(privileges).toEqual([]);
    }
  });
});

describe.each(ENVIRONMENTS)("the %s Unity Catalog grants", (environment) => {
  const config = CONFIGS[environment].pipeline;
  const job = config.jobServicePrincipal.name;
  const drift = config.driftChecker!.name;
  /** A securable's grants without the drift check's, which its own test covers. */
  const dataGrants = (securable: string) => Object.fromEntries(Object.entries(grantsAt(environment, securable)).filter(([principal]) => principal !== drift));

  it("grants on eleven securables: the catalog, four schemas, four external locations, the storage credential and the publication credential", () => {
    expect(resourcesOf(synthEnvironment(environment), "databricks_grants")).toHaveLength(11);
  });

  it("lets the job's service principal use the publication credential and the drift check's identity manage it, and no one else", () => {
    const body = resourceAt(synthEnvironment(environment), "databricks_grants", "/pipeline/publication-credential/grants");
    expect(Object.fromEntries((body.grant as Grant[]).map((grant) => [grant.principal, grant.privileges]))).toEqual({ [job]: ["ACCESS"], [drift]: ["MANAGE"] });
  });

  it("gives the drift check's identity what refreshing the catalog's objects and grants needs, and no data privilege", () => {
    expect(grantsAt(environment, "catalog")[drift]).toEqual(["USE_CATALOG", "USE_SCHEMA", "MANAGE"]);
    for (const area of ["landing", "curated", "features", "quarantine"]) expect(grantsAt(environment, `external-location-${area}`)[drift]).toEqual(["MANAGE"]);
    expect(grantsAt(environment, "storage-credential")).toEqual({ [drift]: ["MANAGE"] });
    for (const schema of ["raw", "curated", "features", "ops"]) expect(grantsAt(environment, `schema-${schema}`)[drift]).toBeUndefined();
  });

  it("never grants anything to account users or all workspace users", () => {
    for (const [, body] of resourcesOf(synthEnvironment(environment), "databricks_grants")) {
      for (const grant of body.grant as Grant[]) expect(FORBIDDEN_PRINCIPALS).not.toContain(grant.principal.toLowerCase());
    }
  });

  it("lets the job's service principal use the catalog and read the raw schema", () => {
    expect(grantsAt(environment, "catalog")[job]).toEqual(["USE_CATALOG"]);
    expect(grantsAt(environment, "schema-raw")).toEqual({ [job]: READ_SCHEMA });
  });

  it.each(["curated", "features", "ops"])("lets the job's service principal read and write the %s schema", (schema) => {
    expect(grantsAt(environment, `schema-${schema}`)[job]).toEqual(WRITE_SCHEMA);
  });

  it("lets the job's service principal only read files in landing", () => {
    expect(dataGrants("external-location-landing")).toEqual({ [job]: ["READ_FILES"] });
  });

  it.each(["curated", "features", "quarantine"])("lets the job's service principal read and write files in %s and create its external tables there", (area) => {
    expect(dataGrants(`external-location-${area}`)).toEqual({ [job]: ["READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE"] });
  });

  it(`gives data engineers ${environment === "dev" ? "all privileges" : "read access"} on the catalog`, () => {
    expect(grantsAt(environment, "catalog")[config.dataEngineers.name]).toEqual(
      environment === "dev" ? ["ALL_PRIVILEGES"] : ["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"],
    );
  });

  it("lets ML consumers read the features schema and nothing else", () => {
    const ml = config.mlConsumers.name;
    expect(grantsAt(environment, "catalog")[ml]).toEqual(["USE_CATALOG"]);
    expect(grantsAt(environment, "schema-features")[ml]).toEqual(READ_SCHEMA);
    for (const securable of ["schema-raw", "schema-curated", "schema-ops", "external-location-landing", "external-location-curated", "external-location-features", "external-location-quarantine"]) {
      expect(grantsAt(environment, securable)[ml]).toBeUndefined();
    }
  });
});
