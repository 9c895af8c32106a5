/**
 * The publication credential (src/constructs/databricks/publication-credential.ts): the identity
 * the bank job replaces each quarter manifest with in one Put Blob, which may write the manifests'
 * folder and nothing else.
 */
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { PublicationCredential } from "../../src/constructs/databricks/publication-credential";
import { QuarterlyPipeline } from "../../src/constructs/pipeline/quarterly-pipeline";
import { validationProblems } from "../../src/constructs/core/validation";
import { resourceAt, synthStack } from "../helpers/synth";
import { conditionAllows } from "../helpers/abac";
import { addressesAt, allResources, BASE_PROPS, dependsOn, JOB_SP, pipelineProblems, sharedEstate, synthPipeline } from "./pipeline-stack";

type Body = Record<string, unknown>;
type Task = { task_key: string; spark_python_task: { parameters: string[] } };

const DEPLOYER = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";

describe("the bank pipeline's publication credential", () => {
  const synthesized = synthPipeline({ lakePathPrefix: "bank", landingPrefix: "transactions/", deployer: DatabricksPrincipal.servicePrincipal(DEPLOYER), grantMetastorePrivileges: true });
  const credential = resourceAt(synthesized, "databricks_credential", "/pipeline/publication-credential/credential");
  const [connector] = addressesAt(synthesized, "azurerm_databricks_access_connector", "/pipeline/publication-credential/access-connector");
  const role = resourceAt(synthesized, "azurerm_role_assignment", "/pipeline/publication-credential/folder-writer");

  it("is a service credential of an access connector of its own, usable from the pipeline's workspace only", () => {
    expect(credential).toMatchObject({ purpose: "SERVICE", isolation_mode: "ISOLATION_MODE_ISOLATED", name: "analytics_dev_publication" });
    expect((credential.azure_managed_identity as Body).access_connector_id).toBe(`\${${connector}.id}`);
    const catalogConnectors = allResources(synthesized)
      .filter(([address]) => address.startsWith("databricks_storage_credential."))
      .map(([, body]) => (body.azure_managed_identity as Body).access_connector_id);
    expect(catalogConnectors).not.toContain(`\${${connector}.id}`);
  });

  it("lets its identity write the manifests in the pipeline's folder of the features container, and read, delete or rename no blob", () => {
    expect(role).toMatchObject({ role_definition_name: "Storage Blob Data Contributor", principal_id: `\${${connector}.identity[0].principal_id}`, condition_version: "2.0" });
    expect(String(role.scope)).toMatch(/\/blobServices\/default\/containers\/features$/);
    const blob = (name: string) => `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${name}`;
    const allows = (action: string, path: string) => conditionAllows(String(role.condition), { action: blob(action), path });
    expect(allows("write", "bank/export/_manifests/2022Q3.json")).toBe(true);
    expect(allows("add/action", "bank/export/_manifests/2023Q1.json")).toBe(true);
    expect(allows("write", "bank/export/_manifests/2022Q3/20261001T020000Z-5f3a1b2c.json")).toBe(false);
    expect(allows("write", "bank/export/year=2022/quarter=3/part-0.parquet")).toBe(false);
    for (const action of ["read", "delete", "move/action"]) expect([action, allows(action, "bank/export/_manifests/2022Q3.json")]).toEqual([action, false]);
    const identityRoles = allResources(synthesized).filter(([address, body]) => address.startsWith("azurerm_role_assignment.") && body.principal_id === role.principal_id);
    expect(identityRoles).toHaveLength(1);
  });

  it("lets the job's service principal use it, and no one else", () => {
    const grants = resourceAt(synthesized, "databricks_grants", "/pipeline/publication-credential/grants");
    expect(grants.grant).toEqual([{ principal: JOB_SP, privileges: ["ACCESS"] }]);
    expect(grants.credential).toBe(`\${${addressesAt(synthesized, "databricks_credential", "/pipeline/publication-credential/credential")[0]}.id}`);
  });

  it("is named to the load task, the one that publishes the manifests, and to no other task", () => {
    const tasks = (resourceAt(synthesized, "databricks_job", "/pipeline/job/job").task as Task[]).concat(resourceAt(synthesized, "databricks_job", "/pipeline/job/deploy-job").task as Task[]);
    const naming = tasks.filter((task) => task.spark_python_task.parameters.includes("--publication-credential")).map((task) => task.task_key);
    expect(naming).toEqual(["load"]);
    const load = tasks.find((task) => task.task_key === "load")!.spark_python_task.parameters;
    const [address] = addressesAt(synthesized, "databricks_credential", "/pipeline/publication-credential/credential");
    expect(load[load.indexOf("--publication-credential") + 1]).toBe(`\${${address}.name}`);
  });

  it("is created after the deployer's CREATE_SERVICE_CREDENTIAL on the metastore and the workspace's metastore assignment", () => {
    const [grant] = addressesAt(synthesized, "databricks_grant", "/pipeline/catalog/metastore-privileges");
    const [metastore] = addressesAt(synthesized, "databricks_metastore_assignment", "/pipeline/workspace/metastore-assignment");
    expect(resourceAt(synthesized, "databricks_grant", "/pipeline/catalog/metastore-privileges").privileges).toContain("CREATE_SERVICE_CREDENTIAL");
    expect(dependsOn(credential)).toEqual(expect.arrayContaining([grant, metastore]));
    expect(new Set(dependsOn(credential)).size).toBe(dependsOn(credential).length);
  });
});

