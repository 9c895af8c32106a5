/**
 * The first-apply rules (issue 12 §1-3), checked on a stack's dependency graph. Each check returns
 * the violations it finds, one readable line each; an empty list means the rule holds.
 */
import { Body, DependencyGraph, GraphNode, providerNodeOf } from "./graph";

// --- helpers ---------------------------------------------------------------------------------

function asArray(value: unknown): Body[] {
  if (Array.isArray(value)) return value.filter((item): item is Body => typeof item === "object" && item !== null);
  if (typeof value === "object" && value !== null) return [value as Body];
  return [];
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : [];
}

/** Private endpoints whose connection targets `target` (a node id), with their subresources. */
export function privateEndpointsTo(graph: DependencyGraph, target: string): Array<{ pe: GraphNode; subresources: string[]; hasDnsZoneGroup: boolean }> {
  return graph.resources("azurerm_private_endpoint").flatMap((pe) =>
    asArray(pe.body.private_service_connection)
      .filter((connection) => graph.referencedBy(connection.private_connection_resource_id).includes(target))
      .map((connection) => ({
        pe,
        subresources: asStrings(connection.subresource_names),
        hasDnsZoneGroup: asArray(pe.body.private_dns_zone_group).some((group) => asStrings(group.private_dns_zone_ids).length > 0),
      })),
  );
}

/** Role assignments whose scope references `target`, with an allowed role. */
function roleAssignmentsOn(graph: DependencyGraph, target: string, roles: readonly string[]): GraphNode[] {
  return graph
    .resources("azurerm_role_assignment")
    .filter((assignment) => graph.referencedBy(assignment.body.scope).includes(target))
    .filter((assignment) => roles.includes(String(assignment.body.role_definition_name)));
}

/** time_sleep resources that wait for `node`. */
function sleepsAfter(graph: DependencyGraph, node: string): GraphNode[] {
  return graph.resources("time_sleep").filter((sleep) => graph.waitsFor(sleep.id, node));
}

/** Whether `writer` waits for a time_sleep that waits for one of the role assignments. */
function waitsForPropagation(graph: DependencyGraph, writer: string, assignments: GraphNode[]): boolean {
  return assignments.some((assignment) => sleepsAfter(graph, assignment.id).some((sleep) => graph.waitsFor(writer, sleep.id)));
}

// --- rule 1: data-plane writes wait for the private endpoint and the role propagation ----------

/** Roles that allow writing each kind of Key Vault object over the data plane. */
export const KEY_VAULT_WRITE_ROLES: Record<string, readonly string[]> = {
  azurerm_key_vault_secret: ["Key Vault Secrets Officer", "Key Vault Administrator"],
  azurerm_key_vault_key: ["Key Vault Crypto Officer", "Key Vault Administrator"],
  azurerm_key_vault_certificate: ["Key Vault Certificates Officer", "Key Vault Administrator"],
};

/** Storage resources that always use the data plane (blob, dfs, file, table endpoints). */
export const STORAGE_DATA_PLANE_TYPES: Record<string, string> = {
  azurerm_storage_blob: "blob",
  azurerm_storage_data_lake_gen2_filesystem: "dfs",
  azurerm_storage_data_lake_gen2_path: "dfs",
  azurerm_storage_share_file: "file",
  azurerm_storage_share_directory: "file",
  azurerm_storage_table_entity: "table",
};

/**
 * Storage resources that use the data plane when they name the account (`storage_account_name`);
 * with `storage_account_id` azurerm 4.x manages them through ARM.
 */
export const STORAGE_DATA_PLANE_BY_NAME_TYPES: Record<string, string> = {
  azurerm_storage_container: "blob",
  azurerm_storage_queue: "queue",
  azurerm_storage_share: "file",
  azurerm_storage_table: "table",
};

