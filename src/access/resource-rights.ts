/**
 * For every resource type, data source and ephemeral resource a stack of this library can hold:
 * the API calls Terraform makes to refresh it (a plan's Read; a data source's read and an ephemeral
 * resource's open happen in every plan, `-refresh=false` too) and to apply it (Create, Update,
 * Delete), the rights those calls need, and the provider source file they were read from (azurerm
 * 4.55.0, databricks 1.99.0, random 3.7.2, time 0.13.1, at their tags). The identity table of
 * docs/estate/cicd.md is generated from this; test/access/resource-rights.test.ts fails when a stack or an
 * example holds a type that is not here.
 *
 * Where no read-only right can refresh a type (Databricks has no read-only admin: a secret ACL's
 * GetAcl needs MANAGE on the scope, NCC objects the account admin), `decision` says where such a
 * refresh runs: only where reviewed code runs (the drift check from `main`, the deploy), never in a
 * pull request's plan, which does not refresh at all (`-refresh=false`).
 */
import { Right, RIGHTS as R } from "./rights";

/** What refreshing or applying one type takes. */
export interface Operation {
  /** The API calls, as the provider source makes them. */
  readonly calls: string;
  /** The rights those calls need. */
  readonly needs: readonly Right[];
}

export interface ResourceTypeRights {
  /** `resource`, `data` (read in every plan) or `ephemeral` (opened in every plan and apply). */
  readonly kind: "resource" | "data" | "ephemeral";
  readonly refresh: Operation & {
    /** Whether a right exists that allows the refresh and no write. */
    readonly readOnly: boolean;
  };
  /** Create, update and delete (a data source or ephemeral resource has none). */
  readonly apply?: Operation;
  /** The provider source file, at the pinned tag. */
  readonly source: string;
  /** Why and where a type without a read-only refresh right is refreshed. */
  readonly decision?: string;
  /**
   * Whether the identity that creates it may refresh it without the refresh rights: a Unity Catalog
   * object's or a workspace object's creator owns it (the deploy identity).
   * @default false
   */
  readonly creatorRefreshes?: boolean;
}

const AZURERM = (file: string) => `hashicorp/terraform-provider-azurerm@v4.55.0 internal/services/${file}`;
const DATABRICKS = (file: string) => `databricks/terraform-provider-databricks@v1.99.0 ${file}`;

const NO_READ_ONLY_ADMIN =
  "no read-only right exists: refreshed only by the drift check (reviewed code from main, on a schedule) and the deploy; pull-request plans run with -refresh=false and never read it";

/** A plain Azure resource: Reader refreshes it, `role` applies it. */
function arm(file: string, role: Right, refreshCalls = "GET of the resource"): ResourceTypeRights {
  return { kind: "resource", refresh: { calls: refreshCalls, needs: [R.reader], readOnly: true }, apply: { calls: "Get, CreateOrUpdate, Delete", needs: [role] }, source: AZURERM(file) };
}

/** A subnet association: both sides read and written as the whole subnet. */
function subnetAssociation(file: string): ResourceTypeRights {
  return arm(file, R.contributor, "GET of the subnet, compared with the association");
}

