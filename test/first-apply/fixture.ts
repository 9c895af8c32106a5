/**
 * A small hand-written stack that satisfies every first-apply rule, to prove the checks on before
 * the real stacks do: each rule's test runs on it clean (no violation) and broken (caught).
 */
import { TerraformJson } from "./graph";

const dns = (zone: string) => ({ name: "default", private_dns_zone_ids: [`\${azurerm_private_dns_zone.${zone}.id}`] });
const connection = (target: string, subresource: string) => ({
  name: `pe-${subresource}`,
  is_manual_connection: false,
  private_connection_resource_id: `\${${target}.id}`,
  subresource_names: [subresource],
});
const account = { provider: "databricks.account" };
const UI_API = "azurerm_private_endpoint.ui_api";
const METASTORE = "databricks_metastore_assignment.ws";
/** What a write from the agents waits for: the peering and the vault zone's links. */
const REACH = ["azurerm_virtual_network_peering.to_agents", "azurerm_private_dns_zone_virtual_network_link.vault", "azurerm_private_dns_zone_virtual_network_link.vault_agents"];

/** The hub's subscription, where the existing zone `rg-hub-dns/privatelink.dfs.core.windows.net` lives. */
export const HUB_SUBSCRIPTION = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
export const HUB_ZONES = { "rg-hub-dns/privatelink.dfs.core.windows.net": HUB_SUBSCRIPTION };

