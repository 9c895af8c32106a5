/**
 * How each Terraform resource type appears in the diagram: as its own box, folded into the
 * resource it belongs to, merged with its siblings into one box, or as a network boundary.
 * Anything not listed here gets its own box under its Terraform type, so nothing disappears
 * silently when a construct grows.
 */
import { literal, TerraformResource, valueAt } from "./terraform-json";

export type EdgeKind = "data-flow" | "secret" | "private-link" | "serverless-private-link" | "identity" | "peering" | "egress" | "diagnostics" | "reference";

/** A field whose reference draws a specific kind of edge instead of a plain reference. */
export interface EdgeField {
  readonly kind: EdgeKind;
  /** Draw the edge from the referenced resource to this one (a role's principal to its scope). */
  readonly reversed?: boolean;
  /** Field of this resource whose literal value labels the edge, such as `role_definition_name`. */
  readonly labelField?: string;
  /** A fixed label, where no field says it. */
  readonly label?: string;
  /** Wraps the label once edges between the same boxes are merged: `{}` stands for their labels. */
  readonly labelFormat?: string;
}

interface Common {
  /** Fields whose subnet reference places the box inside that subnet. */
  readonly placementFields?: readonly string[];
  /** Fields whose references draw a specific kind of edge. */
  readonly edgeFields?: Readonly<Record<string, EdgeField>>;
}

export type Presentation = Common &
  (
    | { readonly role: "node"; readonly service: string; readonly details?: (resource: TerraformResource) => string[]; readonly parentField?: readonly string[] }
    /** One box per construct for all resources sharing `group`, such as the private DNS zones. */
    | { readonly role: "group"; readonly group: string; readonly service: string }
    /** Folded into the resource referenced by the first of `into` that holds a reference. */
    | {
        readonly role: "fold";
        readonly into: readonly string[];
        /** Without a reference in `into`, fold into the first `depends_on` target of one of these types. */
        readonly intoDependsOn?: readonly string[];
        readonly note?: string;
      }
    /** Folded into the resource that references it (a password into the server that uses it). */
    | { readonly role: "fold-into-referrer"; readonly fallbackGroup?: string; readonly fallbackService?: string }
    | { readonly role: "resource-group" }
    | { readonly role: "virtual-network" }
    | { readonly role: "subnet" }
  );

const asList = (value: unknown): string[] => (Array.isArray(value) ? value : [value]).map(literal).filter((item): item is string => item !== undefined);
const field = (resource: TerraformResource, path: string): string | undefined => literal(valueAt(resource.body, path)) ?? numberText(valueAt(resource.body, path));
const numberText = (value: unknown): string | undefined => (typeof value === "number" ? String(value) : undefined);
const present = (...lines: Array<string | undefined | false>): string[] => lines.filter((line): line is string => typeof line === "string" && line.length > 0);

const DATABRICKS_SUBNET_FIELDS = ["custom_parameters.public_subnet_name", "custom_parameters.private_subnet_name"];