/** Key Vault secrets, keys and certificates wait for the vault's private endpoint (with its DNS zone group). */
export function keyVaultPrivateEndpointViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  for (const writer of graph.resourcesWhere((type) => type in KEY_VAULT_WRITE_ROLES)) {
    const vaults = graph.referencedBy(writer.body.key_vault_id, "azurerm_key_vault");
    if (vaults.length === 0) {
      violations.push(`${writer.id}: key_vault_id names no azurerm_key_vault of the stack`);
      continue;
    }
    for (const vault of vaults) {
      const endpoints = privateEndpointsTo(graph, vault).filter((e) => e.subresources.includes("vault"));
      if (endpoints.length === 0) violations.push(`${writer.id}: ${vault} has no private endpoint (subresource vault)`);
      else if (!endpoints.some((e) => e.hasDnsZoneGroup && graph.waitsFor(writer.id, e.pe.id))) {
        violations.push(`${writer.id}: does not wait for ${vault}'s private endpoint with its DNS zone group (${endpoints.map((e) => e.pe.id).join(", ")})`);
      }
    }
  }
  return violations;
}

/** Key Vault writes wait for a time_sleep after a role assignment on the vault that allows the write. */
export function keyVaultPropagationViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  for (const writer of graph.resourcesWhere((type) => type in KEY_VAULT_WRITE_ROLES)) {
    for (const vault of graph.referencedBy(writer.body.key_vault_id, "azurerm_key_vault")) {
      const roles = KEY_VAULT_WRITE_ROLES[writer.type];
      const assignments = roleAssignmentsOn(graph, vault, roles);
      if (assignments.length === 0) violations.push(`${writer.id}: no role assignment on ${vault} with ${roles.join(" or ")}`);
      else if (!waitsForPropagation(graph, writer.id, assignments)) {
        violations.push(`${writer.id}: does not wait for a time_sleep after ${assignments.map((a) => a.id).join(" or ")}`);
      }
    }
  }
  return violations;
}

/** Storage data-plane resources wait for a private endpoint (matching subresource, DNS zone group) to their account. */
export function storagePrivateEndpointViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  const writers = graph.resourcesWhere(
    (type) => type in STORAGE_DATA_PLANE_TYPES || type in STORAGE_DATA_PLANE_BY_NAME_TYPES,
  ).filter((node) => node.type in STORAGE_DATA_PLANE_TYPES || node.body.storage_account_name !== undefined);
  for (const writer of writers) {
    const subresource = STORAGE_DATA_PLANE_TYPES[writer.type] ?? STORAGE_DATA_PLANE_BY_NAME_TYPES[writer.type];
    let accounts = graph.referencedBy(writer.body, "azurerm_storage_account");
    if (accounts.length === 0) accounts = [...graph.dependencies(writer.id)].filter((id) => graph.node(id).type === "azurerm_storage_account");
    if (accounts.length === 0) {
      violations.push(`${writer.id}: names no azurerm_storage_account of the stack`);
      continue;
    }
    for (const account of accounts) {
      const endpoints = privateEndpointsTo(graph, account).filter((e) => e.subresources.includes(subresource));
      if (endpoints.length === 0) violations.push(`${writer.id}: ${account} has no private endpoint (subresource ${subresource})`);
      else if (!endpoints.some((e) => e.hasDnsZoneGroup && graph.waitsFor(writer.id, e.pe.id))) {
        violations.push(`${writer.id}: does not wait for ${account}'s ${subresource} private endpoint with its DNS zone group`);
      }
    }
  }
  return violations;
}

/** Roles that let a storage account's identity wrap and unwrap with a customer-managed key. */
export const CMK_ROLES = ["Key Vault Crypto Service Encryption User", "Key Vault Crypto Officer", "Key Vault Administrator"];

/**
 * A storage account encrypted with a customer-managed key waits for the key, for its identity's
 * role assignment on the key (or the key's vault) and for a time_sleep after that assignment.
 */
