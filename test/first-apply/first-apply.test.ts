/**
 * The "first apply" suite (issue 12 §7): each synthesized stack's dependency graph (references,
 * depends_on, provider configurations) is walked for the order a first apply on an empty
 * subscription needs (rules 1-3), the plan/apply pipelines are checked for Microsoft-hosted agents
 * (rule 4) and preflight for placeholders (rule 5). Each rule is proven on a small hand-written
 * stack (clean: no violation; broken on purpose: caught) and then run on dev, test and prod, where
 * each rule is also broken on purpose and seen caught.
 */
import { EnvironmentName } from "../../src/stacks/config";
import { preflight } from "../../src/tools/preflight";
import { CONFIGS, synthEnvironment } from "../helpers/synth";
import { fixtureStack, HUB_ZONES } from "./fixture";
import { addressesIn, cloneJson, DependencyGraph, TerraformJson } from "./graph";
import { addResource, detach, idsOf, remove, setAttribute } from "./mutate";
import { collectPipelineDocuments, PLAN_AND_APPLY_PIPELINES, vmImageViolations } from "./pipelines";
import {
  agentReachViolations,
  customerManagedKeyViolations,
  dnsLinkSubscriptionViolations,
  isWorkspaceLevelDatabricks,
  KEY_VAULT_WRITE_ROLES,
  metastoreFirstViolations,
  keyVaultPrivateEndpointViolations,
  keyVaultPropagationViolations,
  namedPrincipals,
  nccViolations,
  permissionAssignmentViolations,
  privateEndpointsTo,
  privateStorageDataPlaneViolations,
  satisfiesConstraint,
  privateWorkspaces,
  storagePrivateEndpointViolations,
  terraformVersionViolations,
  workspaceEndpointViolations,
  workspaceSubnetViolations,
} from "./rules";

const graphOf = (json: TerraformJson) => new DependencyGraph(json);
const UI_API_ENDPOINT = "azurerm_private_endpoint.ui_api";
/** Whether some violation is about the node (violations start with the node's id). */
const about = (violations: string[], id: string) => violations.some((violation) => violation.startsWith(`${id}:`) || violation.startsWith(`${id} `));
const expectAbout = (violations: string[], ids: string[]) => {
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) expect({ id, caught: about(violations, id), violations }).toMatchObject({ id, caught: true });
};

const KEY_VAULT_WRITES = Object.keys(KEY_VAULT_WRITE_ROLES);
const keyVaultWrites = (json: TerraformJson) => KEY_VAULT_WRITES.flatMap((type) => idsOf(json, type));
const vaultEndpoints = (json: TerraformJson) => {
  const graph = graphOf(json);
  return graph.resources("azurerm_key_vault").flatMap((vault) => privateEndpointsTo(graph, vault.id).map((e) => e.pe.id));
};
const cmkAccounts = (json: TerraformJson) => graphOf(json).resources("azurerm_storage_account").filter((a) => a.body.customer_managed_key !== undefined).map((a) => a.id);
const workspaceLevelDatabricks = (json: TerraformJson) => {
  const graph = graphOf(json);
  return graph.resourcesWhere((type) => type.startsWith("databricks_")).filter((node) => isWorkspaceLevelDatabricks(graph, node)).map((node) => node.id);
};

// --- the graph library ------------------------------------------------------------------------