export const PRESENTATION: Readonly<Record<string, Presentation>> = {
  azurerm_resource_group: { role: "resource-group" },
  azurerm_virtual_network: { role: "virtual-network" },
  azurerm_subnet: { role: "subnet" },

  azurerm_log_analytics_workspace: {
    role: "node",
    service: "Log Analytics",
    details: (r) => present(field(r, "retention_in_days") && `retention ${field(r, "retention_in_days")} days`),
  },
  azurerm_monitor_diagnostic_setting: {
    role: "fold",
    into: ["target_resource_id"],
    edgeFields: { log_analytics_workspace_id: { kind: "diagnostics" } },
  },
  azurerm_management_lock: { role: "fold", into: ["scope"], note: "delete lock" },
  azurerm_role_assignment: {
    role: "fold",
    into: ["scope"],
    edgeFields: { principal_id: { kind: "identity", reversed: true, labelField: "role_definition_name" } },
  },

  azurerm_network_security_group: { role: "node", service: "Network security group" },
  azurerm_network_security_rule: { role: "fold", into: ["network_security_group_name", "network_security_group_id"] },
  azurerm_subnet_network_security_group_association: { role: "fold", into: ["network_security_group_id"], placementFields: ["subnet_id"] },
  azurerm_nat_gateway: { role: "node", service: "NAT Gateway" },
  // Both directions fold into this stack's VNet; the model draws the remote VNet as an external box.
  azurerm_virtual_network_peering: { role: "fold", into: ["virtual_network_name", "remote_virtual_network_id"] },
  azurerm_public_ip: { role: "fold-into-referrer" },
  azurerm_nat_gateway_public_ip_association: { role: "fold", into: ["nat_gateway_id"] },
  azurerm_subnet_nat_gateway_association: { role: "fold", into: ["nat_gateway_id"], edgeFields: { subnet_id: { kind: "egress" } } },
  azurerm_private_dns_zone: { role: "group", group: "private-dns-zones", service: "Private DNS Zone" },
  azurerm_private_dns_zone_virtual_network_link: { role: "fold", into: ["private_dns_zone_name", "private_dns_zone_id"] },
  azurerm_private_endpoint: {
    role: "node",
    service: "Private Endpoint",
    placementFields: ["subnet_id"],
    edgeFields: { "private_service_connection.private_connection_resource_id": { kind: "private-link", labelField: "private_service_connection.subresource_names" } },
  },

  azurerm_key_vault: {
    role: "node",
    service: "Key Vault",
    details: (r) => present(field(r, "sku_name"), r.body.rbac_authorization_enabled === true || r.body.enable_rbac_authorization === true ? "RBAC" : undefined),
  },
  azurerm_key_vault_secret: {
    role: "fold",
    into: ["key_vault_id"],
    edgeFields: { value: { kind: "reference", label: "holds its credential" }, value_wo: { kind: "reference", label: "holds its credential" } },
  },
  azurerm_key_vault_key: { role: "fold", into: ["key_vault_id"] },
  azurerm_user_assigned_identity: { role: "fold-into-referrer" },

  azurerm_storage_account: {
    role: "node",
    service: "Storage",
    details: (r) => present(field(r, "account_replication_type"), valueAt(r.body, "customer_managed_key.key_vault_key_id") !== undefined ? "customer-managed key" : undefined),
    edgeFields: { "customer_managed_key.key_vault_key_id": { kind: "reference", label: "encryption key" } },
  },
  azurerm_storage_container: { role: "node", service: "Container", parentField: ["storage_account_id", "storage_account_name"] },
  azurerm_storage_data_lake_gen2_filesystem: { role: "node", service: "Container", parentField: ["storage_account_id"] },
  azurerm_storage_management_policy: { role: "fold", into: ["storage_account_id"], note: "lifecycle rules" },

  azurerm_postgresql_flexible_server: {
    role: "node",
    service: "PostgreSQL Flexible Server",
    placementFields: ["delegated_subnet_id"],
    details: (r) =>
      present(
        field(r, "version") && `PostgreSQL ${field(r, "version")}`,
        field(r, "sku_name"),
        field(r, "high_availability.mode") && `HA ${field(r, "high_availability.mode")}`,
      ),
  },
  azurerm_postgresql_flexible_server_configuration: { role: "fold", into: ["server_id"] },
  azurerm_postgresql_flexible_server_database: { role: "fold", into: ["server_id"] },
  azurerm_postgresql_flexible_server_firewall_rule: { role: "fold", into: ["server_id"] },
  azurerm_postgresql_flexible_server_active_directory_administrator: { role: "fold", into: ["server_object_id", "server_name"] },
  random_password: { role: "fold-into-referrer" },
  // Generated passwords and the vault read that hands one to the server live only while Terraform runs.
  "ephemeral.random_password": { role: "fold-into-referrer" },
  "ephemeral.azurerm_key_vault_secret": { role: "fold-into-referrer" },
  terraform_data: { role: "fold-into-referrer" },
  random_string: { role: "fold-into-referrer" },

  azurerm_databricks_workspace: {
    role: "node",
    service: "Azure Databricks",
    placementFields: DATABRICKS_SUBNET_FIELDS,
    details: (r) => present(field(r, "sku"), r.body.public_network_access_enabled === false ? "no public access" : undefined, valueAt(r.body, "custom_parameters.no_public_ip") === true ? "no public IP" : undefined),
  },
  azurerm_databricks_workspace_root_dbfs_customer_managed_key: {
    role: "fold",
    into: ["workspace_id"],
    note: "root DBFS customer-managed key",
    edgeFields: { key_vault_key_id: { kind: "reference", label: "root DBFS key" } },
  },
  // Workspace identity assignments carry no reference (the provider is the workspace's): they name it in depends_on.
  databricks_permission_assignment: { role: "fold", into: [], intoDependsOn: ["azurerm_databricks_workspace"] },
  databricks_mws_network_connectivity_config: { role: "node", service: "Network connectivity config", details: () => ["serverless compute, account level"] },
  databricks_mws_ncc_binding: { role: "fold", into: ["network_connectivity_config_id"], edgeFields: { workspace_id: { kind: "reference", label: "bound to" } } },
  databricks_mws_ncc_private_endpoint_rule: {
    role: "fold",
    into: ["network_connectivity_config_id"],
    edgeFields: { resource_id: { kind: "serverless-private-link", labelField: "group_id", labelFormat: "private endpoint ({})" } },
  },
  azurerm_databricks_access_connector: { role: "node", service: "Access Connector (managed identity)" },
  databricks_job: {
    role: "node",
    service: "Databricks job",
    details: (r) =>
      present(
        field(r, "schedule.quartz_cron_expression") && `cron ${field(r, "schedule.quartz_cron_expression")} ${field(r, "schedule.timezone_id") ?? ""}`.trim(),
        valueAt(r.body, "run_as.service_principal_name") !== undefined ? "runs as a service principal" : undefined,
      ),
  },
  databricks_secret_scope: { role: "node", service: "Secret scope (Key Vault-backed)" },
  databricks_secret_acl: { role: "fold", into: ["scope"] },
  databricks_cluster_policy: { role: "fold-into-referrer", fallbackGroup: "compute", fallbackService: "Cluster policy" },
  databricks_workspace_file: { role: "fold-into-referrer", fallbackGroup: "workspace-files", fallbackService: "Workspace files" },
  databricks_notebook: { role: "fold-into-referrer", fallbackGroup: "workspace-files", fallbackService: "Workspace files" },
  databricks_directory: { role: "fold-into-referrer", fallbackGroup: "workspace-files", fallbackService: "Workspace files" },
  databricks_permissions: { role: "fold", into: ["job_id", "cluster_policy_id", "directory_path", "directory_id", "workspace_file_path", "notebook_path", "secret_scope"] },
  databricks_metastore_assignment: { role: "group", group: "unity-catalog", service: "Unity Catalog", edgeFields: { workspace_id: { kind: "reference", label: "metastore assignment" } } },
  databricks_storage_credential: {
    role: "group",
    group: "unity-catalog",
    service: "Unity Catalog",
    edgeFields: { "azure_managed_identity.access_connector_id": { kind: "reference", label: "storage credential" } },
  },
  databricks_credential: {
    role: "group",
    group: "unity-catalog",
    service: "Unity Catalog",
    edgeFields: { "azure_managed_identity.access_connector_id": { kind: "reference", label: "service credential" } },
  },
  databricks_external_location: { role: "group", group: "unity-catalog", service: "Unity Catalog", edgeFields: { url: { kind: "reference", label: "external locations" } } },
  databricks_catalog: { role: "group", group: "unity-catalog", service: "Unity Catalog", edgeFields: { storage_root: { kind: "reference", label: "external locations" } } },
  databricks_schema: { role: "group", group: "unity-catalog", service: "Unity Catalog" },
  databricks_volume: { role: "group", group: "unity-catalog", service: "Unity Catalog" },
  databricks_grants: { role: "group", group: "unity-catalog", service: "Unity Catalog" },
  databricks_grant: { role: "group", group: "unity-catalog", service: "Unity Catalog" },

  // Propagation waits only order the first apply: folded into the role assignment they wait for.
  time_sleep: { role: "fold", into: [], intoDependsOn: ["azurerm_role_assignment"] },
};