export function customerManagedKeyViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  for (const account of graph.resources("azurerm_storage_account")) {
    for (const cmk of asArray(account.body.customer_managed_key)) {
      const keys = graph.referencedBy(cmk.key_vault_key_id, "azurerm_key_vault_key");
      const identities = graph.referencedBy(cmk.user_assigned_identity_id, "azurerm_user_assigned_identity");
      if (keys.length === 0) {
        violations.push(`${account.id}: customer_managed_key names no azurerm_key_vault_key of the stack`);
        continue;
      }
      for (const key of keys) {
        if (!graph.waitsFor(account.id, key)) violations.push(`${account.id}: does not wait for ${key}`);
        const vaults = graph.referencedBy(graph.node(key).body.key_vault_id, "azurerm_key_vault");
        const assignments = [key, ...vaults]
          .flatMap((scope) => roleAssignmentsOn(graph, scope, CMK_ROLES))
          .filter((assignment) => identities.length === 0 || identities.some((identity) => graph.referencedBy(assignment.body.principal_id).includes(identity)));
        if (assignments.length === 0) {
          violations.push(`${account.id}: no role assignment of its identity on ${key} (${CMK_ROLES.join(" or ")})`);
          continue;
        }
        if (!assignments.some((assignment) => graph.waitsFor(account.id, assignment.id))) {
          violations.push(`${account.id}: does not wait for its identity's role assignment on ${key}`);
        }
        if (!waitsForPropagation(graph, account.id, assignments)) {
          violations.push(`${account.id}: does not wait for a time_sleep after ${assignments.map((a) => a.id).join(" or ")}`);
        }
      }
    }
  }
  return violations;
}

/** Whether a node uses a workspace-level databricks provider (not the account-level alias). */
export function isWorkspaceLevelDatabricks(graph: DependencyGraph, node: GraphNode): boolean {
  if (!node.type.startsWith("databricks_") || node.kind !== "resource") return false;
  const provider = typeof node.body.provider === "string" ? node.body.provider.replace(/^\$\{(.*)\}$/, "$1") : "databricks";
  const block = graph.nodes.get(`provider.${provider}`);
  const host = String(block?.body.host ?? "");
  return !/accounts\.(azure)?databricks\.net|accounts\.cloud\.databricks\.com/.test(host) && block?.body.account_id === undefined;
}

/** The Databricks workspaces of the stack with public network access disabled. */
export function privateWorkspaces(graph: DependencyGraph): GraphNode[] {
  return graph.resources("azurerm_databricks_workspace").filter((workspace) => workspace.body.public_network_access_enabled === false);
}

/** Workspace-level databricks_* resources wait for a private workspace's databricks_ui_api endpoint. */
export function workspaceEndpointViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  for (const workspace of privateWorkspaces(graph)) {
    const endpoints = privateEndpointsTo(graph, workspace.id).filter((e) => e.subresources.includes("databricks_ui_api"));
    if (endpoints.length === 0) {
      violations.push(`${workspace.id}: private, but has no databricks_ui_api private endpoint`);
      continue;
    }
    for (const node of graph.resourcesWhere((type) => type.startsWith("databricks_"))) {
      if (!isWorkspaceLevelDatabricks(graph, node)) continue;
      if (!endpoints.some((e) => e.hasDnsZoneGroup && graph.waitsFor(node.id, e.pe.id))) {
        violations.push(`${node.id}: does not wait for ${endpoints.map((e) => e.pe.id).join(" or ")} (databricks_ui_api)`);
      }
    }
  }
  return violations;
}

// --- rule 2: workspace identities ------------------------------------------------------------

export type PrincipalKind = "servicePrincipal" | "group" | "user";

export interface NamedPrincipal {
  readonly resource: string;
  readonly where: string;
  readonly kind: PrincipalKind | "any";
  readonly name: string;
}

/** Principals every workspace has; they need no assignment. */
export const BUILT_IN_PRINCIPALS = new Set(["users", "admins", "account users"]);

function named(resource: string, where: string, kind: NamedPrincipal["kind"], value: unknown): NamedPrincipal[] {
  return typeof value === "string" && value !== "" && !BUILT_IN_PRINCIPALS.has(value) ? [{ resource, where, kind, name: value }] : [];
}

