/**
 * The bad-input battery: invalid configurations of the constructs and of EstateStack's config.
 * Each must fail at synth with a problem naming the construct and the prop (never a raw
 * TypeError), and nothing may be written to the synthesis output. The second list holds the slips
 * a new user's battery found in the library (issue 11), each of which must be refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack, Token } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { LakeStorage, LakeStorageProps } from "../../src/constructs/storage/lake-storage";
import { RelationalSink, RelationalSinkProps } from "../../src/constructs/postgres/relational-sink";
import { SecretStore, SecretStoreProps } from "../../src/constructs/key-vault/secret-store";
import { AzurePrincipal } from "../../src/constructs/core/principal";
import { SecureNetwork } from "../../src/constructs/network/secure-network";
import { describeProblem, PropProblem, validationProblems } from "../../src/constructs/core/validation";
import { EnvironmentConfig, stackName } from "../../src/stacks/config";
import { dev } from "../../src/stacks/dev";
import { EstateStack } from "../../src/stacks/estate-stack";
import { prod } from "../../src/stacks/prod";
import { filesUnder } from "./leak-detector";
import { auditMessages } from "../helpers/message-audit";

/** A mutable deep copy of an environment's config, so a case can break one setting. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
type ConfigEdit = (config: Mutable<EnvironmentConfig>) => void;

/** Builds the environment's stack from a config with one edit applied. */
function estate(edit: ConfigEdit, base: EnvironmentConfig = dev) {
  return (app: App) => {
    const config = structuredClone(base) as Mutable<EnvironmentConfig>;
    edit(config);
    new EstateStack(app, stackName(base.environment), config as EnvironmentConfig);
  };
}

/** A stack with just an azurerm provider, for a construct on its own. */
function bare(app: App): TerraformStack {
  const stack = new TerraformStack(app, "under-test");
  new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  return stack;
}

const placement = { resourceGroupName: "rg-bank-dev", location: "westeurope" };
const vaultProps: SecretStoreProps = {
  ...placement,
  vaultName: "kv-bank-dev-01",
  tenantId: "00000000-0000-4000-8000-000000000001",
  privateEndpointSubnetId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe",
  privateDnsZoneId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net",
};
const lakeProps: LakeStorageProps = {
  ...placement,
  accountName: "stbankdev01",
  privateEndpointSubnetId: vaultProps.privateEndpointSubnetId,
  blobDnsZoneId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net",
  dfsDnsZoneId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.dfs.core.windows.net",
};
function sinkProps(store: SecretStore): RelationalSinkProps {
  return {
    ...placement,
    serverName: "psql-bank-dev-01",
    delegatedSubnetId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/psql",
    privateDnsZoneId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.postgres.database.azure.com",
    tenantId: vaultProps.tenantId,
    secretStore: store,
    credentialExpirationDate: "2027-06-30T00:00:00Z",
  };
}

interface BadInput {
  readonly name: string;
  readonly build: (app: App) => void;
  /** The construct (or method) the error must name. */
  readonly construct: string;
  readonly prop: string;
  /** Words of the "allowed" part the problem must contain. */
  readonly allowed?: string;
}

