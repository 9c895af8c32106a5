/**
 * Preflight (issue 12 §5): it refuses each shipped config and names every placeholder, passes on a
 * configuration with real-looking values (the ESTATE_* variables, in a child process so the
 * configs read them at load), and names keys expiring within 30 days, overlapping peered CIDRs and
 * two environments that link their own private DNS zones to one VNet.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { EnvironmentConfig, EnvironmentName } from "../../src/stacks/config";
import { ESTATE_ENV_VARS, estateEnvironmentVariables, perEnvironment, registeredPlaceholders } from "../../src/stacks/placeholders";
import { PRIVATE_DNS_ZONE_NAMES } from "../../src/constructs/network/secure-network";
import { formatReport, isReservedDomain, peeredDnsLinks, preflight, PreflightProblem, PROBLEM_KINDS, reservedAddressesIn } from "../../src/tools/preflight";
import { CONFIGS } from "../helpers/synth";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const REGISTER = path.join(__dirname, "ts-register.js");
const ENVIRONMENTS: EnvironmentName[] = ["dev", "test", "prod"];
const NOW = new Date("2026-12-01T00:00:00Z");

/** Real-looking values for every ESTATE_* variable. */
function realEnvironment(): Record<string, string> {
  const values: Record<string, string> = {
    [ESTATE_ENV_VARS.metastoreId]: "3f2b8c1e-6d4a-4e1b-9a7c-2b5d8e9f0a11",
    [ESTATE_ENV_VARS.databricksAccountId]: "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
    [ESTATE_ENV_VARS.azureDatabricksObjectId]: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    [ESTATE_ENV_VARS.notificationEmail]: "bank-data-oncall@fabrikam-bank.eu",
    [ESTATE_ENV_VARS.owner]: "bank-data-platform@fabrikam-bank.eu",
    [ESTATE_ENV_VARS.costCentre]: "FIN-4711",
  };
  ENVIRONMENTS.forEach((environment, index) => {
    values[perEnvironment(environment, "JOB_SP_APPLICATION_ID")] = `5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8${index}`;
    values[perEnvironment(environment, "DEPLOYER_APPLICATION_ID")] = `6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9${index}`;
    values[perEnvironment(environment, "DRIFT_APPLICATION_ID")] = `7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0${index}`;
    values[perEnvironment(environment, "AGENT_VNET_ID")] =
      `/subscriptions/1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a/resourceGroups/rg-agents/providers/Microsoft.Network/virtualNetworks/vnet-agents-${environment}`;
    values[perEnvironment(environment, "AGENT_VNET_CIDR")] = `10.250.${index}.0/24`;
  });
  return values;
}

interface ChildPreflight {
  readonly problems: PreflightProblem[];
  readonly report: string;
}

/**
 * Runs preflight on each environment's config in one child process (the configs read the
 * environment when they load); the results by environment.
 */