/** Every principal a workspace-level resource names, with where it names it. */
export function namedPrincipals(graph: DependencyGraph): NamedPrincipal[] {
  const found: NamedPrincipal[] = [];
  for (const node of graph.resourcesWhere((type) => type.startsWith("databricks_"))) {
    if (!isWorkspaceLevelDatabricks(graph, node)) continue;
    const body = node.body;
    switch (node.type) {
      case "databricks_job": {
        for (const runAs of asArray(body.run_as)) {
          found.push(...named(node.id, "run_as.service_principal_name", "servicePrincipal", runAs.service_principal_name));
          found.push(...named(node.id, "run_as.user_name", "user", runAs.user_name));
        }
        const clusters = [...asArray(body.job_cluster).flatMap((c) => asArray(c.new_cluster)), ...asArray(body.task).flatMap((t) => asArray(t.new_cluster))];
        for (const cluster of clusters) found.push(...named(node.id, "new_cluster.single_user_name", "any", cluster.single_user_name));
        break;
      }
      case "databricks_cluster":
        found.push(...named(node.id, "single_user_name", "any", body.single_user_name));
        break;
      case "databricks_secret_acl":
        found.push(...named(node.id, "principal", "any", body.principal));
        break;
      case "databricks_permissions":
        // IS_OWNER names the identity that applies the stack (a job's creator is its owner): the
        // workspace's admin through its Azure role on the workspace, with no assignment of its own.
        for (const entry of asArray(body.access_control).filter((candidate) => candidate.permission_level !== "IS_OWNER")) {
          found.push(...named(node.id, "access_control.service_principal_name", "servicePrincipal", entry.service_principal_name));
          found.push(...named(node.id, "access_control.group_name", "group", entry.group_name));
          found.push(...named(node.id, "access_control.user_name", "user", entry.user_name));
        }
        break;
      case "databricks_grants":
        for (const grant of asArray(body.grant)) found.push(...named(node.id, "grant.principal", "any", grant.principal));
        break;
      case "databricks_grant":
        // The metastore is an account-level securable, and its grantee is the deployer, which is
        // the workspace's admin through its Azure role: it needs no workspace assignment.
        if (body.metastore === undefined) found.push(...named(node.id, "principal", "any", body.principal));
        break;
    }
  }
  return found;
}

/** The principal a databricks_permission_assignment assigns, by name (directly or through a data source). */
export function assignedPrincipal(graph: DependencyGraph, assignment: GraphNode): { kind: PrincipalKind; name: string } | undefined {
  const body = assignment.body;
  const direct: Array<[PrincipalKind, unknown]> = [
    ["servicePrincipal", body.service_principal_name],
    ["group", body.group_name],
    ["user", body.user_name],
  ];
  for (const [kind, value] of direct) if (typeof value === "string") return { kind, name: value };
  for (const source of graph.referencedBy(body.principal_id)) {
    const target = graph.node(source);
    if (target.type === "databricks_service_principal" && typeof target.body.application_id === "string") return { kind: "servicePrincipal", name: target.body.application_id };
    if (target.type === "databricks_group" && typeof target.body.display_name === "string") return { kind: "group", name: target.body.display_name };
    if (target.type === "databricks_user" && typeof target.body.user_name === "string") return { kind: "user", name: target.body.user_name };
  }
  return undefined;
}

/** Every principal named at workspace level has a databricks_permission_assignment the naming resource waits for. */
export function permissionAssignmentViolations(graph: DependencyGraph): string[] {
  const assignments = graph.resources("databricks_permission_assignment").map((node) => ({ node, principal: assignedPrincipal(graph, node) }));
  const violations: string[] = [];
  for (const principal of namedPrincipals(graph)) {
    const matching = assignments.filter(
      (a) => a.principal !== undefined && a.principal.name === principal.name && (principal.kind === "any" || principal.kind === a.principal.kind),
    );
    if (matching.length === 0) violations.push(`${principal.resource} ${principal.where} = ${principal.name}: no databricks_permission_assignment`);
    else if (!matching.some((a) => graph.waitsFor(principal.resource, a.node.id))) {
      violations.push(`${principal.resource} ${principal.where} = ${principal.name}: does not wait for ${matching.map((a) => a.node.id).join(" or ")}`);
    }
  }
  return violations;
}