/** The presentation of a type; unknown types get their own box named after the type. */
export function presentationOf(type: string): Presentation {
  return PRESENTATION[type] ?? { role: "node", service: serviceNameOfType(type) };
}

/** A readable name for a type the catalog does not know: `azurerm_foo_bar` becomes `foo bar`. */
export function serviceNameOfType(type: string): string {
  return type.replace(/^(azurerm|databricks|random)_/, "").replace(/_/g, " ");
}

/** How the members of a merged box are counted: singular and plural. */
export const MEMBER_NOUNS: Readonly<Record<string, readonly [string, string]>> = {
  databricks_catalog: ["catalog", "catalogs"],
  databricks_schema: ["schema", "schemas"],
  databricks_external_location: ["external location", "external locations"],
  databricks_storage_credential: ["storage credential", "storage credentials"],
  databricks_credential: ["service credential", "service credentials"],
  databricks_grants: ["grant set", "grant sets"],
  databricks_grant: ["grant", "grants"],
  databricks_metastore_assignment: ["metastore assignment", "metastore assignments"],
  databricks_volume: ["volume", "volumes"],
  databricks_workspace_file: ["file", "files"],
  databricks_notebook: ["notebook", "notebooks"],
  databricks_directory: ["folder", "folders"],
  databricks_cluster_policy: ["cluster policy", "cluster policies"],
};

/** Literal values of a field as a list (a string or a list of strings). */
export function literalList(resource: TerraformResource, path: string): string[] {
  return asList(valueAt(resource.body, path));
}

/**
 * The construct kinds of the library, recognised by the resource that defines each, so a stack
 * that names its constructs differently still groups correctly.
 */
export const CONSTRUCT_SIGNATURES: ReadonlyArray<readonly [kind: string, resourceTypes: readonly string[]]> = [
  ["SparkBatchPipeline", ["azurerm_databricks_workspace", "databricks_job"]],
  ["SecureNetwork", ["azurerm_virtual_network"]],
  ["RelationalSink", ["azurerm_postgresql_flexible_server"]],
  ["LakeStorage", ["azurerm_storage_account"]],
  ["SecretStore", ["azurerm_key_vault"]],
  ["Observability", ["azurerm_log_analytics_workspace"]],
];