export function fixtureStack(): TerraformJson {
  return {
    terraform: { required_version: ">= 1.11.0" },
    provider: {
      azurerm: [{ features: [{ storage: [{ data_plane_available: false }] }] }, { alias: "hub", subscription_id: HUB_SUBSCRIPTION, features: [{}] }],
      time: [{}],
      databricks: [
        { host: "https://${azurerm_databricks_workspace.ws.workspace_url}", azure_workspace_resource_id: "${azurerm_databricks_workspace.ws.id}" },
        { alias: "account", host: "https://accounts.azuredatabricks.net", account_id: "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f" },
      ],
    },
    data: { azurerm_client_config: { client: {} } },
    resource: {
      random_password: { pw: { length: 32 } },
      azurerm_resource_group: { rg: { name: "rg-x", location: "westeurope" } },
      azurerm_private_dns_zone: { vault: { name: "privatelink.vaultcore.azure.net" }, blob: {}, dfs: {}, dbx: {} },
      azurerm_virtual_network: { vnet: { address_space: ["10.10.0.0/16"] } },
      azurerm_virtual_network_peering: { to_agents: { virtual_network_name: "${azurerm_virtual_network.vnet.name}", remote_virtual_network_id: "/subscriptions/1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a/resourceGroups/rg-agents/providers/Microsoft.Network/virtualNetworks/vnet-agents" } },
      azurerm_private_dns_zone_virtual_network_link: {
        vault: { private_dns_zone_name: "${azurerm_private_dns_zone.vault.name}", virtual_network_id: "${azurerm_virtual_network.vnet.id}" },
        vault_agents: { private_dns_zone_name: "${azurerm_private_dns_zone.vault.name}", virtual_network_id: "/subscriptions/1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a/resourceGroups/rg-agents/providers/Microsoft.Network/virtualNetworks/vnet-agents" },
        hub_dfs: { provider: "azurerm.hub", resource_group_name: "rg-hub-dns", private_dns_zone_name: "privatelink.dfs.core.windows.net", virtual_network_id: "${azurerm_virtual_network.vnet.id}" },
      },
      azurerm_key_vault: { kv: { location: "${azurerm_resource_group.rg.location}", tenant_id: "${data.azurerm_client_config.client.tenant_id}" } },
      azurerm_private_endpoint: {
        kv: { private_service_connection: connection("azurerm_key_vault.kv", "vault"), private_dns_zone_group: dns("vault") },
        lake_blob: { private_service_connection: connection("azurerm_storage_account.lake", "blob"), private_dns_zone_group: dns("blob") },
        lake_dfs: { private_service_connection: connection("azurerm_storage_account.lake", "dfs"), private_dns_zone_group: dns("dfs") },
        ui_api: { private_service_connection: connection("azurerm_databricks_workspace.ws", "databricks_ui_api"), private_dns_zone_group: [dns("dbx")] },
      },
      azurerm_role_assignment: {
        officer: { scope: "${azurerm_key_vault.kv.id}", role_definition_name: "Key Vault Secrets Officer", principal_id: "${data.azurerm_client_config.client.object_id}" },
        crypto: { scope: "${azurerm_key_vault.kv.id}", role_definition_name: "Key Vault Crypto Officer", principal_id: "${data.azurerm_client_config.client.object_id}" },
        cmk_access: {
          scope: "${azurerm_key_vault_key.cmk.resource_versionless_id}",
          role_definition_name: "Key Vault Crypto Service Encryption User",
          principal_id: "${azurerm_user_assigned_identity.lake.principal_id}",
        },
      },
      time_sleep: {
        kv_rbac: { create_duration: "60s", depends_on: ["azurerm_role_assignment.officer", "azurerm_role_assignment.crypto"] },
        cmk_rbac: { create_duration: "60s", triggers: { assignment: "${azurerm_role_assignment.cmk_access.id}" } },
      },
      azurerm_key_vault_secret: {
        password: { key_vault_id: "${azurerm_key_vault.kv.id}", name: "pw", value_wo: "${random_password.pw.result}", value_wo_version: 1, depends_on: ["time_sleep.kv_rbac", "azurerm_private_endpoint.kv", ...REACH] },
      },
      azurerm_key_vault_key: {
        cmk: { key_vault_id: "${azurerm_key_vault.kv.id}", name: "cmk", depends_on: ["time_sleep.kv_rbac", "azurerm_private_endpoint.kv", ...REACH] },
      },
      azurerm_user_assigned_identity: { lake: { name: "id-lake" } },
      azurerm_storage_account: {
        lake: {
          name: "stlake",
          location: "${azurerm_resource_group.rg.location}",
          is_hns_enabled: true,
          public_network_access_enabled: false,
          identity: { type: "UserAssigned", identity_ids: ["${azurerm_user_assigned_identity.lake.id}"] },
          customer_managed_key: { key_vault_key_id: "${azurerm_key_vault_key.cmk.versionless_id}", user_assigned_identity_id: "${azurerm_user_assigned_identity.lake.id}" },
          depends_on: ["time_sleep.cmk_rbac"],
        },
      },
      azurerm_storage_container: { landing: { name: "landing", storage_account_id: "${azurerm_storage_account.lake.id}" } },
      azurerm_storage_blob: {
        readme: {
          name: "README.md",
          storage_account_name: "${azurerm_storage_account.lake.name}",
          storage_container_name: "${azurerm_storage_container.landing.name}",
          depends_on: ["azurerm_private_endpoint.lake_blob", "azurerm_virtual_network_peering.to_agents"],
        },
      },
      azurerm_databricks_workspace: { ws: { name: "dbw", location: "${azurerm_resource_group.rg.location}", public_network_access_enabled: false } },
      databricks_mws_network_connectivity_config: { ncc: { ...account, name: "ncc-westeurope", region: "westeurope" } },
      databricks_mws_ncc_binding: {
        binding: { ...account, network_connectivity_config_id: "${databricks_mws_network_connectivity_config.ncc.network_connectivity_config_id}", workspace_id: "${azurerm_databricks_workspace.ws.workspace_id}" },
      },
      databricks_mws_ncc_private_endpoint_rule: {
        dfs: { ...account, network_connectivity_config_id: "${databricks_mws_network_connectivity_config.ncc.network_connectivity_config_id}", resource_id: "${azurerm_storage_account.lake.id}", group_id: "dfs" },
        blob: { ...account, network_connectivity_config_id: "${databricks_mws_network_connectivity_config.ncc.network_connectivity_config_id}", resource_id: "${azurerm_storage_account.lake.id}", group_id: "blob" },
      },
      databricks_metastore_assignment: {
        ws: { metastore_id: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", workspace_id: "${azurerm_databricks_workspace.ws.workspace_id}", depends_on: [UI_API, "azurerm_virtual_network_peering.to_agents"] },
      },
      databricks_permission_assignment: {
        job_sp: { service_principal_name: "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80", permissions: ["USER"], depends_on: [UI_API, "azurerm_virtual_network_peering.to_agents", METASTORE] },
        engineers: { group_name: "engineers", permissions: ["USER"], depends_on: [UI_API, "azurerm_virtual_network_peering.to_agents", METASTORE] },
      },
      databricks_storage_credential: {
        lake: {
          name: "lake",
          azure_managed_identity: { access_connector_id: "connector" },
          depends_on: ["databricks_mws_ncc_private_endpoint_rule.dfs", "databricks_mws_ncc_private_endpoint_rule.blob", "databricks_mws_ncc_binding.binding", UI_API, "azurerm_virtual_network_peering.to_agents"],
        },
      },
      databricks_external_location: {
        landing: { name: "landing", url: "abfss://landing@${azurerm_storage_account.lake.name}.dfs.core.windows.net/", credential_name: "${databricks_storage_credential.lake.name}" },
      },
      databricks_job: {
        job: {
          run_as: { service_principal_name: "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80" },
          job_cluster: [{ job_cluster_key: "etl", new_cluster: { single_user_name: "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80" } }],
          depends_on: ["databricks_permission_assignment.job_sp"],
        },
      },
      databricks_secret_acl: { job: { principal: "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80", permission: "READ", scope: "s", depends_on: ["databricks_permission_assignment.job_sp"] } },
      databricks_permissions: {
        job: { job_id: "${databricks_job.job.id}", access_control: [{ group_name: "engineers", permission_level: "CAN_MANAGE_RUN" }, { group_name: "admins", permission_level: "CAN_MANAGE" }], depends_on: ["databricks_permission_assignment.engineers"] },
      },
      databricks_grants: {
        location: {
          external_location: "${databricks_external_location.landing.id}",
          grant: [{ principal: "engineers", privileges: ["READ_FILES"] }, { principal: "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d80", privileges: ["READ_FILES"] }, { principal: "account users", privileges: ["BROWSE"] }],
          depends_on: ["databricks_permission_assignment.engineers", "databricks_permission_assignment.job_sp"],
        },
      },
    },
  };
}