describe("the runtime of a job that publishes", () => {
  it("refuses a Databricks Runtime without service credentials, naming the runtime, and takes 16.2 and later", () => {
    const cluster = (sparkVersion: string) => ({ nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2, sparkVersion });
    expect(pipelineProblems({ cluster: cluster("15.4.x-scala2.12") }).map(({ construct, prop, value }) => ({ construct, prop, value }))).toEqual([
      { construct: "SparkBatchPipeline", prop: "cluster.sparkVersion", value: "\"15.4.x-scala2.12\"" },
    ]);
    for (const version of ["16.2.x-scala2.12", "16.4.x-scala2.12", "17.3.x-scala2.13"]) expect([version, pipelineProblems({ cluster: cluster(version) })]).toEqual([version, []]);
  });
});

describe("a team's job that publishes no folder", () => {
  it("gets no service credential, no access connector of one, and no CREATE_SERVICE_CREDENTIAL for its deployer", () => {
    const { stack } = cardsPipeline();
    const resources = allResources(synthStack(stack));
    const cards = resources.filter(([, body]) => String(((body["//"] as Body)?.metadata as Body)?.path).startsWith("shared/cards/"));
    expect(cards.filter(([address]) => address.startsWith("databricks_credential."))).toEqual([]);
    expect(cards.filter(([address]) => address.startsWith("azurerm_databricks_access_connector.")).map(([, body]) => body.name)).toEqual(["dbac-cards-dev"]);
    const cardsGrant = cards.find(([address]) => address.startsWith("databricks_grant."));
    expect(cardsGrant?.[1].privileges).toEqual(["CREATE_STORAGE_CREDENTIAL", "CREATE_EXTERNAL_LOCATION", "CREATE_CATALOG"]);
  });
});

describe("PublicationCredential's checks", () => {
  it("refuses a bad credential name, a container's root and no user, each naming the construct, prop and value", () => {
    const stack = new TerraformStack(Testing.app(), "checks");
    const { placement, lake } = sharedEstate(stack);
    new PublicationCredential(stack, "publication", {
      ...placement,
      provider: new DatabricksProvider(stack, "databricks", { alias: "checks" }),
      lake,
      container: "features",
      folder: "/",
      name: "bank prod",
      accessConnectorName: "dbac-bank-prod-pub",
      users: [],
    });
    const problems = validationProblems(stack).map(({ construct, prop, value, allowed }) => ({ construct, prop, value, allowed }));
    expect(problems).toEqual([
      { construct: "PublicationCredential", prop: "name", value: "\"bank prod\"", allowed: expect.stringContaining("1-255 letters, digits") },
      { construct: "PublicationCredential", prop: "folder", value: "\"/\"", allowed: expect.stringContaining("a folder of the container, not its root") },
      { construct: "PublicationCredential", prop: "users", value: "[]", allowed: "at least one principal that uses the credential" },
    ]);
  });
});

/** A team's pipeline whose job (no database) publishes no folder, with the deployer's metastore grant. */
function cardsPipeline() {
  const stack = new TerraformStack(Testing.app(), "shared");
  const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
  new QuarterlyPipeline(stack, "cards", {
    ...placement,
    ...BASE_PROPS,
    nameSuffix: "cards-dev",
    job: {
      name: "cards",
      codeDirectory: join(__dirname, "fixtures", "cards-job"),
      usesDatabase: false,
      tasks: () => ({ quarterly: [{ key: "spend", entryFile: "run_cards.py" }] }),
    },
    provider: new DatabricksProvider(stack, "databricks", { alias: "analytics" }),
    accountProvider,
    network,
    secretStore,
    lake,
    deployer: DatabricksPrincipal.servicePrincipal(DEPLOYER),
    grantMetastorePrivileges: true,
  });
  return { stack };
}
