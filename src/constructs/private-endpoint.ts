import { Construct } from "constructs";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { Placement } from "./placement";

export interface PrivateEndpointOptions extends Placement {
  /** Name of the private endpoint, such as `pe-kv-bank-prod`. */
  readonly name: string;
  /** Subnet that hosts the endpoint's network interface. */
  readonly subnetId: string;
  /** Resource the endpoint connects to. */
  readonly targetResourceId: string;
  /** Sub-resource (group id) of the target, such as `blob`, `dfs`, `vault` or `databricks_ui_api`. */
  readonly subresource: string;
  /** Private DNS zone that receives the endpoint's A record. */
  readonly privateDnsZoneId: string;
}

/**
 * A private endpoint with its DNS zone group, so the target's public name resolves to the private
 * address inside the VNet. Shared by the vault, the lake and the Databricks workspace.
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
    tags: options.tags,
  });
}