export const RESOURCE_RIGHTS: Readonly<Record<string, ResourceTypeRights>> = {
  "data:azurerm_client_config": {
    kind: "data",
    refresh: { calls: "none: the values come from the signed-in identity's token", needs: [], readOnly: true },
    source: AZURERM("authorization/client_config_data_source.go"),
  },
  "data:azurerm_key_vault_key": {
    kind: "data",
    refresh: { calls: "vault GET (ARM); GetKey, latest version (data plane)", needs: [R.reader, R.vaultReader], readOnly: true },
    source: AZURERM("keyvault/key_vault_key_data_source.go"),
  },
  "ephemeral:azurerm_key_vault_secret": {
    kind: "ephemeral",
    refresh: { calls: "vault GET (ARM); GetSecret (data plane), which returns the value", needs: [R.reader, R.secretsUser], readOnly: true },
    source: AZURERM("keyvault/key_vault_secret_ephemeral.go"),
    decision: "opened by every plan that reads the vault (drift, deploy); a pull request's plan is synthesized with azure-quarterly-batch:planWithoutSecrets and opens none",
  },
  "ephemeral:random_password": {
    kind: "ephemeral",
    refresh: { calls: "none: generated locally on each open", needs: [], readOnly: true },
    source: "hashicorp/terraform-provider-random@v3.7.2 internal/provider/ephemeral_password.go",
  },
  "resource:random_password": {
    kind: "resource",
    refresh: { calls: "none", needs: [], readOnly: true },
    apply: { calls: "none: generated locally", needs: [] },
    source: "hashicorp/terraform-provider-random@v3.7.2 internal/provider/resource_password.go",
  },
  "resource:time_sleep": {
    kind: "resource",
    refresh: { calls: "none", needs: [], readOnly: true },
    apply: { calls: "none: sleeps locally", needs: [] },
    source: "hashicorp/terraform-provider-time@v0.13.1 internal/provider/resource_time_sleep.go",
  },
  "resource:terraform_data": {
    kind: "resource",
    refresh: { calls: "none: Terraform's built-in provider", needs: [], readOnly: true },
    apply: { calls: "none", needs: [] },
    source: "hashicorp/terraform@v1.11.4 internal/builtin/providers/terraform/resource_data.go",
  },
  "resource:azurerm_resource_group": arm("resource/resource_group_resource.go", R.contributor),
  "resource:azurerm_log_analytics_workspace": arm("loganalytics/log_analytics_workspace_resource.go", R.contributor, "GET of the workspace; POST sharedKeys (a 403 is tolerated)"),
  "resource:azurerm_monitor_diagnostic_setting": arm("monitor/monitor_diagnostic_setting_resource.go", R.contributor),
  "resource:azurerm_management_lock": {
    ...arm("resource/management_lock_resource.go", R.locksContributor),
    apply: { calls: "GetByScope, CreateOrUpdateByScope, DeleteByScope (Microsoft.Authorization/locks/*, which Contributor lacks)", needs: [R.locksContributor] },
  },
  "resource:azurerm_virtual_network": arm("network/virtual_network_resource.go", R.contributor),
  "resource:azurerm_subnet": arm("network/subnet_resource.go", R.contributor),
  "resource:azurerm_network_security_group": arm("network/network_security_group_resource.go", R.contributor),
  "resource:azurerm_network_security_rule": arm("network/network_security_rule_resource.go", R.contributor),
  "resource:azurerm_public_ip": arm("network/public_ip_resource.go", R.contributor),
  "resource:azurerm_nat_gateway": arm("network/nat_gateway_resource.go", R.contributor),
  "resource:azurerm_nat_gateway_public_ip_association": arm("network/nat_gateway_public_ip_association_resource.go", R.contributor, "GET of the NAT gateway"),
  "resource:azurerm_subnet_nat_gateway_association": subnetAssociation("network/subnet_nat_gateway_association_resource.go"),
  "resource:azurerm_subnet_network_security_group_association": subnetAssociation("network/subnet_network_security_group_association_resource.go"),
  "resource:azurerm_subnet_route_table_association": subnetAssociation("network/subnet_route_table_association_resource.go"),
  "resource:azurerm_virtual_network_peering": {
    kind: "resource",
    refresh: { calls: "GET of the peering, on the VNet its id names (the provider's subscription)", needs: [R.reader, R.readerOnPeered], readOnly: true },
    apply: { calls: "CreateOrUpdate on both VNets (virtualNetworks/peer/action on the remote one)", needs: [R.contributor, R.networkContributorOnPeered] },
    source: AZURERM("network/virtual_network_peering_resource.go"),
  },
  "resource:azurerm_private_dns_zone": arm("privatedns/private_dns_zone_resource.go", R.contributor, "GET of the zone and its SOA record set"),
  "resource:azurerm_private_dns_zone_virtual_network_link": {
    kind: "resource",
    refresh: { calls: "GET of the link, in the zone", needs: [R.reader], readOnly: true },
    apply: { calls: "CreateOrUpdate of the link (virtualNetworks/join/action on a linked VNet of another owner)", needs: [R.contributor, R.networkContributorOnPeered] },
    source: AZURERM("privatedns/private_dns_zone_virtual_network_link_resource.go"),
  },
  "resource:azurerm_private_endpoint": arm("network/private_endpoint_resource.go", R.contributor, "GET of the endpoint, its DNS zone groups and network interfaces"),
  "resource:azurerm_role_assignment": {
    kind: "resource",
    refresh: { calls: "GET of the assignment and of its role definition", needs: [R.reader], readOnly: true },
    apply: { calls: "roleDefinitions List, roleAssignments Create and Delete", needs: [R.rbacAdministrator] },
    source: AZURERM("authorization/role_assignment_resource.go"),
  },
  "resource:azurerm_user_assigned_identity": arm("managedidentity/user_assigned_identity_resource.go", R.contributor),
  "resource:azurerm_key_vault": arm("keyvault/key_vault_resource.go", R.contributor, "GET of the vault (ARM); its certificate contacts (a 403 is tolerated)"),
  "resource:azurerm_key_vault_secret": {
    kind: "resource",
    refresh: { calls: "vault list and GET (ARM); GetSecret, latest version (data plane), which returns the value", needs: [R.reader, R.secretsUser], readOnly: true },
    apply: { calls: "SetSecret, UpdateSecret, DeleteSecret (data plane)", needs: [R.secretsOfficer] },
    source: AZURERM("keyvault/key_vault_secret_resource.go"),
  },
  "resource:azurerm_key_vault_key": {
    kind: "resource",
    refresh: { calls: "vault list and GET (ARM); GetKey and GetKeyRotationPolicy (data plane; a 403 on the policy is an error)", needs: [R.reader, R.vaultReader], readOnly: true },
    apply: { calls: "CreateKey, UpdateKeyRotationPolicy, UpdateKey, DeleteKey (data plane)", needs: [R.cryptoOfficer] },
    source: AZURERM("keyvault/key_vault_key_resource.go"),
  },
  "resource:azurerm_storage_account": arm(
    "storage/storage_account_resource.go",
    R.contributor,
    "GetProperties, blob and file service properties (ARM only with data_plane_available = false); listKeys, whose 403 is tolerated",
  ),
  "resource:azurerm_storage_container": arm("storage/storage_container_resource.go", R.contributor, "ARM GET of blobServices/default/containers/<name>"),
  "resource:azurerm_storage_management_policy": arm("storage/storage_management_policy_resource.go", R.contributor),
  "resource:azurerm_postgresql_flexible_server": arm("postgres/postgresql_flexible_server_resource.go", R.contributor),
  "resource:azurerm_postgresql_flexible_server_database": arm("postgres/postgresql_flexible_server_database_resource.go", R.contributor),
  "resource:azurerm_postgresql_flexible_server_configuration": arm("postgres/postgresql_flexible_server_configuration_resource.go", R.contributor),
  "resource:azurerm_postgresql_flexible_server_active_directory_administrator": arm("postgres/postgresql_flexible_server_active_directory_administrator_resource.go", R.contributor),
  "resource:azurerm_databricks_workspace": {
    ...arm("databricks/databricks_workspace_resource.go", R.contributor),
    apply: { calls: "workspaces CreateOrUpdate; subnets Get (delegation check); the creator becomes the workspace's admin", needs: [R.contributor] },
  },
  "resource:azurerm_databricks_access_connector": arm("databricks/databricks_access_connector_resource.go", R.contributor),
  "resource:azurerm_databricks_workspace_root_dbfs_customer_managed_key": arm(
    "databricks/databricks_workspace_root_dbfs_customer_managed_key_resource.go",
    R.contributor,
    "GET of the workspace, compared with its encryption key",
  ),
  "resource:databricks_metastore_assignment": {
    kind: "resource",
    refresh: { calls: "GET /api/2.1/unity-catalog/current-metastore-assignment", needs: [R.workspaceUser], readOnly: true },
    apply: { calls: "PUT /api/2.1/unity-catalog/workspaces/{id}/metastore", needs: [R.accountAdmin] },
    source: DATABRICKS("catalog/resource_metastore_assignment.go"),
  },
  "resource:databricks_permission_assignment": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/preview/permissionassignments", needs: [R.workspaceAdmin], readOnly: false },
    apply: { calls: "PUT and DELETE /api/2.0/preview/permissionassignments/principals/{id}", needs: [R.workspaceAdmin] },
    source: DATABRICKS("access/resource_permission_assignment.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_mws_network_connectivity_config": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/accounts/{account}/network-connectivity-configs/{id} (account API)", needs: [R.accountAdmin], readOnly: false },
    apply: { calls: "Create and Delete of the NCC (account API)", needs: [R.accountAdmin] },
    source: DATABRICKS("mws/resource_mws_network_connectivity_config.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_mws_ncc_private_endpoint_rule": {
    kind: "resource",
    refresh: { calls: "GET .../network-connectivity-configs/{ncc}/private-endpoint-rules/{rule} (account API)", needs: [R.accountAdmin], readOnly: false },
    apply: { calls: "Create, Update and Delete of the rule (account API)", needs: [R.accountAdmin] },
    source: DATABRICKS("mws/resource_mws_ncc_private_endpoint_rule.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_mws_ncc_binding": {
    kind: "resource",
    refresh: { calls: "none: Read makes no call, so a changed binding is never seen", needs: [], readOnly: true },
    apply: { calls: "PATCH of the account's workspace (account API)", needs: [R.accountAdmin] },
    source: DATABRICKS("mws/resource_mws_ncc_binding.go"),
  },
  "resource:databricks_catalog": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/catalogs/{name}", needs: [R.workspaceUser, R.useCatalog], readOnly: true },
    apply: { calls: "Catalogs Create, Update, Delete; workspace bindings", needs: [R.createCatalog] },
    source: DATABRICKS("catalog/resource_catalog.go"),
  },
  "resource:databricks_schema": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/schemas/{catalog.schema}", needs: [R.workspaceUser, R.useCatalog, R.useSchema], readOnly: true },
    apply: { calls: "Schemas Create, Update, Delete (as the catalog's owner)", needs: [R.createCatalog] },
    source: DATABRICKS("catalog/resource_schema.go"),
  },
  "resource:databricks_storage_credential": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/storage-credentials/{name}: owner, metastore admin or a privilege on it", needs: [R.workspaceUser, R.manageLocations], readOnly: false },
    apply: { calls: "StorageCredentials Create, Update, Delete", needs: [R.createStorageCredential] },
    source: DATABRICKS("catalog/resource_storage_credential.go"),
    decision: "the only privilege on a storage credential that reads no data is MANAGE, which is write-capable: refreshed by the drift check and the deploy only",
  },
  "resource:databricks_credential": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/credentials/{name}: owner, metastore admin or a privilege on it", needs: [R.workspaceUser, R.manageServiceCredential], readOnly: false },
    apply: { calls: "Credentials Create, Update, Delete (purpose SERVICE)", needs: [R.createServiceCredential] },
    source: DATABRICKS("catalog/resource_credential.go"),
    decision: "ACCESS would let the holder take the identity's token and write the manifests' folder; MANAGE, write-capable too, is what the drift check gets",
  },
  "resource:databricks_external_location": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/external-locations/{name}: owner, metastore admin or a privilege on it", needs: [R.workspaceUser, R.manageLocations], readOnly: false },
    apply: { calls: "ExternalLocations Create, Update, Delete", needs: [R.createExternalLocation] },
    source: DATABRICKS("catalog/resource_external_location.go"),
    decision: "the privileges on a location other than MANAGE read or write files: refreshed by the drift check (with MANAGE) and the deploy only",
  },
  "resource:databricks_grants": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/permissions/{type}/{name}: owner, MANAGE or metastore admin", needs: [R.workspaceUser, R.manageCatalog, R.manageLocations, R.manageServiceCredential], readOnly: false },
    apply: { calls: "PATCH /api/2.1/unity-catalog/permissions/{type}/{name}", needs: [R.createCatalog, R.createExternalLocation] },
    source: DATABRICKS("catalog/resource_grants.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_grant": {
    kind: "resource",
    creatorRefreshes: true,
    refresh: { calls: "GET /api/2.1/unity-catalog/permissions/{type}/{name}: owner, MANAGE or metastore admin", needs: [R.workspaceUser, R.manageCatalog], readOnly: false },
    apply: { calls: "PATCH /api/2.1/unity-catalog/permissions/{type}/{name}", needs: [R.createCatalog] },
    source: DATABRICKS("catalog/resource_grant.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_secret_scope": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/secrets/scopes/list", needs: [R.workspaceUser], readOnly: true },
    apply: { calls: "POST /api/2.0/secrets/scopes/create (Key Vault-backed: the caller needs Contributor on the vault), delete", needs: [R.workspaceAdmin, R.contributor] },
    source: DATABRICKS("secrets/resource_secret_scope.go"),
  },
  "resource:databricks_secret_acl": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/secrets/acls/get: MANAGE on the scope (workspace admins hold it on every scope)", needs: [R.workspaceAdmin], readOnly: false },
    apply: { calls: "POST /api/2.0/secrets/acls/put, delete", needs: [R.workspaceAdmin] },
    source: DATABRICKS("secrets/resource_secret_acl.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_permissions": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/preview/scim/v2/Me; GET /api/2.0/permissions/{type}/{id}: CAN_MANAGE on the object (cluster policies: admins)", needs: [R.workspaceAdmin], readOnly: false },
    apply: { calls: "PUT /api/2.0/permissions/{type}/{id}, which makes the applier IS_OWNER of a job unless the list names an owner", needs: [R.workspaceAdmin] },
    source: DATABRICKS("permissions/resource_permissions.go"),
    decision: NO_READ_ONLY_ADMIN,
  },
  "resource:databricks_job": {
    kind: "resource",
    refresh: { calls: "GET /api/2.2/jobs/get: CAN_VIEW", needs: [R.workspaceUser], readOnly: true },
    apply: { calls: "POST /api/2.2/jobs/create, reset, delete", needs: [R.workspaceAdmin] },
    source: DATABRICKS("jobs/resource_job.go"),
  },
  "resource:databricks_cluster_policy": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/policies/clusters/get", needs: [R.workspaceAdmin], readOnly: false },
    apply: { calls: "ClusterPolicies Create, Edit, Delete (admins only)", needs: [R.workspaceAdmin] },
    source: DATABRICKS("policies/resource_cluster_policy.go"),
    decision: "whether CAN_USE may read a policy is not documented; refreshed by admins only: the drift check and the deploy",
  },
  "resource:databricks_directory": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/workspace/get-status: CAN_READ", needs: [R.workspaceUser], readOnly: true },
    apply: { calls: "POST /api/2.0/workspace/mkdirs, delete", needs: [R.workspaceAdmin] },
    source: DATABRICKS("workspace/resource_directory.go"),
  },
  "resource:databricks_workspace_file": {
    kind: "resource",
    refresh: { calls: "GET /api/2.0/workspace/get-status: CAN_READ (content is not read back)", needs: [R.workspaceUser], readOnly: true },
    apply: { calls: "POST /api/2.0/workspace/import (overwrite), delete", needs: [R.workspaceAdmin] },
    source: DATABRICKS("workspace/resource_workspace_file.go"),
  },
};

/** The key of a block of a synthesized stack in RESOURCE_RIGHTS. */
export function rightsKey(kind: "resource" | "data" | "ephemeral", type: string): string {
  return `${kind}:${type}`;
}

/** Every block type a synthesized stack holds, as RESOURCE_RIGHTS keys. */
export function blockTypesOf(stack: { readonly resource?: object; readonly data?: object; readonly ephemeral?: object }): string[] {
  return (["resource", "data", "ephemeral"] as const).flatMap((kind) => Object.keys(stack[kind] ?? {}).map((type) => rightsKey(kind, type))).sort();
}
