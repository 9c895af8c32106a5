import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { Placement } from "../core/placement";
import { checkDerivedName, PropValidator } from "../core/validation";

/** Longest private endpoint name Azure accepts. */
export const PRIVATE_ENDPOINT_NAME_MAX_LENGTH = 64;
/** Longest network interface name Azure accepts (the endpoint's NIC is `<name>-nic`). */
export const NETWORK_INTERFACE_NAME_MAX_LENGTH = 80;

export interface PrivateEndpointOptions extends Placement {
  /** Name of the private endpoint, such as `pe-kv-bank-prod` (at most 64 characters). */
  readonly name: string;
  /** Subnet that hosts the endpoint's network interface. */
  readonly subnetId: string;
  /** Resource the endpoint connects to. */
  readonly targetResourceId: string;
  /** Sub-resource (group id) of the target, such as `blob`, `dfs`, `vault` or `databricks_ui_api`. */
  readonly subresource: string;
  /** Private DNS zone that receives the endpoint's A record. */
  readonly privateDnsZoneId: string;
  /**
   * What the endpoint waits for, such as the DNS zone's VNet links.
   * @default - nothing beyond its references
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Checks the names derived for a private endpoint (`name` and its `<name>-nic`) against Azure's
 * limits, naming the prop that drives them (whose `value`, when given, gives the prop's own limit).
 */
export function checkPrivateEndpointName(v: PropValidator, prop: string, name: string, value?: string): void {
  checkDerivedName(v, prop, name, "private endpoint", PRIVATE_ENDPOINT_NAME_MAX_LENGTH, { value });
  checkDerivedName(v, prop, `${name}-nic`, "private endpoint network interface", NETWORK_INTERFACE_NAME_MAX_LENGTH, { value });
}

/**
 * A private endpoint with its DNS zone group (inline, so the A record exists once the endpoint
 * does), so the target's public name resolves to the private address inside the VNet. Shared by
 * the vault, the lake and the Databricks workspace. A data-plane write to the target depends on
 * the returned endpoint.
 */
export function privateEndpoint(scope: Construct, id: string, options: PrivateEndpointOptions): PrivateEndpoint {
  return new PrivateEndpoint(scope, id, {
    name: options.name,
    resourceGroupName: options.resourceGroupName,
    location: options.location,
    subnetId: options.subnetId,
    customNetworkInterfaceName: `${options.name}-nic`,
    privateServiceConnection: {
      name: `${options.name}-connection`,
      privateConnectionResourceId: options.targetResourceId,
      subresourceNames: [options.subresource],
      isManualConnection: false,
    },
    privateDnsZoneGroup: {
      name: "default",
      privateDnsZoneIds: [options.privateDnsZoneId],
    },
    dependsOn: options.dependsOn && options.dependsOn.length > 0 ? options.dependsOn : undefined,
    tags: options.tags,
  });
}