const cases: BadInput[] = [
  // EstateStack: the environment config itself.
  { name: "a workload name with capitals", build: estate((c) => { c.workload = "Bank"; }), construct: "EstateStack", prop: "config.workload", allowed: "lowercase letters and digits" },
  { name: "a workload name that is too long", build: estate((c) => { c.workload = "bankingplatform"; }), construct: "EstateStack", prop: "config.workload", allowed: "2-10 lowercase letters" },
  { name: "an instance number with one digit", build: estate((c) => { c.instance = "1"; }), construct: "EstateStack", prop: "config.instance", allowed: "two digits" },
  { name: "an empty owner tag", build: estate((c) => { c.owner = ""; }), construct: "EstateStack", prop: "config.owner", allowed: "non-empty owner" },
  { name: "a blank cost centre", build: estate((c) => { c.costCentre = "   "; }), construct: "EstateStack", prop: "config.costCentre", allowed: "non-empty cost centre" },
  { name: "a subscription id that is not a GUID", build: estate((c) => { c.subscriptionId = "my-subscription"; }), construct: "EstateStack", prop: "config.subscriptionId", allowed: "subscription GUID" },
  { name: "a state blob name without .tfstate", build: estate((c) => { c.backend.key = "estate-dev.state"; }), construct: "EstateStack", prop: "config.backend.key", allowed: "ending in .tfstate" },
  { name: "an unknown environment name", build: estate((c) => { (c as { environment: string }).environment = "staging"; }), construct: "EstateStack", prop: "config.environment", allowed: "one of dev, test, prod" },
  { name: "a missing network section", build: estate((c) => { delete (c as Partial<Mutable<EnvironmentConfig>>).network; }), construct: "EstateStack", prop: "config.network", allowed: "network section" },
  { name: "a missing metastore id", build: estate((c) => { delete (c.pipeline as { metastoreId?: string }).metastoreId; }), construct: "SparkBatchPipeline", prop: "metastoreId" },
  { name: "prod relaxing geo-redundancy without a justification", build: estate((c) => { c.lake.replicationType = "LRS"; }, prod), construct: "EstateStack", prop: "config.lake.replicationType", allowed: 'justification in config.relaxations["lake.replicationType"]' },
  { name: "prod without a customer-managed key and no justification", build: estate((c) => { delete c.lake.customerManagedKey; }, prod), construct: "EstateStack", prop: "config.lake.customerManagedKey", allowed: "customer-managed key" },

  // SecureNetwork: CIDRs.
  { name: "a subnet outside the VNet", build: estate((c) => { c.network.subnets.databricksHost = "10.99.0.0/24"; }), construct: "SecureNetwork", prop: "subnets.databricksHost", allowed: "inside the address space 10.10.0.0/16" },
  { name: "overlapping subnets", build: estate((c) => { c.network.subnets.postgres = "10.10.0.0/28"; }), construct: "SecureNetwork", prop: "subnets.postgres", allowed: "does not overlap subnets.databricksHost" },
  { name: "a Databricks subnet that is too small", build: estate((c) => { c.network.subnets.databricksContainer = "10.10.1.0/27"; }), construct: "SecureNetwork", prop: "subnets.databricksContainer", allowed: "/26 or larger" },
  { name: "an address space that is not a CIDR", build: estate((c) => { c.network.addressSpace = "10.10.0.0/33"; }), construct: "SecureNetwork", prop: "addressSpace", allowed: "an IPv4 CIDR" },
  { name: "a subnet with host bits set", build: estate((c) => { c.network.subnets.privateEndpoints = "10.10.3.1/27"; }), construct: "SecureNetwork", prop: "subnets.privateEndpoints", allowed: "network address" },
  { name: "a NAT gateway zone that does not exist", build: estate((c) => { c.network.natGateway = { zones: ["4"] }; }), construct: "SecureNetwork", prop: "natGateway.zones" },

  // SecretStore: the vault, its secrets and keys.
  { name: "an unknown Key Vault SKU", build: estate((c) => { (c.vault as { skuName: string }).skuName = "gold"; }), construct: "SecretStore", prop: "skuName", allowed: "one of standard, premium" },
  { name: "a soft-delete retention out of range", build: estate((c) => { c.vault.softDeleteRetentionDays = 120; }), construct: "SecretStore", prop: "softDeleteRetentionDays", allowed: "from 7 to 90" },
  { name: "a vault name with bad characters", build: (app) => { new SecretStore(bare(app), "secrets", { ...vaultProps, vaultName: "kv_bank!" }); }, construct: "SecretStore", prop: "vaultName", allowed: "letters, digits and single hyphens" },
  { name: "a secret expiry that is not RFC 3339", build: (app) => { const stack = bare(app); new SecretStore(stack, "secrets", vaultProps).addSecret(stack, "s", { name: "pg-user", publicValue: "bankadmin", contentType: "text/plain", expirationDate: "2027-06-30" }); }, construct: "SecretStore.addSecret", prop: "expirationDate", allowed: "RFC 3339 UTC timestamp" },
  { name: "an HSM key in a standard vault", build: (app) => { const stack = bare(app); new SecretStore(stack, "secrets", vaultProps).addKey(stack, "k", { name: "cmk-lake", expirationDate: "2027-06-30T00:00:00Z" }); }, construct: "SecretStore.addKey", prop: "skuName", allowed: '"premium" on the vault' },

  // LakeStorage.
  { name: "an unknown redundancy", build: estate((c) => { (c.lake as { replicationType: string }).replicationType = "XRS"; }), construct: "LakeStorage", prop: "replicationType", allowed: "one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS" },
  { name: "a blob soft-delete retention out of range", build: estate((c) => { c.lake.blobSoftDeleteDays = 0; }), construct: "LakeStorage", prop: "blobSoftDeleteDays", allowed: "from 1 to 365" },
  { name: "landed files going cold before they go cool", build: estate((c) => { c.lake.landingColdAfterDays = 20; }), construct: "LakeStorage", prop: "landingColdAfterDays", allowed: "more days than landingCoolAfterDays (30)" },
  { name: "the archive tier on a zone-redundant account", build: estate((c) => { c.lake.replicationType = "GZRS"; c.lake.landingColdTier = "Archive"; }), construct: "LakeStorage", prop: "landingColdTier", allowed: '"Cold" with replicationType GZRS' },
  { name: "a storage account name with capitals", build: (app) => { new LakeStorage(bare(app), "lake", { ...lakeProps, accountName: "StBankDev01" }); }, construct: "LakeStorage", prop: "accountName", allowed: "lowercase letters and digits only" },
  { name: "a customer-managed key expiry that is not RFC 3339", build: estate((c) => { c.lake.customerManagedKey = { keyExpirationDate: "next year" }; }, prod), construct: "LakeStorage", prop: "customerManagedKey.keyExpirationDate", allowed: "RFC 3339 UTC timestamp" },

  // RelationalSink.
  { name: "an unknown PostgreSQL SKU", build: estate((c) => { c.database.skuName = "Standard_D2s_v3"; }), construct: "RelationalSink", prop: "skuName" },
  { name: "a backup retention out of range", build: estate((c) => { c.database.backupRetentionDays = 40; }), construct: "RelationalSink", prop: "backupRetentionDays", allowed: "from 7 to 35" },
  { name: "high availability on a burstable SKU", build: estate((c) => { c.database.highAvailability = "ZoneRedundant"; }), construct: "RelationalSink", prop: "highAvailability", allowed: '"Disabled" with the burstable SKU' },
  { name: "a storage size Flexible Server does not offer", build: estate((c) => { c.database.storageMb = 40000; }), construct: "RelationalSink", prop: "storageMb", allowed: "one of 32768, 65536" },
  { name: "a reserved administrator login", build: (app) => { const stack = bare(app); new RelationalSink(stack, "database", { ...sinkProps(new SecretStore(stack, "secrets", vaultProps)), administratorLogin: "admin" }); }, construct: "RelationalSink", prop: "administratorLogin", allowed: "not pg_* nor one of admin" },

  // Observability.
  { name: "a log retention out of range", build: estate((c) => { c.logs.retentionInDays = 10; }), construct: "Observability", prop: "retentionInDays", allowed: "from 30 to 730" },

  // SparkBatchPipeline.
  { name: "a non-quarterly cron", build: estate((c) => { c.pipeline.schedule = { ...c.pipeline.schedule, quartzCronExpression: "0 0 2 * * ?" }; }), construct: "SparkBatchPipeline", prop: "schedule.quartzCronExpression", allowed: "fires once a quarter" },
  { name: "an autoscale minimum above the maximum", build: estate((c) => { c.pipeline.cluster.minWorkers = 5; c.pipeline.cluster.maxWorkers = 2; }), construct: "BatchJob", prop: "cluster.maxWorkers" },
  { name: "a group name with bad characters", build: estate((c) => { c.pipeline.dataEngineers = { kind: "group", name: "bank/engineers!" }; }), construct: "SparkBatchPipeline", prop: "dataEngineers.name" },
  { name: "every account user as the engineers' group", build: estate((c) => { c.pipeline.dataEngineers = { kind: "group", name: "account users" }; }), construct: "SparkBatchPipeline", prop: "dataEngineers.name" },
  { name: "a metastore id that is not a GUID", build: estate((c) => { c.pipeline.metastoreId = "metastore-westeurope"; }), construct: "DatabricksWorkspace", prop: "metastoreId" },
  { name: "an unknown time zone", build: estate((c) => { c.pipeline.schedule = { ...c.pipeline.schedule, timezoneId: "Mars/Olympus_Mons" }; }), construct: "BatchJob", prop: "schedule.timezoneId" },
];