// --- rule 3: the NCC -------------------------------------------------------------------------

/** The lake: the storage account the external locations' URLs name (else the HNS-enabled one). */
export function lakeAccounts(graph: DependencyGraph): string[] {
  const named = new Set(graph.resources("databricks_external_location").flatMap((location) => graph.referencedBy(location.body.url, "azurerm_storage_account")));
  if (named.size > 0) return [...named];
  return graph.resources("azurerm_storage_account").filter((account) => account.body.is_hns_enabled === true).map((account) => account.id);
}

/** An NCC in the workspace's region, bound to it, with dfs and blob rules to the lake that Unity Catalog's storage objects wait for. */
export function nccViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  const workspaces = graph.resources("azurerm_databricks_workspace");
  const nccs = graph.resources("databricks_mws_network_connectivity_config");
  const bindings = graph.resources("databricks_mws_ncc_binding");
  const rules = graph.resources("databricks_mws_ncc_private_endpoint_rule");
  const lakes = lakeAccounts(graph);
  const lakeRules: GraphNode[] = [];
  for (const workspace of workspaces) {
    const location = graph.resolveLiteral(workspace.body.location);
    const regional = nccs.filter((ncc) => graph.resolveLiteral(ncc.body.region) === location);
    if (regional.length === 0) {
      violations.push(`${workspace.id}: no databricks_mws_network_connectivity_config in its region (${String(location)})`);
      continue;
    }
    const bound = regional.filter((ncc) =>
      bindings.some(
        (binding) => graph.referencedBy(binding.body.network_connectivity_config_id).includes(ncc.id) && graph.referencedBy(binding.body.workspace_id).includes(workspace.id),
      ),
    );
    if (bound.length === 0) {
      violations.push(`${workspace.id}: no databricks_mws_ncc_binding of ${regional.map((n) => n.id).join(" or ")} to the workspace`);
      continue;
    }
    for (const lake of lakes) {
      for (const groupId of ["dfs", "blob"]) {
        const rule = rules.filter(
          (r) =>
            bound.some((ncc) => graph.referencedBy(r.body.network_connectivity_config_id).includes(ncc.id)) &&
            r.body.group_id === groupId &&
            graph.referencedBy(r.body.resource_id).includes(lake),
        );
        if (rule.length === 0) violations.push(`${workspace.id}: no databricks_mws_ncc_private_endpoint_rule (group_id ${groupId}) to ${lake}`);
        lakeRules.push(...rule);
      }
    }
  }
  if (lakes.length === 0 && workspaces.length > 0) violations.push("no lake storage account found");
  const storageObjects = [...graph.resources("databricks_external_location"), ...graph.resources("databricks_storage_credential")];
  for (const object of storageObjects) {
    for (const rule of lakeRules) {
      if (!graph.waitsFor(object.id, rule.id)) violations.push(`${object.id}: does not wait for ${rule.id} (group_id ${String(rule.body.group_id)})`);
    }
  }
  for (const node of [...nccs, ...bindings, ...rules]) {
    if (isWorkspaceLevelDatabricks(graph, node)) violations.push(`${node.id}: uses a workspace-level provider, not the account-level one`);
  }
  return violations;
}

// --- rule 1 (reach): the agents' line of sight -------------------------------------------------

/** The DNS zone links of a private endpoint's zones (to this VNet and to every peered one). */
function dnsLinksOf(graph: DependencyGraph, pe: GraphNode): string[] {
  const zones = asArray(pe.body.private_dns_zone_group).flatMap((group) => graph.referencedBy(group.private_dns_zone_ids, "azurerm_private_dns_zone"));
  return graph
    .resources("azurerm_private_dns_zone_virtual_network_link")
    .filter((link) => graph.referencedBy(link.body.private_dns_zone_name).some((zone) => zones.includes(zone)))
    .map((link) => link.id);
}

