/**
 * Security controls that neither checkov nor trivy checks on this estate (or that trivy cannot read
 * from Terraform JSON), asserted on the synthesized JSON of every environment's stack.
 * docs/security.md ("Controls the estate enforces") maps each to its CIS control.
 */
import { ENVIRONMENTS, EnvironmentName } from "../../src/stacks/config";
import { ref, resourcesOf, synthEnvironment, SynthesizedStack } from "../helpers/synth";

type Body = Record<string, unknown>;

/** Sources that mean "anywhere on the internet" in an NSG rule. */
const INTERNET_SOURCES = ["*", "internet", "any", "0.0.0.0", "0.0.0.0/0", "::/0"];

/** Bodies of every resource of a type; a control that finds none would pass vacuously, so it fails. */
function present(stack: SynthesizedStack, type: string): Array<[string, Body]> {
  const resources = resourcesOf(stack, type);
  if (resources.length === 0) throw new Error(`the stack has no ${type}, so the control cannot be checked`);
  return resources;
}

/** Nested blocks appear as an object or a list of objects in Terraform JSON. */
function blocks(value: unknown): Body[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Body[];
}

/** Inbound Allow rules (separate or inline in an NSG) whose source is the internet. */
function rulesAllowingInternetInbound(stack: SynthesizedStack): Body[] {
  const inlineRules = resourcesOf(stack, "azurerm_network_security_group").flatMap(([, nsg]) => blocks(nsg.security_rule));
  const rules = [...resourcesOf(stack, "azurerm_network_security_rule").map(([, body]) => body), ...inlineRules];
  return rules.filter((rule) => {
    const sources = [rule.source_address_prefix, ...((rule.source_address_prefixes as unknown[]) ?? [])].filter((s): s is string => typeof s === "string");
    return String(rule.direction).toLowerCase() === "inbound" && String(rule.access).toLowerCase() === "allow" && sources.some((s) => INTERNET_SOURCES.includes(s.toLowerCase()));
  });
}

/** Unity Catalog grants (plural and single resources) of ALL_PRIVILEGES to every account user. */
function allPrivilegesToAccountUsers(stack: SynthesizedStack): Array<{ name: string; principal: string }> {
  const everyone = (principal: unknown) => ["account users", "users"].includes(String(principal).toLowerCase());
  const plural = resourcesOf(stack, "databricks_grants").flatMap(([name, grants]) =>
    blocks(grants.grant)
      .filter((grant) => everyone(grant.principal) && (grant.privileges as string[]).includes("ALL_PRIVILEGES"))
      .map((grant) => ({ name, principal: String(grant.principal) })),
  );
  const single = resourcesOf(stack, "databricks_grant")
    .filter(([, grant]) => everyone(grant.principal) && (grant.privileges as string[]).includes("ALL_PRIVILEGES"))
    .map(([name, grant]) => ({ name, principal: String(grant.principal) }));
  return [...plural, ...single];
}

/** The diagnostic settings that send a target's logs to Log Analytics. */
function logSettingsFor(stack: SynthesizedStack, targetResourceId: string): Body[] {
  return resourcesOf(stack, "azurerm_monitor_diagnostic_setting")
    .map(([, body]) => body)
    .filter((body) => body.target_resource_id === targetResourceId && typeof body.log_analytics_workspace_id === "string")
    .filter((body) => blocks(body.enabled_log).some((log) => log.category_group === "allLogs" || typeof log.category === "string"));
}