const PAST = "2020-01-01T00:00:00Z";

/** The slips of issue 11: inputs the library once accepted silently. */
const slips: BadInput[] = [
  { name: "the region mars", build: estate((c) => { c.location = "mars"; }), construct: "EstateStack", prop: "config.location" },
  { name: "the region mars on a construct", build: (app) => { new LakeStorage(bare(app), "lake", { ...lakeProps, location: "mars" }); }, construct: "LakeStorage", prop: "location" },
  { name: "an empty tag name", build: (app) => { new LakeStorage(bare(app), "lake", { ...lakeProps, tags: { "": "x" } }); }, construct: "LakeStorage", prop: 'tags[""]' },
  { name: "the tag name cost/centre", build: (app) => { new LakeStorage(bare(app), "lake", { ...lakeProps, tags: { "cost/centre": "cc-1" } }); }, construct: "LakeStorage", prop: 'tags["cost/centre"]' },
  { name: "the PostgreSQL SKU GP_Standard_D3ds_v5", build: estate((c) => { c.database.skuName = "GP_Standard_D3ds_v5"; }), construct: "RelationalSink", prop: "skuName" },
  { name: "a lake customer-managed key that expired", build: estate((c) => { c.lake.customerManagedKey = { keyExpirationDate: PAST }; }, prod), construct: "LakeStorage", prop: "customerManagedKey.keyExpirationDate" },
  { name: "a DBFS customer-managed key that expired", build: estate((c) => { c.pipeline.dbfsCustomerManagedKey = { keyExpirationDate: PAST }; }, prod), construct: "DatabricksWorkspace", prop: "dbfsCustomerManagedKey.keyExpirationDate" },
  { name: "a PostgreSQL credential that expired", build: estate((c) => { c.database.credentialExpirationDate = PAST; }), construct: "RelationalSink", prop: "credentialExpirationDate" },
  { name: "an account name whose literal part breaks the rules", build: (app) => { new LakeStorage(bare(app), "lake", { ...lakeProps, accountName: "ST_BAD_" + Token.asString({ Ref: "suffix" }) }); }, construct: "LakeStorage", prop: "accountName" },
  { name: "a grant to a placeholder principal id", build: (app) => { const stack = bare(app); new LakeStorage(stack, "lake", lakeProps).grant(stack, "reader", AzurePrincipal.group("<principal-object-id>"), "Storage Blob Data Reader"); }, construct: "LakeStorage.grant", prop: "principal.objectId" },
  { name: "an all-zero metastore id", build: estate((c) => { c.pipeline.metastoreId = "00000000-0000-0000-0000-000000000000"; }), construct: "DatabricksWorkspace", prop: "metastoreId" },
  { name: "an example.com notification address", build: estate((c) => { c.pipeline.notificationAddresses = ["data-platform@example.com"]; }), construct: "BatchJob", prop: "notificationAddresses[0]" },
  { name: "a code folder that does not exist", build: estate((c) => { c.pipeline.codeDirectory = "/nonexistent/spark"; }), construct: "BatchJob", prop: "codeDirectory" },
  { name: "a literal secret value", build: (app) => { const stack = bare(app); new SecretStore(stack, "secrets", vaultProps).addSecret(stack, "s", { name: "api-key", writeOnlyValue: "hunter2-literal", contentType: "text/plain", expirationDate: "2027-06-30T00:00:00Z" }); }, construct: "SecretStore.addSecret", prop: "writeOnlyValue" },
];

