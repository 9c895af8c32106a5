import { TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { SecretStore, SecretStoreProps } from "../../src/constructs/key-vault/secret-store";
import { SecureNetwork, SecureNetworkProps } from "../../src/constructs/network/secure-network";
import { validationProblems } from "../../src/constructs/core/validation";
import { SynthesizedStack } from "../helpers/synth";

/** Local props for the foundation constructs' tests; nothing comes from the estate's configs. */
export const PLACEMENT = { resourceGroupName: "rg-test", location: "westeurope" };
export const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
export const FUTURE = "2099-06-30T00:00:00Z";
export const PAST = "2020-01-01T00:00:00Z";
export const JOB_PRINCIPAL = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const HUB = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-hub/providers/Microsoft.Network";
export const subnetId = (name: string, vnet = "vnet-hub"): string => `${HUB}/virtualNetworks/${vnet}/subnets/${name}`;
export const zoneId = (name: string): string => `/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/${name}`;
export const vnetId = (name: string, group = "rg-agents"): string => `/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/${name}`;
export const EXISTING_ZONES = {
  blob: zoneId("privatelink.blob.core.windows.net"),
  dfs: zoneId("privatelink.dfs.core.windows.net"),
  vault: zoneId("privatelink.vaultcore.azure.net"),
  postgres: zoneId("privatelink.postgres.database.azure.com"),
  databricks: zoneId("privatelink.azuredatabricks.net"),
};

export const NETWORK_PROPS: SecureNetworkProps = {
  ...PLACEMENT,
  nameSuffix: "bank-dev",
  addressSpace: "10.10.0.0/16",
  subnets: { databricksHost: "10.10.0.0/24", databricksContainer: "10.10.1.0/24", postgres: "10.10.2.0/28", privateEndpoints: "10.10.3.0/28" },
};

export function network(stack: TerraformStack, props: Partial<SecureNetworkProps> = {}, id = "network"): SecureNetwork {
  return new SecureNetwork(stack, id, { ...NETWORK_PROPS, ...props });
}

export function vaultProps(props: Partial<SecretStoreProps> = {}): SecretStoreProps {
  return {
    ...PLACEMENT,
    vaultName: "kv-bank-dev-01",
    tenantId: TENANT,
    privateEndpointSubnetId: subnetId("snet-pe"),
    privateDnsZoneId: EXISTING_ZONES.vault,
    ...props,
  };
}

export function vault(stack: TerraformStack, props: Partial<SecretStoreProps> = {}, id = "store"): SecretStore {
  return new SecretStore(stack, id, vaultProps(props));
}

/** The recorded problems below a scope, as {construct, prop}. */
export function problemsOf(scope: IConstruct): Array<{ construct: string; prop: string }> {
  return validationProblems(scope).map(({ construct, prop }) => ({ construct, prop }));
}

/** The `depends_on` addresses of a synthesized resource body. */
export function dependsOn(body: Record<string, unknown>): string[] {
  return (body.depends_on as string[] | undefined) ?? [];
}

/** The `type.logicalName` address of the resource at a construct path suffix. */
export function addressAt(synthesized: SynthesizedStack, type: string, pathSuffix: string): string {
  const matches = Object.entries(synthesized.resource[type] ?? {}).filter(([, body]) => ((body["//"] as { metadata?: { path?: string } })?.metadata?.path ?? "").endsWith(pathSuffix));
  if (matches.length !== 1) throw new Error(`expected one ${type} at *${pathSuffix}, found ${matches.length}`);
  return `${type}.${matches[0][0]}`;
}
