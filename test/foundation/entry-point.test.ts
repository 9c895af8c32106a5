import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { App, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import * as library from "../../src";
import { synthStack } from "../helpers/synth";

const ROOT = join(__dirname, "..", "..");
const CONSTRUCTS_DIR = join(ROOT, "src", "constructs");
/** Every module of src/constructs, by its path under it: a folder per concern, and core/. */
const allModules = readdirSync(CONSTRUCTS_DIR, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"));
/** core/ is the private plumbing (validation, ids, providers, Terraform elements cdktf lacks): public only where src/index.ts re-exports it. */
const constructModules = allModules.filter((name) => !name.startsWith("core/"));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const moduleExports = (file: string) => require(join(CONSTRUCTS_DIR, file)) as Record<string, unknown>;
const isClass = (value: unknown): value is abstract new (...args: never[]) => unknown => typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value));
const isConstructClass = (value: unknown) => isClass(value) && value.prototype instanceof Construct;

/** Classes the entry exports that are not constructs: the principal abstraction and the props error. */
const SUPPORTING_CLASSES = ["AzurePrincipal", "DatabricksPrincipal", "PropValidationError"];
/** The only values besides classes: reading a scope's prop problems in a user's own tests, the accounts host an account-level provider needs, and the bank ETL's job definition. */
const PUBLIC_VALUES = ["validationProblems", "throwIfProblems", "AZURE_ACCOUNTS_HOST", "bankEtlJob"];

describe("the package entry point", () => {
  const exported = Object.keys(library);

  it("exports the constructs, the principal classes and the props error", () => {
    for (const name of ["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink", "Observability", "DatabricksWorkspace", "NetworkConnectivity", "LakehouseCatalog", "BatchJob", "SparkBatchPipeline", ...SUPPORTING_CLASSES]) {
      expect(library).toHaveProperty(name);
    }
  });

  it("exports every construct class that src/constructs defines", () => {
    const constructs = constructModules.flatMap((file) => Object.entries(moduleExports(file)).filter(([, value]) => isConstructClass(value)).map(([name]) => name));
    expect(constructs.length).toBeGreaterThan(5);
    expect(exported).toEqual(expect.arrayContaining(constructs));
  });

  it("exports no functions, constants or other classes: no validation or private-endpoint helpers, no value tables", () => {
    const values = library as unknown as Record<string, unknown>;
    const notAllowed = exported.filter((name) => !(isConstructClass(values[name]) || SUPPORTING_CLASSES.includes(name) || PUBLIC_VALUES.includes(name)));
    expect(notAllowed).toEqual([]);
    for (const name of ["privateEndpoint", "PropValidator", "checkName", "protectFromDeletion", "pipelineGrantSet", "collectJobCode", "isQuarterlyCron"]) {
      expect(library).not.toHaveProperty(name);
    }
  });

  it("does not export the estate's own stacks or their dev/test/prod configs", () => {
    for (const name of ["EstateStack", "dev", "test", "prod", "ENVIRONMENTS", "stackName"]) {
      expect(library).not.toHaveProperty(name);
    }
  });

  it("exports, as types, every interface, props and attributes type that src/constructs declares", () => {
    const entry = readFileSync(join(ROOT, "src", "index.ts"), "utf8");
    const declared = allModules.flatMap((file) =>
      [...readFileSync(join(CONSTRUCTS_DIR, file), "utf8").matchAll(/^export (?:interface|type) (I[A-Z]\w*|\w+Props|\w+Attributes)\b/gm)].map((match) => match[1]),
    );
    expect(declared).toEqual(expect.arrayContaining(["ISecureNetwork", "ISecretStore", "ILakeStorage", "IRelationalSink", "IDatabricksWorkspace", "SecureNetworkProps", "LakeStorageAttributes"]));
    expect(declared.filter((name) => !new RegExp(`\\b${name}\\b`).test(entry))).toEqual([]);
  });

  it("composes constructs in another organisation's stack without the estate's stacks", () => {
    const app: App = Testing.app();
    const stack = new TerraformStack(app, "their-stack");
    new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const placement = { resourceGroupName: "rg-analytics", location: "northeurope" };
    const network: library.ISecureNetwork = new library.SecureNetwork(stack, "network", {
      ...placement,
      nameSuffix: "analytics-dev",
      addressSpace: "172.16.0.0/20",
      subnets: { databricksHost: "172.16.0.0/26", databricksContainer: "172.16.0.64/26", postgres: "172.16.1.0/28", privateEndpoints: "172.16.1.16/28" },
    });
    const props: library.LakeStorageProps = { ...placement, accountName: "stanalyticsdev", replicationType: "ZRS", landingColdTier: "Cold", network };
    const lake = new library.LakeStorage(stack, "lake", props);
    const synthesized = synthStack(stack);
    expect(Object.values(synthesized.resource.azurerm_storage_account)[0]).toMatchObject({ name: "stanalyticsdev", account_replication_type: "ZRS" });
    expect(lake.containers.landing).toBeDefined();
  });

  it("points package.json main and types at the compiled entry point", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { main: string; types: string };
    expect(pkg.main).toBe("lib/index.js");
    expect(pkg.types).toBe("lib/index.d.ts");
    const compiled = join(ROOT, pkg.main);
    if (existsSync(compiled)) {
      // npm test builds first; the compiled library must expose the same constructs.
      const built = (await import(compiled)) as Record<string, unknown>;
      expect(Object.keys(built)).toEqual(expect.arrayContaining(["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink"]));
    }
  });
});