function preflightInChild(environments: readonly EnvironmentName[], env: Record<string, string>): Record<string, ChildPreflight> {
  const script = `
    const { preflight, formatReport } = require("./src/tools/preflight");
    const results = {};
    for (const environment of ${JSON.stringify(environments)}) {
      const config = require(\`./src/stacks/\${environment}\`)[environment];
      const problems = preflight(config, { now: new Date("${NOW.toISOString()}") });
      results[environment] = { problems, report: formatReport(\`estate-\${environment}\`, problems) };
    }
    process.stdout.write(JSON.stringify(results));
  `;
  const cleaned = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("ESTATE_")));
  const result = spawnSync(process.execPath, ["-r", REGISTER, "-e", script], { cwd: REPO_ROOT, env: { ...cleaned, ...env }, encoding: "utf8" });
  if (result.status !== 0 || result.stderr !== "") throw new Error(`preflight in a child process exited ${result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, ChildPreflight>;
}

function withNetwork(config: EnvironmentConfig, network: Record<string, unknown>): EnvironmentConfig {
  return { ...config, network: { ...config.network, ...network } } as EnvironmentConfig;
}

const paths = (problems: PreflightProblem[]) => problems.map((p) => p.path);

describe.each(ENVIRONMENTS)("preflight on the shipped %s config", (environment) => {
  const problems = preflight(CONFIGS[environment], { now: NOW });

  it("fails", () => {
    expect(problems.length).toBeGreaterThan(0);
    expect(formatReport(`estate-${environment}`, problems)).toMatch(/problem\(s\)/);
  });

  it.each([
    ["pipeline.metastoreId", ESTATE_ENV_VARS.metastoreId],
    ["pipeline.azureDatabricksObjectId", ESTATE_ENV_VARS.azureDatabricksObjectId],
    ["pipeline.jobServicePrincipal.name", perEnvironment(environment, "JOB_SP_APPLICATION_ID")],
    ["pipeline.notificationAddresses[0]", ESTATE_ENV_VARS.notificationEmail],
    ["owner", ESTATE_ENV_VARS.owner],
    ["costCentre", ESTATE_ENV_VARS.costCentre],
    ["pipeline.databricksAccountId", ESTATE_ENV_VARS.databricksAccountId],
  ])("names the placeholder at %s and how to fix it (%s)", (configPath, envVar) => {
    const named = problems.filter((p) => p.path === configPath);
    expect(named).toHaveLength(1);
    expect(named[0]).toMatchObject({ kind: "placeholder" });
    expect(named[0].fix).toContain(envVar);
  });

  it("names the agents' VNet id and address space, with this environment's variables", () => {
    for (const [configPath, suffix] of [["network.peeredNetworks[0].virtualNetworkId", "AGENT_VNET_ID"], ["network.peeredNetworks[0].addressSpaces[0]", "AGENT_VNET_CIDR"]]) {
      const named = problems.filter((p) => p.path === configPath);
      expect(named).toHaveLength(1);
      expect(named[0].fix).toContain(perEnvironment(environment, suffix));
      expect(named[0].fix).toContain(`src/stacks/${environment}.ts`);
    }
  });

  it("names the Databricks account id and the agents' VNet when the config carries them", () => {
    const config = CONFIGS[environment] as unknown as { pipeline: Record<string, unknown>; network: Record<string, unknown> };
    for (const [field, value] of Object.entries(config.pipeline)) {
      if (/accountId$/i.test(field) && typeof value === "string") expect(paths(problems)).toContain(`pipeline.${field}`);
    }
    const peered = (config.network.peeredNetworks ?? []) as Array<{ virtualNetworkId: string }>;
    peered.forEach((_, index) => expect(paths(problems)).toContain(`network.peeredNetworks[${index}].virtualNetworkId`));
  });

  it("names every registered stand-in the config holds", () => {
    const registered = new Set(registeredPlaceholders().map((p) => p.value));
    const json = JSON.stringify(CONFIGS[environment]);
    for (const value of registered) {
      if (json.includes(JSON.stringify(value))) expect(problems.some((p) => p.value === value)).toBe(true);
    }
  });

  it("finds no expiry or overlap problem in the shipped config", () => {
    expect(problems.filter((p) => p.kind !== "placeholder")).toEqual([]);
  });
});

describe("preflight with real-looking values", () => {
  let withEveryVariable: Record<string, ChildPreflight>;
  beforeAll(() => {
    withEveryVariable = preflightInChild(ENVIRONMENTS, realEnvironment());
  });

  it.each(ENVIRONMENTS)("passes on %s when every ESTATE_* variable is set", (environment) => {
    const { problems, report } = withEveryVariable[environment];
    expect(problems).toEqual([]);
    expect(report).toMatch(/: ok/);
  });

  it("still names the one placeholder left when a variable is missing", () => {
    const env = realEnvironment();
    delete env[perEnvironment("prod", "JOB_SP_APPLICATION_ID")];
    const { problems } = preflightInChild(["prod"], env).prod;
    expect(paths(problems)).toEqual(["pipeline.jobServicePrincipal.name"]);
  });

  it("the environment variables are listed in one place", () => {
    expect(estateEnvironmentVariables()).toEqual(expect.arrayContaining(Object.keys(realEnvironment())));
    expect(estateEnvironmentVariables()).toHaveLength(Object.keys(realEnvironment()).length);
  });
});

describe("preflight's other checks", () => {
  /** A shipped config with every registered placeholder replaced, so only the injected problem shows. */
  const clean = (environment: EnvironmentName): EnvironmentConfig => {
    const registered = new Map(registeredPlaceholders().map((p) => [p.value, p]));
    const replace = (value: unknown): unknown => {
      if (typeof value === "string") return registered.has(value) || /00000000-0000-4000-8000-/.test(value) ? value.replace(/0{8}-0{4}-4000-8000-0{4}/g, "3f2b8c1e-6d4a-4e1b-9a7c-2b5d").replace(/@contoso\.com$/, "@fabrikam-bank.eu").replace(/^cc-1234$/, "FIN-4711").replace(/^10\.250\./, "10.251.") : value;
      if (Array.isArray(value)) return value.map(replace);
      if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
      return value;
    };
    return replace(CONFIGS[environment]) as EnvironmentConfig;
  };

  it("a cleaned config passes (the control for the cases below)", () => {
    for (const environment of ENVIRONMENTS) expect(preflight(clean(environment), { now: NOW })).toEqual([]);
  });

  it("names an unnamed deployer, with the metastore privileges it needs", () => {
    const config = clean("prod");
    const problems = preflight({ ...config, pipeline: { ...config.pipeline, deployer: undefined } }, { now: NOW });
    expect(problems.map(({ kind, path: at }) => ({ kind, path: at }))).toEqual([{ kind: "deployer", path: "pipeline.deployer" }]);
    expect(problems[0].fix).toContain("CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION, CREATE CATALOG ON METASTORE");
  });

  it("names a deployer that is the job's own principal", () => {
    const config = clean("test");
    const problems = preflight({ ...config, pipeline: { ...config.pipeline, deployer: config.pipeline.jobServicePrincipal } }, { now: NOW });
    expect(problems.map(({ kind, problem }) => ({ kind, problem }))).toEqual([{ kind: "deployer", problem: "the deploying principal is the job's own" }]);
  });

  it("names a key expiring within 30 days, and an expired credential", () => {
    const base = clean("prod");
    const config = {
      ...base,
      lake: { ...base.lake, customerManagedKey: { keyExpirationDate: "2026-12-20T00:00:00Z" } },
      database: { ...base.database, credentialExpirationDate: "2026-11-30T00:00:00Z" },
    } as EnvironmentConfig;
    const problems = preflight(config, { now: NOW });
    expect(problems).toEqual([
      expect.objectContaining({ kind: "expiry", path: "lake.customerManagedKey.keyExpirationDate", problem: "expires in 19 day(s), within 30" }),
      expect.objectContaining({ kind: "expiry", path: "database.credentialExpirationDate", problem: "already expired" }),
    ]);
    expect(problems[1].fix).toContain("passwordVersion");
  });

  it("does not name an expiry 31 days away", () => {
    const base = clean("test");
    const config = { ...base, pipeline: { ...base.pipeline, dbfsCustomerManagedKey: { keyExpirationDate: "2027-01-01T00:00:00Z" } } } as EnvironmentConfig;
    expect(preflight(config, { now: NOW })).toEqual([]);
  });

  it("names a peered VNet's CIDR that overlaps the estate's address space", () => {
    const peered = [{ name: "agents", virtualNetworkId: "/subscriptions/1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-agents", addressSpaces: ["10.99.0.0/24", "10.30.5.0/24"] }];
    const problems = preflight(withNetwork(clean("prod"), { peeredNetworks: peered }), { now: NOW });
    expect(problems).toEqual([
      expect.objectContaining({ kind: "overlap", path: "network.peeredNetworks[0].addressSpaces[1]", value: "10.30.5.0/24" }),
    ]);
    expect(problems[0].problem).toContain("10.30.0.0/16");
  });

  it("names a peered range that contains the estate's", () => {
    const peered = [{ name: "hub", virtualNetworkId: "x", addressSpaces: ["10.0.0.0/8"] }];
    expect(paths(preflight(withNetwork(clean("dev"), { peeredNetworks: peered }), { now: NOW }))).toEqual(["network.peeredNetworks[0].addressSpaces[0]"]);
  });

  it("recognises placeholder patterns it was not told about", () => {
    const base = clean("dev");
    const config = { ...base, subscriptionId: "00000000-0000-0000-0000-000000000000", costCentre: "ops@estate.example" } as EnvironmentConfig;
    expect(paths(preflight(config, { now: NOW })).sort()).toEqual(["costCentre", "subscriptionId"]);
  });

  it.each([
    ["data-platform@example.com", true],
    ["a@mail.example.org", true],
    ["https://portal.example.net/x", true],
    ["ops@host.invalid", true],
    ["ops@ci.test", true],
    ["data-platform@contoso.com", false],
    ["estate-test.tfstate", false],
    ["10.10.0.0/16", false],
  ])("reserved address in %s: %s", (value, reserved) => {
    expect(reservedAddressesIn(value).length > 0).toBe(reserved);
  });

  it("isReservedDomain", () => {
    expect(isReservedDomain("example.com")).toBe(true);
    expect(isReservedDomain("notexample.com")).toBe(false);
  });

  describe("two environments linking their own privatelink zones to one VNet (dns-link)", () => {
    const ALL_ZONES = Object.values(PRIVATE_DNS_ZONE_NAMES);
    const hubZones = (keys: Array<keyof typeof PRIVATE_DNS_ZONE_NAMES>) =>
      Object.fromEntries(keys.map((key) => [key, `/subscriptions/1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a/resourceGroups/rg-hub-dns/providers/Microsoft.Network/privateDnsZones/${PRIVATE_DNS_ZONE_NAMES[key]}`]));
    /** A copy of test's cleaned config as prod: the same agents' VNet, other names and addresses. */
    const copyAsProd = (base: EnvironmentConfig, network: Record<string, unknown> = {}): EnvironmentConfig =>
      withNetwork({ ...base, environment: "prod", instance: "02", backend: { ...base.backend, key: "estate-prod.tfstate" } }, { addressSpace: "10.30.0.0/16", ...network });
    const dnsLinks = (problems: PreflightProblem[]) => problems.filter((p) => p.kind === "dns-link");

    it("names the other stack, the VNet, the zones and the fix, in both stacks' preflight", () => {
      const test = clean("test");
      const prod = copyAsProd(test);
      const vnet = test.network.peeredNetworks?.[0].virtualNetworkId;
      const problems = preflight(test, { now: NOW, otherEnvironments: [test, prod] });
      expect(problems).toEqual([expect.objectContaining({ kind: "dns-link", path: "network.peeredNetworks[0].virtualNetworkId", value: vnet })]);
      const [clash] = problems;
      expect(clash.problem).toContain("estate-prod (src/stacks/prod.ts network.peeredNetworks[0])");
      for (const zone of ALL_ZONES) expect(clash.problem).toContain(zone);
      expect(clash.fix).toContain("network.privateDnsZoneIds");
      expect(clash.fix).toContain("src/stacks/test.ts");
      expect(clash.problem.length).toBeLessThan(400);
      expect(clash.fix.length).toBeLessThan(400);
      expect(formatReport("estate-test", problems)).toContain("1 problem(s) (1 dns-link)");

      const fromProd = dnsLinks(preflight(prod, { now: NOW, otherEnvironments: [test] }));
      expect(fromProd).toHaveLength(1);
      expect(fromProd[0].problem).toContain("estate-test (src/stacks/test.ts network.peeredNetworks[0])");
    });

    it("compares VNet ids case-insensitively, and placeholders as plain strings", () => {
      const test = clean("test");
      const vnet = test.network.peeredNetworks?.[0] as { virtualNetworkId: string };
      const prod = copyAsProd(test, { peeredNetworks: [{ ...vnet, name: "ci", virtualNetworkId: vnet.virtualNetworkId.toUpperCase() }] });
      expect(dnsLinks(preflight(test, { now: NOW, otherEnvironments: [prod] }))).toHaveLength(1);
      // The shipped stand-ins: the same placeholder id in two configs is the same VNet.
      const shipped = CONFIGS.test;
      expect(dnsLinks(preflight(shipped, { now: NOW, otherEnvironments: [copyAsProd(shipped)] }))).toHaveLength(1);
    });

    it("finds no clash when the agents' VNets differ", () => {
      const test = clean("test");
      const other = { name: "agents", virtualNetworkId: "/subscriptions/1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a/resourceGroups/rg-agents/providers/Microsoft.Network/virtualNetworks/vnet-agents-other", addressSpaces: ["10.250.9.0/24"] };
      expect(preflight(test, { now: NOW, otherEnvironments: [copyAsProd(test, { peeredNetworks: [other] })] })).toEqual([]);
    });

    it("finds no clash when one environment uses existing (hub) zones, and names only the zones both create", () => {
      const test = clean("test");
      const allHub = copyAsProd(test, { privateDnsZoneIds: hubZones(["blob", "dfs", "vault", "postgres", "databricks"]) });
      expect(preflight(test, { now: NOW, otherEnvironments: [allHub] })).toEqual([]);
      expect(peeredDnsLinks(allHub)).toEqual([]);

      const someHub = copyAsProd(test, { privateDnsZoneIds: hubZones(["blob", "dfs"]), postgresDnsZoneName: "prod.privatelink.postgres.database.azure.com" });
      const [clash] = dnsLinks(preflight(test, { now: NOW, otherEnvironments: [someHub] }));
      expect(clash.problem).toContain("privatelink.vaultcore.azure.net, privatelink.azuredatabricks.net");
      for (const zone of [PRIVATE_DNS_ZONE_NAMES.blob, PRIVATE_DNS_ZONE_NAMES.dfs, PRIVATE_DNS_ZONE_NAMES.postgres]) expect(clash.problem).not.toContain(zone);
    });

    it("does not compare a config with its own environment's", () => {
      const test = clean("test");
      expect(preflight(test, { now: NOW, otherEnvironments: [test, { ...test }] })).toEqual([]);
    });

    it("today's configs do not clash: each environment peers its own agents' VNet", () => {
      for (const environment of ENVIRONMENTS) {
        const others = ENVIRONMENTS.filter((e) => e !== environment).map((e) => CONFIGS[e]);
        expect(dnsLinks(preflight(CONFIGS[environment], { now: NOW, otherEnvironments: others }))).toEqual([]);
        expect(preflight(clean(environment), { now: NOW, otherEnvironments: others.map((c) => clean(c.environment)) })).toEqual([]);
      }
    });
  });
});

describe("the CLI", () => {
  it("exits 1 naming each placeholder on estate-prod, and 2 on an unknown stack", () => {
    const cli = (args: string[], env: Record<string, string> = {}) => {
      const cleaned = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("ESTATE_")));
      return spawnSync(process.execPath, ["-r", REGISTER, "src/tools/preflight-cli.ts", ...args], { cwd: REPO_ROOT, env: { ...cleaned, ...env }, encoding: "utf8" });
    };
    const failing = cli(["estate-prod"]);
    expect(failing.status).toBe(1);
    for (const configPath of ["pipeline.metastoreId", "pipeline.azureDatabricksObjectId", "pipeline.jobServicePrincipal.name", "pipeline.notificationAddresses[0]", "owner", "costCentre", "pipeline.databricksAccountId"]) {
      expect(failing.stderr).toContain(configPath);
    }
    expect(failing.stderr).toMatch(/preflight estate-prod: \d+ problem\(s\)/);
    expect(cli(["estate-staging"]).status).toBe(2);
    const passing = cli(["estate-prod"], realEnvironment());
    expect(passing.stderr).toBe("");
    expect(passing.status).toBe(0);
    // test and prod given one agents' VNet: each stack's preflight names the other's DNS links.
    const shared = { ...realEnvironment(), [perEnvironment("prod", "AGENT_VNET_ID")]: realEnvironment()[perEnvironment("test", "AGENT_VNET_ID")] };
    const clashing = cli(["estate-prod", "estate-dev"], shared);
    expect(clashing.status).toBe(1);
    expect(clashing.stderr).toContain("network.peeredNetworks[0].virtualNetworkId");
    expect(clashing.stderr).toContain("estate-test (src/stacks/test.ts network.peeredNetworks[0]) links its own zones of these names");
    expect(clashing.stderr).toMatch(/preflight estate-prod: 1 problem\(s\) \(1 dns-link\)/);
    expect(clashing.stdout).toMatch(/preflight estate-dev: ok/);
  });

  it("runs as users and pipelines run it: `npm run preflight -- estate-prod` fails on the shipped placeholders and passes with real values", () => {
    const cleaned = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("ESTATE_") && !key.startsWith("npm_")));
    const npm = (env: Record<string, string>) => spawnSync("npm", ["run", "-s", "preflight", "--", "estate-prod"], { cwd: REPO_ROOT, env: { ...cleaned, ...env }, encoding: "utf8" });
    const failing = npm({});
    expect(failing.status).toBe(1);
    expect(failing.stderr).toContain("pipeline.metastoreId");
    const passing = npm(realEnvironment());
    expect(passing.status).toBe(0);
  });
});

describe("docs/estate/deploying.md and what preflight checks", () => {
  const doc = readFileSync(path.join(REPO_ROOT, "docs", "estate", "deploying.md"), "utf8");
  const section = (title: string) => {
    const start = doc.indexOf(title);
    expect(start).toBeGreaterThan(-1);
    return doc.slice(start, doc.indexOf("\n#", start + title.length));
  };

  it("names every environment variable preflight reads, in the per-environment form where it has one", () => {
    const named = (variable: string) => doc.includes(`\`${variable}\``) || doc.includes(`\`${variable.replace(/^ESTATE_(DEV|TEST|PROD)_/, "ESTATE_<ENV>_")}\``);
    expect(estateEnvironmentVariables().filter((variable) => !named(variable))).toEqual([]);
  });

  it("lists, among what must exist first, the deployer's metastore privileges that preflight asks for", () => {
    const prerequisites = section("## What must exist first");
    for (const phrase of ["CREATE STORAGE CREDENTIAL", "CREATE EXTERNAL LOCATION", "CREATE CATALOG", "pipeline.deployer", "pipeline.grantMetastorePrivileges", "Terraform 1.11"]) {
      expect({ phrase, listed: prerequisites.includes(phrase) }).toEqual({ phrase, listed: true });
    }
  });

  it("describes each kind of problem preflight reports", () => {
    const described = section("### 4. Run preflight");
    const words: Record<(typeof PROBLEM_KINDS)[number], string> = {
      placeholder: "placeholder",
      expiry: "expire within 30 days",
      overlap: "overlap the address space",
      "dns-link": "link their own private DNS zones",
      deployer: "pipeline.deployer",
      unassigned: "no workspace assignment covers",
      peering: "the remote side of a peering",
      quota: "vCPU quota",
      placement: "the subscription of every construct",
    };
    for (const kind of PROBLEM_KINDS) expect({ kind, described: described.includes(words[kind]) }).toEqual({ kind, described: true });
  });
});