/**
 * The writes of rule 1 run from the deployment agents, which reach the endpoints through the
 * peering and resolve them through the DNS zone links to their VNet: each write waits for every
 * VNet peering of the stack and every link of its endpoint's DNS zones.
 */
export function agentReachViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  const peerings = graph.resources("azurerm_virtual_network_peering").map((peering) => peering.id);
  const check = (writer: GraphNode, endpoints: GraphNode[]) => {
    const missingPeerings = peerings.filter((peering) => !graph.waitsFor(writer.id, peering));
    if (missingPeerings.length > 0) violations.push(`${writer.id}: does not wait for the peering ${missingPeerings.join(", ")}`);
    for (const pe of endpoints) {
      const missingLinks = dnsLinksOf(graph, pe).filter((link) => !graph.waitsFor(writer.id, link));
      if (missingLinks.length > 0) violations.push(`${writer.id}: does not wait for the DNS zone link(s) ${missingLinks.join(", ")} of ${pe.id}`);
    }
  };
  for (const writer of graph.resourcesWhere((type) => type in KEY_VAULT_WRITE_ROLES)) {
    const vaults = graph.referencedBy(writer.body.key_vault_id, "azurerm_key_vault");
    check(writer, vaults.flatMap((vault) => privateEndpointsTo(graph, vault).filter((e) => e.subresources.includes("vault")).map((e) => e.pe)));
  }
  const storageWriters = graph
    .resourcesWhere((type) => type in STORAGE_DATA_PLANE_TYPES || type in STORAGE_DATA_PLANE_BY_NAME_TYPES)
    .filter((node) => node.type in STORAGE_DATA_PLANE_TYPES || node.body.storage_account_name !== undefined);
  for (const writer of storageWriters) {
    const subresource = STORAGE_DATA_PLANE_TYPES[writer.type] ?? STORAGE_DATA_PLANE_BY_NAME_TYPES[writer.type];
    const accounts = graph.referencedBy(writer.body, "azurerm_storage_account");
    check(writer, accounts.flatMap((account) => privateEndpointsTo(graph, account).filter((e) => e.subresources.includes(subresource)).map((e) => e.pe)));
  }
  for (const workspace of privateWorkspaces(graph)) {
    const endpoints = privateEndpointsTo(graph, workspace.id).filter((e) => e.subresources.includes("databricks_ui_api")).map((e) => e.pe);
    for (const node of graph.resourcesWhere((type) => type.startsWith("databricks_"))) {
      if (isWorkspaceLevelDatabricks(graph, node)) check(node, endpoints);
    }
  }
  return violations;
}

// --- issue 17: what the providers and services do on a first apply ---------------------------

/** The provider configuration block a resource uses (its `provider`, or the type's default block). */
export function providerBlockOf(graph: DependencyGraph, node: GraphNode): GraphNode | undefined {
  return graph.nodes.get(providerNodeOf(node));
}

/**
 * A private storage account is managed through ARM only: the azurerm provider it uses sets
 * `features.storage.data_plane_available = false`, and the account sets nothing that azurerm can
 * only configure over the data plane (queue_properties, static_website). Without the feature,
 * azurerm 4.x waits for the blob/queue/file endpoints on create and reads queue properties and
 * static website on every refresh (internal/services/storage/storage_account_resource.go; provider
 * issue hashicorp/terraform-provider-azurerm#33454, PR #27818); with public access off and only
 * blob and dfs endpoints those calls get 403 AuthorizationFailure, which it does not tolerate.
 */
export function privateStorageDataPlaneViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  for (const account of graph.resources("azurerm_storage_account")) {
    if (account.body.public_network_access_enabled !== false) continue;
    const block = providerBlockOf(graph, account);
    const storage = asArray(block?.body.features).flatMap((features) => asArray(features.storage));
    if (!storage.some((feature) => feature.data_plane_available === false)) {
      violations.push(`${account.id}: private, but its provider ${block?.id ?? providerNodeOf(account)} does not set features.storage.data_plane_available = false`);
    }
    for (const attribute of ["queue_properties", "static_website"]) {
      if (account.body[attribute] !== undefined) violations.push(`${account.id}: sets ${attribute}, which azurerm configures over the data plane only`);
    }
  }
  return violations;
}