describe("the dependency graph", () => {
  const json: TerraformJson = {
    provider: {
      databricks: [{ host: "https://${azurerm_databricks_workspace.ws.workspace_url}" }, { alias: "account", host: "https://accounts.azuredatabricks.net", account_id: "${data.azurerm_client_config.c.tenant_id}" }],
    },
    data: { azurerm_client_config: { c: {} } },
    resource: {
      azurerm_databricks_workspace: { ws: { location: "${azurerm_resource_group.rg.location}" } },
      azurerm_resource_group: { rg: { location: "westeurope" } },
      azurerm_storage_account: { "lake_account_9": { name: "st" } },
      time_sleep: { wait: { depends_on: ["azurerm_storage_account.lake_account_9"] } },
      databricks_job: { job: { task: [{ spark_python_task: { parameters: ["--lake", "abfss://x@${azurerm_storage_account.lake_account_9.name}.dfs.core.windows.net/"] } }] } },
      databricks_mws_network_connectivity_config: { ncc: { provider: "databricks.account", region: "${lower(azurerm_resource_group.rg.location)}" } },
      databricks_grants: { g: { depends_on: ["time_sleep.wait"], "//": { metadata: { path: "${databricks_job.job.id}" } } } },
    },
  };
  const graph = graphOf(json);

  it("has a node per resource, data source and provider configuration", () => {
    expect([...graph.nodes.keys()]).toEqual(
      expect.arrayContaining(["azurerm_databricks_workspace.ws", "data.azurerm_client_config.c", "provider.databricks", "provider.databricks.account", "time_sleep.wait"]),
    );
  });

  it("finds references nested in blocks, lists, text and functions", () => {
    expect(graph.direct("databricks_job.job")).toContain("azurerm_storage_account.lake_account_9");
    expect(graph.direct("databricks_mws_network_connectivity_config.ncc")).toContain("azurerm_resource_group.rg");
    expect(addressesIn("${join(\",\", [azurerm_subnet.a.id, data.azurerm_client_config.c.object_id])}")).toEqual(["azurerm_subnet.a", "data.azurerm_client_config.c"]);
    expect(addressesIn("abfss://x@st.dfs.core.windows.net/")).toEqual([]);
  });

  it("follows depends_on, and skips cdktf's metadata", () => {
    expect(graph.direct("databricks_grants.g")).toEqual(new Set(["time_sleep.wait", "provider.databricks"]));
  });

  it("waits through the provider a resource uses: the default one or its alias", () => {
    expect(graph.waitsFor("databricks_job.job", "azurerm_databricks_workspace.ws")).toBe(true);
    expect(graph.waitsFor("databricks_job.job", "azurerm_resource_group.rg")).toBe(true);
    expect(graph.waitsFor("databricks_mws_network_connectivity_config.ncc", "azurerm_databricks_workspace.ws")).toBe(false);
    expect(graph.waitsFor("databricks_mws_network_connectivity_config.ncc", "data.azurerm_client_config.c")).toBe(true);
  });

  it("computes transitive dependencies", () => {
    expect(graph.dependencies("databricks_grants.g")).toEqual(
      new Set(["time_sleep.wait", "azurerm_storage_account.lake_account_9", "provider.databricks", "azurerm_databricks_workspace.ws", "azurerm_resource_group.rg"]),
    );
    expect(graph.waitsFor("time_sleep.wait", "databricks_grants.g")).toBe(false);
  });

  it("resolves a literal through references", () => {
    expect(graph.resolveLiteral("${azurerm_databricks_workspace.ws.location}")).toBe("westeurope");
    expect(graph.resolveLiteral("eastus")).toBe("eastus");
  });
});

// --- the rules on a hand-written stack ----------------------------------------------------------