describe.each(ENVIRONMENTS.map((environment) => [environment]))("security controls of the %s stack", (environment: EnvironmentName) => {
  const stack = synthEnvironment(environment);

  it("injects every Databricks workspace into the estate's VNet with no public IPs on clusters (CIS 2.1.1, 2.1.9)", () => {
    const vnetIds = present(stack, "azurerm_virtual_network").map(([name]) => ref("azurerm_virtual_network", name));
    const databricksSubnets = present(stack, "azurerm_subnet")
      .filter(([, body]) => blocks(body.delegation).some((d) => (d.service_delegation as Body).name === "Microsoft.Databricks/workspaces"))
      .map(([name]) => ref("azurerm_subnet", name, "name"));
    for (const [name, workspace] of present(stack, "azurerm_databricks_workspace")) {
      const custom = blocks(workspace.custom_parameters)[0];
      expect({ name, noPublicIp: custom?.no_public_ip }).toEqual({ name, noPublicIp: true });
      expect(vnetIds).toContain(custom.virtual_network_id);
      expect(databricksSubnets).toEqual(expect.arrayContaining([custom.public_subnet_name, custom.private_subnet_name]));
      expect(custom.public_subnet_network_security_group_association_id).toMatch(/^\$\{azurerm_subnet_network_security_group_association\./);
      expect(custom.private_subnet_network_security_group_association_id).toMatch(/^\$\{azurerm_subnet_network_security_group_association\./);
    }
  });

  it("authorizes every Key Vault with Azure RBAC, never access policies (CIS 8.3.6)", () => {
    for (const [, vault] of present(stack, "azurerm_key_vault")) {
      expect(vault.rbac_authorization_enabled).toBe(true);
      expect(vault.access_policy).toBeUndefined();
    }
    expect(resourcesOf(stack, "azurerm_key_vault_access_policy")).toEqual([]);
  });

  it("closes every Key Vault to the public network with a Deny ACL and purge protection (CIS 8.3.5, 8.3.7; trivy AZU-0013)", () => {
    for (const [, vault] of present(stack, "azurerm_key_vault")) {
      expect(vault.public_network_access_enabled).toBe(false);
      expect(vault.purge_protection_enabled).toBe(true);
      expect(blocks(vault.network_acls)[0]).toMatchObject({ default_action: "Deny" });
    }
  });

  it("requires TLS 1.2 or later on every PostgreSQL server (CIS PostgreSQL require_secure_transport)", () => {
    const configurations = resourcesOf(stack, "azurerm_postgresql_flexible_server_configuration").map(([, body]) => body);
    for (const [name, server] of present(stack, "azurerm_postgresql_flexible_server")) {
      const parameter = (parameterName: string) => configurations.find((c) => c.server_id === ref("azurerm_postgresql_flexible_server", name) && c.name === parameterName)?.value;
      expect({ name, requireSecureTransport: parameter("require_secure_transport") }).toEqual({ name, requireSecureTransport: "ON" });
      expect(["TLSv1.2", "TLSv1.3"]).toContain(parameter("ssl_min_protocol_version"));
      expect(server.public_network_access_enabled).toBe(false);
    }
  });

  it("has no NSG rule that allows inbound traffic from the internet (CIS 2.1.2, 6.x)", () => {
    present(stack, "azurerm_network_security_rule");
    expect(rulesAllowingInternetInbound(stack)).toEqual([]);
  });

  it("allows no shared keys, public network access or anonymous access on any storage account (CIS 9.3.1.3, 9.3.2.2, 9.3.8; trivy AZU-0012)", () => {
    for (const [name, account] of present(stack, "azurerm_storage_account")) {
      expect({ name, sharedKeys: account.shared_access_key_enabled }).toEqual({ name, sharedKeys: false });
      expect(account.public_network_access_enabled).toBe(false);
      expect(account.allow_nested_items_to_be_public).toBe(false);
      expect(blocks(account.network_rules)[0]).toMatchObject({ default_action: "Deny" });
    }
    for (const [, container] of resourcesOf(stack, "azurerm_storage_container")) {
      expect(container.container_access_type).toBe("private");
    }
  });

  it("sends the logs of the vault, the lake, the database and the workspace to Log Analytics (CIS 6.1.1.4, 2.1.7)", () => {
    const targets = [
      ...present(stack, "azurerm_key_vault").map(([name]) => ref("azurerm_key_vault", name)),
      ...present(stack, "azurerm_storage_account").map(([name]) => `${ref("azurerm_storage_account", name)}/blobServices/default`),
      ...present(stack, "azurerm_postgresql_flexible_server").map(([name]) => ref("azurerm_postgresql_flexible_server", name)),
      ...present(stack, "azurerm_databricks_workspace").map(([name]) => ref("azurerm_databricks_workspace", name)),
    ];
    for (const target of targets) {
      expect({ target, settings: logSettingsFor(stack, target).length }).toEqual({ target, settings: 1 });
    }
  });

  it("runs every Databricks job as a service principal, not a user", () => {
    for (const [name, job] of present(stack, "databricks_job")) {
      const runAs = blocks(job.run_as)[0] ?? {};
      expect({ name, servicePrincipal: typeof runAs.service_principal_name }).toEqual({ name, servicePrincipal: "string" });
      expect(runAs.user_name).toBeUndefined();
    }
  });

  it("grants no ALL_PRIVILEGES to account users on any Unity Catalog securable", () => {
    present(stack, "databricks_grants");
    expect(allPrivilegesToAccountUsers(stack)).toEqual([]);
  });
});

describe("the custom controls themselves", () => {
  it("catch an NSG rule that allows SSH from the internet", () => {
    const stack = structuredClone(synthEnvironment("dev"));
    const rules = stack.resource.azurerm_network_security_rule;
    const [firstName] = Object.keys(rules);
    rules[firstName] = { ...rules[firstName], access: "Allow", source_address_prefix: "Internet", destination_port_range: "22" };
    expect(rulesAllowingInternetInbound(stack)).toHaveLength(1);
  });

  it("catch ALL_PRIVILEGES granted to account users", () => {
    const stack = structuredClone(synthEnvironment("dev"));
    const grants = stack.resource.databricks_grants;
    const [firstName] = Object.keys(grants);
    grants[firstName] = { ...grants[firstName], grant: [{ principal: "account users", privileges: ["ALL_PRIVILEGES"] }] };
    expect(allPrivilegesToAccountUsers(stack)).toEqual([{ name: firstName, principal: "account users" }]);
  });

  it("refuse to pass a stack that lacks the resource a control is about", () => {
    const stack = structuredClone(synthEnvironment("dev"));
    delete stack.resource.databricks_job;
    expect(() => present(stack, "databricks_job")).toThrow("the stack has no databricks_job");
  });
});