/** The workspace (node id) a workspace-level Databricks resource goes to: the one its provider's host names. */
function workspaceOfProvider(graph: DependencyGraph, node: GraphNode): string {
  const block = providerBlockOf(graph, node);
  const [workspace] = graph.referencedBy([block?.body.host, block?.body.azure_workspace_resource_id], "azurerm_databricks_workspace");
  return workspace ?? block?.id ?? providerNodeOf(node);
}

/**
 * Identity federation needs the workspace's metastore: `databricks_permission_assignment` fails
 * on a workspace that has no Unity Catalog metastore assigned yet (provider issue
 * databricks/terraform-provider-databricks#5282). Each permission assignment waits for a metastore
 * assignment of its workspace, and no metastore assignment waits for a permission assignment.
 */
export function metastoreFirstViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  const metastores = graph.resources("databricks_metastore_assignment").map((node) => ({
    node,
    workspace: graph.referencedBy(node.body.workspace_id, "azurerm_databricks_workspace")[0] ?? workspaceOfProvider(graph, node),
  }));
  const assignments = graph.resources("databricks_permission_assignment");
  for (const assignment of assignments) {
    const workspace = workspaceOfProvider(graph, assignment);
    const own = metastores.filter((m) => m.workspace === workspace);
    if (own.length === 0) violations.push(`${assignment.id}: no databricks_metastore_assignment of its workspace (${workspace})`);
    else if (!own.some((m) => graph.waitsFor(assignment.id, m.node.id))) violations.push(`${assignment.id}: does not wait for ${own.map((m) => m.node.id).join(" or ")}`);
  }
  for (const { node } of metastores) {
    const waited = assignments.filter((assignment) => graph.waitsFor(node.id, assignment.id));
    if (waited.length > 0) violations.push(`${node.id}: waits for ${waited.map((a) => a.id).join(", ")}, which need the metastore first`);
  }
  return violations;
}

/** The literal subscription of an azurerm provider block, in lower case (undefined: ARM_SUBSCRIPTION_ID). */
function blockSubscription(block: GraphNode | undefined): string | undefined {
  const id = block?.body.subscription_id;
  return typeof id === "string" && !id.includes("${") ? id.toLowerCase() : undefined;
}

/**
 * A private DNS zone's VNet link is made in the subscription of the provider it uses: azurerm
 * builds the link's id from its provider's subscription and the zone's resource group and name
 * (internal/services/privatedns/private_dns_zone_virtual_network_link_resource.go). So a link to a
 * zone of the stack uses a provider of the zone's subscription, and a link to an existing zone
 * (`<resource group>/<zone name>` in `existingZones`, with the subscription the user gave in the
 * zone's id) uses a provider whose subscription is that one.
 */
export function dnsLinkSubscriptionViolations(graph: DependencyGraph, existingZones: Readonly<Record<string, string>>): string[] {
  const violations: string[] = [];
  const known = new Map(Object.entries(existingZones).map(([key, subscription]) => [key.toLowerCase(), subscription.toLowerCase()]));
  for (const link of graph.resources("azurerm_private_dns_zone_virtual_network_link")) {
    const linkBlock = providerBlockOf(graph, link);
    const [zone] = graph.referencedBy(link.body.private_dns_zone_name, "azurerm_private_dns_zone");
    if (zone !== undefined) {
      const zoneBlock = providerBlockOf(graph, graph.node(zone));
      if (zoneBlock?.id !== linkBlock?.id && blockSubscription(zoneBlock) !== blockSubscription(linkBlock)) {
        violations.push(`${link.id}: uses ${linkBlock?.id}, but its zone ${zone} is made with ${zoneBlock?.id} (another subscription)`);
      }
      continue;
    }
    const key = `${String(graph.resolveLiteral(link.body.resource_group_name))}/${String(graph.resolveLiteral(link.body.private_dns_zone_name))}`.toLowerCase();
    const expected = known.get(key);
    if (expected === undefined) {
      violations.push(`${link.id}: links an existing zone ${key} whose subscription the check was not told`);
    } else if (blockSubscription(linkBlock) !== expected) {
      violations.push(`${link.id}: links ${key} in subscription ${expected} through ${linkBlock?.id}, whose subscription is ${blockSubscription(linkBlock) ?? "unset (ARM_SUBSCRIPTION_ID)"}`);
    }
  }
  return violations;
}