/**
 * Mistakes between constructs (issue 18) in the estate's own config; test/consistency runs the
 * whole set against the shipped package.
 */
const between: BadInput[] = [
  { name: "no NAT gateway and no route table in an environment's network", build: estate((c) => { c.network.natGateway = false; }), construct: "SecureNetwork", prop: "natGateway", allowed: "egressProvidedElsewhere: true" },
  { name: "a peered network overlapping the agents' network", build: estate((c) => { c.network.peeredNetworks = [...(c.network.peeredNetworks ?? []), { name: "hub", virtualNetworkId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-hub", addressSpaces: ["10.250.0.0/16"] }]; }), construct: "SecureNetwork", prop: "peeredNetworks[1].addressSpaces[0]", allowed: "a VNet cannot be peered with two networks whose ranges overlap" },
  { name: "an expired sink credential, reported once with its secrets' names", build: estate((c) => { c.database.credentialExpirationDate = PAST; }), construct: "RelationalSink", prop: "credentialExpirationDate", allowed: "secret psql-bank-dev-01-admin-user" },
  { name: "a name suffix whose VNet name would pass 64 characters", build: (app) => { const stack = bare(app); new SecureNetwork(stack, "network", { ...placement, nameSuffix: "n".repeat(60), addressSpace: "10.0.0.0/20", subnets: { databricksHost: "10.0.0.0/24", databricksContainer: "10.0.1.0/24", postgres: "10.0.2.0/28", privateEndpoints: "10.0.2.64/26" } }); }, construct: "SecureNetwork", prop: "nameSuffix", allowed: "at most 59 characters" },
];

/** Runs a build and synth into a fresh output directory; returns what was thrown and what was written. */
function attempt(build: (app: App) => void): { error: unknown; written: string[]; problems: ReturnType<typeof validationProblems> } {
  const outdir = mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
  try {
    let error: unknown;
    const app = new App({ outdir });
    try {
      build(app);
      app.synth();
    } catch (thrown) {
      error = thrown;
    }
    return { error, written: filesUnder(outdir).map((file) => path.relative(outdir, file)), problems: validationProblems(app) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The problems each case produced, for the message audit at the end. */
const produced = new Map<string, PropProblem[]>();

describe("bad-input battery", () => {
  it("has at least 25 invalid configurations", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set([...cases, ...slips, ...between].map((c) => c.name)).size).toBe(cases.length + slips.length + between.length);
  });

  it.each([...cases, ...slips, ...between].map((c) => [c.name, c] as const))("refuses %s", (_name, badInput) => {
    const { error, written, problems } = attempt(badInput.build);
    produced.set(badInput.name, problems);
    expect(written).toEqual([]);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toMatch(/TypeError|Cannot read properties/);
    const problem = problems.find((p) => p.construct === badInput.construct && p.prop === badInput.prop);
    expect({ construct: badInput.construct, prop: badInput.prop, found: problem !== undefined, seen: problems.map((p) => `${p.construct}:${p.prop}`) }).toMatchObject({ found: true });
    expect(problem?.allowed).not.toEqual("");
    if (badInput.allowed !== undefined) expect(problem?.allowed).toContain(badInput.allowed);
    // The synth error names the construct and the prop too, for a person reading the log.
    expect((error as Error).message).toContain(`${badInput.construct}: ${badInput.prop}`);
  });

  it("reports every broken construct of a stack in one error", () => {
    const { error, problems } = attempt(estate((c) => { c.database.skuName = "GP_Standard_D3ds_v5"; c.pipeline.notificationAddresses = ["ops@example.com"]; c.lake.blobSoftDeleteDays = 0; }));
    expect(problems.map((p) => p.construct)).toEqual(expect.arrayContaining(["RelationalSink", "BatchJob", "LakeStorage"]));
    for (const problem of problems) expect((error as Error).message).toContain(`${problem.construct}: ${problem.prop}`);
  });

  it("synthesizes every environment when nothing is broken", () => {
    for (const base of [dev, prod]) {
      const { error, written } = attempt(estate(() => undefined, base));
      expect(error).toBeUndefined();
      expect(written).toContain(path.join("stacks", stackName(base.environment), "cdk.tf.json"));
    }
  });

  it("produces messages a person can act on: no raw token, under 400 characters, no problem twice", () => {
    for (const badInput of [...cases, ...slips, ...between]) if (!produced.has(badInput.name)) produced.set(badInput.name, attempt(badInput.build).problems);
    const findings: string[] = [];
    const lines: Array<{ source: string; line: string }> = [];
    for (const [name, problems] of produced) {
      const seen = new Set<string>();
      for (const problem of problems) {
        lines.push({ source: name, line: `[${problem.path}] ${describeProblem(problem)}` });
        for (const key of [`${problem.path}|${problem.prop}|${problem.value}`, `${problem.value}|${problem.allowed}`]) {
          if (seen.has(key)) findings.push(`${name}: reported twice: [${problem.path}] ${describeProblem(problem)}`);
          seen.add(key);
        }
      }
    }
    // The same audit as the issue-30 suites' (test/helpers/message-audit.ts): length, raw tokens, cut ids, repeated lines.
    expect([...findings, ...auditMessages(lines)]).toEqual([]);
  });
});