describe("the rules on a hand-written stack", () => {
  const clean = fixtureStack();

  it("the clean stack satisfies every rule", () => {
    const graph = graphOf(clean);
    expect(keyVaultPrivateEndpointViolations(graph)).toEqual([]);
    expect(keyVaultPropagationViolations(graph)).toEqual([]);
    expect(storagePrivateEndpointViolations(graph)).toEqual([]);
    expect(customerManagedKeyViolations(graph)).toEqual([]);
    expect(workspaceEndpointViolations(graph)).toEqual([]);
    expect(permissionAssignmentViolations(graph)).toEqual([]);
    expect(nccViolations(graph)).toEqual([]);
    expect(agentReachViolations(graph)).toEqual([]);
    expect(privateStorageDataPlaneViolations(graph)).toEqual([]);
    expect(metastoreFirstViolations(graph)).toEqual([]);
    expect(dnsLinkSubscriptionViolations(graph, HUB_ZONES)).toEqual([]);
    expect(terraformVersionViolations(graph)).toEqual([]);
    expect(namedPrincipals(graph).map((p) => `${p.resource} ${p.where}`)).toHaveLength(6); // built-ins (admins, account users) need no assignment
  });

  describe("the providers and services on a first apply (issue 17)", () => {
    const withProviders = (azurerm: unknown[]) => ({ ...cloneJson(clean), provider: { ...clean.provider, azurerm } });

    it("catches a private storage account whose provider still calls the storage data plane", () => {
      const broken = withProviders([{ features: [{}] }, clean.provider!.azurerm[1]]);
      expect(privateStorageDataPlaneViolations(graphOf(broken))).toEqual([expect.stringMatching(/^azurerm_storage_account\.lake: private, but its provider provider\.azurerm does not set features\.storage\.data_plane_available = false/)]);
    });

    it("catches a private storage account that sets queue properties, which only the data plane configures", () => {
      const broken = setAttribute(clean, "azurerm_storage_account.lake", "queue_properties", [{ logging: [{ read: true }] }]);
      expect(privateStorageDataPlaneViolations(graphOf(broken))).toEqual([expect.stringMatching(/sets queue_properties/)]);
    });

    it("catches a permission assignment that does not wait for the workspace's metastore assignment", () => {
      const broken = detach(clean, "databricks_metastore_assignment.ws");
      expectAbout(metastoreFirstViolations(graphOf(broken)), ["databricks_permission_assignment.job_sp", "databricks_permission_assignment.engineers"]);
      expectAbout(metastoreFirstViolations(graphOf(remove(clean, "databricks_metastore_assignment.ws"))), ["databricks_permission_assignment.job_sp"]);
    });

    it("catches a metastore assignment that waits for the permission assignments (the order reversed)", () => {
      const reversed = setAttribute(detach(clean, "databricks_metastore_assignment.ws"), "databricks_metastore_assignment.ws", "depends_on", [UI_API_ENDPOINT, "databricks_permission_assignment.job_sp"]);
      expectAbout(metastoreFirstViolations(graphOf(reversed)), ["databricks_metastore_assignment.ws"]);
    });

    it("catches a link to a hub zone made with the spoke's default provider", () => {
      const broken = setAttribute(clean, "azurerm_private_dns_zone_virtual_network_link.hub_dfs", "provider", undefined);
      expect(dnsLinkSubscriptionViolations(graphOf(broken), HUB_ZONES)).toEqual([expect.stringMatching(/^azurerm_private_dns_zone_virtual_network_link\.hub_dfs: links rg-hub-dns\/privatelink\.dfs\.core\.windows\.net in subscription 9e8d7c6b/)]);
    });

    it("catches a link to a zone of the stack made with a provider of another subscription", () => {
      const broken = setAttribute(clean, "azurerm_private_dns_zone_virtual_network_link.vault", "provider", "azurerm.hub");
      expectAbout(dnsLinkSubscriptionViolations(graphOf(broken), HUB_ZONES), ["azurerm_private_dns_zone_virtual_network_link.vault"]);
    });

    it("catches write-only arguments in a stack that admits Terraform older than 1.11", () => {
      for (const constraint of [undefined, ">= 1.5.0", "~> 1.10", ">= 1.9, < 2.0"]) {
        const broken = { ...cloneJson(clean), terraform: constraint === undefined ? {} : { required_version: constraint } };
        expect({ constraint, violations: terraformVersionViolations(graphOf(broken)) }).toEqual({ constraint, violations: [expect.stringMatching(/^terraform\.required_version/)] });
      }
    });

    it("reads Terraform version constraints as Terraform does", () => {
      expect(satisfiesConstraint("1.11.0", ">= 1.11.0")).toBe(true);
      expect(satisfiesConstraint("1.10.5", ">= 1.11.0")).toBe(false);
      expect(satisfiesConstraint("1.11.4", "~> 1.11.0")).toBe(true);
      expect(satisfiesConstraint("1.12.0", "~> 1.11.0")).toBe(false);
      expect(satisfiesConstraint("1.12.0", "~> 1.11")).toBe(true);
      expect(satisfiesConstraint("2.0.0", "~> 1.11")).toBe(false);
      expect(satisfiesConstraint("1.10.5", ">= 1.9, < 2.0")).toBe(true);
    });
  });

  describe("rule 1: data-plane writes", () => {
    it("catches a secret that does not wait for the vault's private endpoint", () => {
      const broken = setAttribute(clean, "azurerm_key_vault_secret.password", "depends_on", ["time_sleep.kv_rbac"]);
      expect(keyVaultPrivateEndpointViolations(graphOf(broken))).toEqual([expect.stringMatching(/^azurerm_key_vault_secret\.password: does not wait for .*private endpoint/)]);
    });

    it("catches a private endpoint without its DNS zone group", () => {
      const broken = setAttribute(clean, "azurerm_private_endpoint.kv", "private_dns_zone_group", undefined);
      expect(keyVaultPrivateEndpointViolations(graphOf(broken))).toHaveLength(2);
    });

    it("catches a vault without a private endpoint", () => {
      const broken = remove(clean, "azurerm_private_endpoint.kv");
      expect(keyVaultPrivateEndpointViolations(graphOf(broken))).toEqual([
        "azurerm_key_vault_secret.password: azurerm_key_vault.kv has no private endpoint (subresource vault)",
        "azurerm_key_vault_key.cmk: azurerm_key_vault.kv has no private endpoint (subresource vault)",
      ]);
    });

    it("catches a write right after its role assignment, with no propagation wait", () => {
      const broken = setAttribute(clean, "azurerm_key_vault_secret.password", "depends_on", ["azurerm_role_assignment.officer", "azurerm_private_endpoint.kv"]);
      expect(keyVaultPropagationViolations(graphOf(broken))).toEqual([expect.stringMatching(/^azurerm_key_vault_secret\.password: does not wait for a time_sleep after azurerm_role_assignment\.officer/)]);
    });

    it("catches a wait after a role that does not allow the write", () => {
      const broken = setAttribute(clean, "azurerm_role_assignment.crypto", "role_definition_name", "Key Vault Crypto User");
      expect(keyVaultPropagationViolations(graphOf(broken))).toEqual([expect.stringMatching(/^azurerm_key_vault_key\.cmk: no role assignment on azurerm_key_vault\.kv/)]);
    });

    it("catches a storage data-plane write that does not wait for the account's private endpoint", () => {
      expect(storagePrivateEndpointViolations(graphOf(detach(clean, "azurerm_private_endpoint.lake_blob")))).toEqual([
        expect.stringMatching(/^azurerm_storage_blob\.readme: does not wait for azurerm_storage_account\.lake's blob private endpoint/),
      ]);
      const wrongEndpoint = setAttribute(clean, "azurerm_storage_blob.readme", "depends_on", ["azurerm_private_endpoint.lake_dfs"]);
      expect(storagePrivateEndpointViolations(graphOf(wrongEndpoint))).toHaveLength(1);
      const dataPlaneContainer = setAttribute(clean, "azurerm_storage_container.landing", "storage_account_name", "${azurerm_storage_account.lake.name}");
      expect(storagePrivateEndpointViolations(graphOf(dataPlaneContainer))).toEqual([expect.stringMatching(/^azurerm_storage_container\.landing: /)]);
    });

    it("catches a customer-managed-key account that does not wait for the key's role propagation", () => {
      const noSleep = setAttribute(clean, "azurerm_storage_account.lake", "depends_on", ["azurerm_role_assignment.cmk_access"]);
      expect(customerManagedKeyViolations(graphOf(noSleep))).toEqual([expect.stringMatching(/^azurerm_storage_account\.lake: does not wait for a time_sleep after/)]);
      const noWait = setAttribute(clean, "azurerm_storage_account.lake", "depends_on", undefined);
      expect(customerManagedKeyViolations(graphOf(noWait))).toHaveLength(2);
      const noAssignment = remove(clean, "azurerm_role_assignment.cmk_access");
      expect(customerManagedKeyViolations(graphOf(noAssignment))).toEqual([expect.stringMatching(/no role assignment of its identity/)]);
    });

    it("catches a workspace-level Databricks resource that does not wait for the UI/API endpoint", () => {
      const broken = detach(clean, "azurerm_private_endpoint.ui_api");
      const violations = workspaceEndpointViolations(graphOf(broken));
      expectAbout(violations, ["databricks_job.job", "databricks_storage_credential.lake", "databricks_permission_assignment.job_sp"]);
      expect(about(violations, "databricks_mws_ncc_binding.binding")).toBe(false);
      expect(workspaceEndpointViolations(graphOf(remove(clean, "azurerm_private_endpoint.ui_api")))).toEqual([
        "azurerm_databricks_workspace.ws: private, but has no databricks_ui_api private endpoint",
      ]);
    });

    it("catches a write that does not wait for the peering or the DNS link to the agents' VNet", () => {
      const noPeering = agentReachViolations(graphOf(detach(clean, "azurerm_virtual_network_peering.to_agents")));
      expectAbout(noPeering, ["azurerm_key_vault_secret.password", "azurerm_storage_blob.readme", "databricks_job.job"]);
      expect(agentReachViolations(graphOf(detach(clean, "azurerm_private_dns_zone_virtual_network_link.vault_agents")))).toEqual([
        "azurerm_key_vault_secret.password: does not wait for the DNS zone link(s) azurerm_private_dns_zone_virtual_network_link.vault_agents of azurerm_private_endpoint.kv",
        "azurerm_key_vault_key.cmk: does not wait for the DNS zone link(s) azurerm_private_dns_zone_virtual_network_link.vault_agents of azurerm_private_endpoint.kv",
      ]);
    });
  });

  describe("rule 2: workspace identities", () => {
    it("catches a principal with no permission assignment", () => {
      const violations = permissionAssignmentViolations(graphOf(remove(clean, "databricks_permission_assignment.job_sp")));
      expect(violations).toEqual([
        "databricks_job.job run_as.service_principal_name = 5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80: no databricks_permission_assignment",
        "databricks_job.job new_cluster.single_user_name = 5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80: no databricks_permission_assignment",
        "databricks_secret_acl.job principal = 5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80: no databricks_permission_assignment",
        "databricks_grants.location grant.principal = 5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80: no databricks_permission_assignment",
      ]);
    });

    it("catches a naming resource that does not wait for the assignment", () => {
      const broken = setAttribute(clean, "databricks_permissions.job", "depends_on", undefined);
      expect(permissionAssignmentViolations(graphOf(broken))).toEqual([
        "databricks_permissions.job access_control.group_name = engineers: does not wait for databricks_permission_assignment.engineers",
      ]);
    });

    it("matches an assignment made through principal_id and a data source", () => {
      const json = cloneJson(clean) as TerraformJson & { data: Record<string, Record<string, Record<string, unknown>>> };
      json.data.databricks_group = { engineers: { display_name: "engineers" } };
      const viaId = setAttribute(json, "databricks_permission_assignment.engineers", "group_name", undefined);
      viaId.resource.databricks_permission_assignment.engineers.principal_id = "${data.databricks_group.engineers.id}";
      expect(permissionAssignmentViolations(graphOf(viaId))).toEqual([]);
    });
  });

  describe("rule 3: the NCC", () => {
    it("catches a missing dfs rule", () => {
      expect(nccViolations(graphOf(remove(clean, "databricks_mws_ncc_private_endpoint_rule.dfs")))).toEqual([
        "azurerm_databricks_workspace.ws: no databricks_mws_ncc_private_endpoint_rule (group_id dfs) to azurerm_storage_account.lake",
      ]);
    });

    it("catches storage objects that do not wait for the rules", () => {
      const violations = nccViolations(graphOf(detach(clean, "databricks_mws_ncc_private_endpoint_rule.blob")));
      expectAbout(violations, ["databricks_storage_credential.lake", "databricks_external_location.landing"]);
    });

    it("catches an NCC in another region, an unbound NCC and a rule on the workspace provider", () => {
      expect(nccViolations(graphOf(setAttribute(clean, "databricks_mws_network_connectivity_config.ncc", "region", "northeurope")))[0]).toMatch(/no databricks_mws_network_connectivity_config in its region \(westeurope\)/);
      expect(nccViolations(graphOf(remove(clean, "databricks_mws_ncc_binding.binding")))[0]).toMatch(/no databricks_mws_ncc_binding/);
      expect(nccViolations(graphOf(setAttribute(clean, "databricks_mws_ncc_private_endpoint_rule.dfs", "provider", undefined)))).toEqual([
        "databricks_mws_ncc_private_endpoint_rule.dfs: uses a workspace-level provider, not the account-level one",
      ]);
    });
  });
});

// --- rule 4: pipelines ------------------------------------------------------------------------

describe("rule 4: plan and apply run on no Microsoft-hosted agent", () => {
  const documents = collectPipelineDocuments();

  it("reads the plan/apply pipelines and every template they use", () => {
    expect([...documents.keys()]).toEqual(expect.arrayContaining([...PLAN_AND_APPLY_PIPELINES, ".azure-devops/templates/jobs/terraform-plan.yml", ".azure-devops/templates/jobs/terraform-apply.yml"]));
  });

  it("no vmImage anywhere in them", () => {
    expect(vmImageViolations(documents)).toEqual([]);
  });

  it("catches a vmImage put in on purpose", () => {
    const broken = new Map(documents);
    const deploy = cloneJson(broken.get(".azure-devops/deploy.yml")) as Record<string, unknown>;
    deploy.pool = { vmImage: "ubuntu-latest" };
    broken.set(".azure-devops/deploy.yml", deploy);
    const template = ".azure-devops/templates/jobs/terraform-plan.yml";
    const plan = cloneJson(broken.get(template)) as { jobs: Array<Record<string, unknown>> };
    plan.jobs[0] = { ...plan.jobs[0], pool: { vmImage: "ubuntu-24.04" } };
    broken.set(template, plan);
    expect(vmImageViolations(broken)).toEqual([
      '.azure-devops/deploy.yml: pool.vmImage = "ubuntu-latest"',
      '.azure-devops/templates/jobs/terraform-plan.yml: jobs[0].pool.vmImage = "ubuntu-24.04"',
    ]);
  });
});

// --- the real stacks --------------------------------------------------------------------------

describe.each<EnvironmentName>(["dev", "test", "prod"])("estate-%s on a first apply", (environment) => {
  const json = synthEnvironment(environment);
  const graph = graphOf(json);

  describe("rule 1: data-plane writes wait for the private endpoint and the role propagation", () => {
    it("Key Vault secrets, keys and certificates wait for the vault's private endpoint and DNS zone group", () => {
      expect(keyVaultWrites(json).length).toBeGreaterThan(0);
      expect(keyVaultPrivateEndpointViolations(graph)).toEqual([]);
    });

    it("... and for a time_sleep after the role assignment that allows the write", () => {
      expect(keyVaultPropagationViolations(graph)).toEqual([]);
    });

    it("storage data-plane resources wait for a private endpoint to their account", () => {
      expect(storagePrivateEndpointViolations(graph)).toEqual([]);
    });

    it("a lake with a customer-managed key waits for the key, its role assignment and a time_sleep", () => {
      if (environment !== "dev") expect(cmkAccounts(json).length).toBeGreaterThan(0);
      expect(customerManagedKeyViolations(graph)).toEqual([]);
    });

    it("workspace-level Databricks resources wait for a private workspace's databricks_ui_api endpoint", () => {
      expect(privateWorkspaces(graph).length).toBe(environment === "prod" ? 1 : 0);
      expect(workspaceEndpointViolations(graph)).toEqual([]);
    });

    it("... and for the peering and DNS zone links that give the agents line of sight", () => {
      expect(idsOf(json, "azurerm_virtual_network_peering").length).toBeGreaterThan(0);
      expect(agentReachViolations(graph)).toEqual([]);
    });

    it("breaking it on purpose is caught: no wait for the peering, or for the vault zone's link to the agents", () => {
      const writes = keyVaultWrites(json);
      expectAbout(agentReachViolations(graphOf(detach(json, ...idsOf(json, "azurerm_virtual_network_peering")))), writes);
      const vaultLinks = idsOf(json, "azurerm_private_dns_zone_virtual_network_link").filter((id) => /vault/.test(id));
      expect(vaultLinks.length).toBeGreaterThan(0);
      expectAbout(agentReachViolations(graphOf(detach(json, ...vaultLinks))), writes);
    });

    it("breaking it on purpose is caught: no wait for the vault's endpoint, or for the propagation", () => {
      const writes = keyVaultWrites(json);
      expectAbout(keyVaultPrivateEndpointViolations(graphOf(detach(json, ...vaultEndpoints(json)))), writes);
      expectAbout(keyVaultPropagationViolations(graphOf(detach(json, ...idsOf(json, "time_sleep")))), writes);
    });

    it("breaking it on purpose is caught: a blob written without waiting for the lake's endpoint", () => {
      const lake = graph.resources("azurerm_storage_account").find((a) => a.body.is_hns_enabled === true);
      expect(lake).toBeDefined();
      const blob = (dependsOn: string[]) => ({ name: "marker", storage_account_name: `\${${lake!.id}.name}`, storage_container_name: "landing", type: "Block", depends_on: dependsOn });
      const blobEndpoints = privateEndpointsTo(graph, lake!.id).filter((e) => e.subresources.includes("blob")).map((e) => e.pe.id);
      expect(blobEndpoints).toHaveLength(1);
      expect(storagePrivateEndpointViolations(graphOf(addResource(json, "azurerm_storage_blob", "marker", blob(blobEndpoints))))).toEqual([]);
      expectAbout(storagePrivateEndpointViolations(graphOf(addResource(json, "azurerm_storage_blob", "marker", blob([])))), ["azurerm_storage_blob.marker"]);
    });

    it("breaking it on purpose is caught: the lake's key role assignment without a wait", () => {
      const accounts = cmkAccounts(json);
      if (accounts.length === 0) {
        expect(environment).toBe("dev");
        return;
      }
      expectAbout(customerManagedKeyViolations(graphOf(detach(json, ...idsOf(json, "time_sleep")))), accounts);
      const keyAssignments = graph.resources("azurerm_role_assignment").filter((a) => graph.referencedBy(a.body.scope, "azurerm_key_vault_key").length > 0).map((a) => a.id);
      expectAbout(customerManagedKeyViolations(graphOf(remove(json, ...keyAssignments))), accounts);
    });

    it("breaking it on purpose is caught: a private workspace whose resources skip the UI/API endpoint", () => {
      const workspace = graph.resources("azurerm_databricks_workspace")[0];
      const endpoints = privateEndpointsTo(graph, workspace.id).filter((e) => e.subresources.includes("databricks_ui_api")).map((e) => e.pe.id);
      const broken = environment === "prod" ? detach(json, ...endpoints) : setAttribute(json, workspace.id, "public_network_access_enabled", false);
      const violations = workspaceEndpointViolations(graphOf(broken));
      if (environment === "prod") expectAbout(violations, workspaceLevelDatabricks(json));
      else expect(violations).toEqual([`${workspace.id}: private, but has no databricks_ui_api private endpoint`]);
    });
  });

  describe("rule 2: every principal named at workspace level is assigned to the workspace first", () => {
    it("each has a databricks_permission_assignment that the naming resource waits for", () => {
      expect(namedPrincipals(graph).length).toBeGreaterThan(0);
      expect(permissionAssignmentViolations(graph)).toEqual([]);
    });

    it("breaking it on purpose is caught: assignments removed, or not waited for", () => {
      const assignments = idsOf(json, "databricks_permission_assignment");
      const naming = [...new Set(namedPrincipals(graph).map((p) => p.resource))];
      expectAbout(permissionAssignmentViolations(graphOf(remove(json, ...assignments))), naming);
      expectAbout(permissionAssignmentViolations(graphOf(detach(json, ...assignments))), naming);
    });
  });

  describe("rule 3: Unity Catalog reaches the private lake through the NCC", () => {
    it("an NCC in the region, bound to the workspace, with dfs and blob rules the storage objects wait for", () => {
      expect(idsOf(json, "databricks_external_location").length).toBeGreaterThan(0);
      expect(nccViolations(graph)).toEqual([]);
    });

    it("breaking it on purpose is caught: a rule removed, or not waited for", () => {
      const rules = idsOf(json, "databricks_mws_ncc_private_endpoint_rule");
      const dfs = rules.filter((id) => graph.node(id).body.group_id === "dfs");
      expect(nccViolations(graphOf(remove(json, ...dfs)))).toEqual(expect.arrayContaining([expect.stringMatching(/no databricks_mws_ncc_private_endpoint_rule \(group_id dfs\)/)]));
      const storageObjects = [...idsOf(json, "databricks_external_location"), ...idsOf(json, "databricks_storage_credential")];
      const detached = nccViolations(graphOf(detach(json, ...rules)));
      if (rules.length > 0) expectAbout(detached, storageObjects);
      else expect(detached.length).toBeGreaterThan(0);
    });
  });

  describe("the providers and services on a first apply (issue 17)", () => {
    it("manages every private storage account through ARM only (features.storage.data_plane_available = false)", () => {
      expect(graph.resources("azurerm_storage_account").filter((a) => a.body.public_network_access_enabled === false).length).toBeGreaterThan(0);
      expect(privateStorageDataPlaneViolations(graph)).toEqual([]);
    });

    it("breaking it on purpose is caught: the provider's storage feature removed", () => {
      const [azurerm] = json.provider!.azurerm as Array<Record<string, unknown>>;
      const broken = { ...cloneJson(json), provider: { ...json.provider, azurerm: [{ ...azurerm, features: [{}] }] } };
      expectAbout(privateStorageDataPlaneViolations(graphOf(broken)), idsOf(json, "azurerm_storage_account"));
    });

    it("assigns the metastore before any principal, and after none", () => {
      expect(idsOf(json, "databricks_metastore_assignment")).toHaveLength(1);
      expect(metastoreFirstViolations(graph)).toEqual([]);
    });

    it("breaking it on purpose is caught: the metastore assignment not waited for, or waiting for the principals", () => {
      const [metastore] = idsOf(json, "databricks_metastore_assignment");
      const assignments = idsOf(json, "databricks_permission_assignment");
      expectAbout(metastoreFirstViolations(graphOf(detach(json, metastore))), assignments);
      const reversed = setAttribute(detach(json, metastore), metastore, "depends_on", assignments);
      expectAbout(metastoreFirstViolations(graphOf(reversed)), [metastore]);
    });

    it("links every private DNS zone with a provider of the zone's subscription", () => {
      expect(idsOf(json, "azurerm_private_dns_zone_virtual_network_link").length).toBeGreaterThan(0);
      expect(dnsLinkSubscriptionViolations(graph, {})).toEqual([]);
    });

    it("breaking it on purpose is caught: a zone's link moved to another subscription's provider", () => {
      const [link] = idsOf(json, "azurerm_private_dns_zone_virtual_network_link");
      const withHub = { ...cloneJson(json), provider: { ...json.provider, azurerm: [...(json.provider!.azurerm as unknown[]), { alias: "hub", subscription_id: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", features: [{}] }] } };
      expectAbout(dnsLinkSubscriptionViolations(graphOf(setAttribute(withHub, link, "provider", "azurerm.hub")), {}), [link]);
    });

    it("creates the workspace after every NSG, NAT gateway and route table association of its subnets", () => {
      expect(workspaceSubnetViolations(graph)).toEqual([]);
    });

    it("breaking it on purpose is caught: the NAT gateway associations not waited for", () => {
      const nat = idsOf(json, "azurerm_subnet_nat_gateway_association");
      expect(nat.length).toBeGreaterThan(0);
      expectAbout(workspaceSubnetViolations(graphOf(detach(json, ...nat))), idsOf(json, "azurerm_databricks_workspace"));
    });

    it("requires Terraform 1.11 or later, which its write-only arguments need", () => {
      expect(terraformVersionViolations(graph)).toEqual([]);
      expect(terraformVersionViolations(graphOf({ ...cloneJson(json), terraform: { ...json.terraform, required_version: undefined } }))).toHaveLength(1);
    });
  });

  describe("rule 4: the pipelines that plan and apply it use no vmImage", () => {
    it(`pr-plan.yml, deploy.yml and their templates name no vmImage`, () => {
      const documents = collectPipelineDocuments();
      expect(vmImageViolations(documents)).toEqual([]);
      const text = JSON.stringify([...documents.values()]);
      expect(text).toContain(`estate-${environment}`);
    });
  });

  describe("rule 5: preflight refuses its shipped placeholders", () => {
    it("names each placeholder of the shipped config", () => {
      const problems = preflight(CONFIGS[environment]);
      expect(problems.map((p) => p.path)).toEqual(
        expect.arrayContaining(["pipeline.metastoreId", "pipeline.azureDatabricksObjectId", "pipeline.jobServicePrincipal.name", "pipeline.notificationAddresses[0]", "owner", "costCentre", "pipeline.databricksAccountId"]),
      );
    });

    it("breaking it on purpose is caught: an example.com address put back", () => {
      const config = { ...CONFIGS[environment], costCentre: "billing@example.com" };
      expect(preflight(config).map((p) => p.path)).toContain("costCentre");
    });
  });
});