/** Terraform versions, compared numerically. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Whether `version` satisfies a Terraform version constraint such as `>= 1.11.0, < 2.0.0` or `~> 1.11`. */
export function satisfiesConstraint(version: string, constraint: string): boolean {
  return constraint.split(",").every((part) => {
    const match = /^\s*(>=|<=|!=|~>|>|<|=)?\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(part);
    if (!match) return false;
    const [, op = "=", bound] = match;
    const c = compareVersions(version, bound);
    switch (op) {
      case ">=": return c >= 0;
      case ">": return c > 0;
      case "<=": return c <= 0;
      case "<": return c < 0;
      case "!=": return c !== 0;
      case "~>": {
        const segments = bound.split(".");
        const upper = segments.length === 1 ? `${Number(segments[0]) + 1}` : [...segments.slice(0, -2), Number(segments[segments.length - 2]) + 1].join(".");
        return c >= 0 && compareVersions(version, upper) < 0;
      }
      default: return c === 0;
    }
  });
}

/** Every write-only argument (`*_wo`) the stack sets, as `resource.attribute`. */
export function writeOnlyArguments(graph: DependencyGraph): string[] {
  return graph.resourcesWhere(() => true).flatMap((node) => Object.keys(node.body).filter((key) => key.endsWith("_wo") && node.body[key] !== undefined).map((key) => `${node.id}.${key}`));
}

/**
 * Write-only arguments exist from Terraform 1.11 on (an older CLI refuses them at plan), so a
 * stack that uses them says so in `terraform.required_version`, which `init` checks first: no
 * version below 1.11 satisfies it.
 */
export function terraformVersionViolations(graph: DependencyGraph): string[] {
  const writeOnly = writeOnlyArguments(graph);
  if (writeOnly.length === 0) return [];
  const constraint = (graph.json as { terraform?: { required_version?: unknown } }).terraform?.required_version;
  if (typeof constraint !== "string") return [`terraform.required_version: unset, but the stack uses write-only arguments (${writeOnly.slice(0, 3).join(", ")})`];
  const older = ["1.5.7", "1.9.8", "1.10.5"].filter((version) => satisfiesConstraint(version, constraint));
  return older.length > 0 ? [`terraform.required_version: "${constraint}" admits ${older.join(", ")}, which do not know write-only arguments (1.11 or later needed)`] : [];
}

/** Subnet associations that change what a subnet carries. */
const SUBNET_ASSOCIATIONS = ["azurerm_subnet_network_security_group_association", "azurerm_subnet_nat_gateway_association", "azurerm_subnet_route_table_association"];

/**
 * A VNet-injected workspace waits for every NSG, NAT gateway and route table association of its
 * subnets: once it exists, Databricks' network intent policy
 * (Microsoft.Databricks/workspaces, "networkIntentPolicy") locks the delegated subnets, so a later
 * association fails, and without the NAT or route table the first cluster has no way out.
 */
export function workspaceSubnetViolations(graph: DependencyGraph): string[] {
  const violations: string[] = [];
  for (const workspace of graph.resources("azurerm_databricks_workspace")) {
    const subnets = graph.referencedBy(workspace.body.custom_parameters, "azurerm_subnet");
    const associations = graph
      .resourcesWhere((type) => SUBNET_ASSOCIATIONS.includes(type))
      .filter((association) => graph.referencedBy(association.body.subnet_id, "azurerm_subnet").some((subnet) => subnets.includes(subnet)));
    for (const association of associations) {
      if (!graph.waitsFor(workspace.id, association.id)) violations.push(`${workspace.id}: does not wait for ${association.id}`);
    }
  }
  return violations;
}
