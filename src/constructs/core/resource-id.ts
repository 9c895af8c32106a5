import { Fn, Token } from "cdktf";
import { isUnresolved, PropValidator } from "./validation";

/**
 * Azure resource ids and the names inside them. A literal id is parsed at synth time; an id that
 * is a token (another stack's output, a data source) is parsed by Terraform with `split` and
 * `element`, so imported resources work either way.
 *
 * `/subscriptions/<sub>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>[/<child type>/<child name>]`
 * splits on `/` into ["", "subscriptions", sub, "resourceGroups", rg, "providers", namespace, type,
 * name, child type, child name].
 */
export const ID_SEGMENT = { subscriptionId: 2, resourceGroupName: 4, name: 8, childName: 10 } as const;

/** One `/`-separated segment of a resource id. */
export function idSegment(id: string, index: number): string {
  if (Token.isUnresolved(id)) return Fn.element(Fn.split("/", id), index);
  return id.split("/")[index] ?? "";
}

/** The parent resource's id of a child resource id (a subnet's VNet). */
export function parentId(id: string): string {
  if (Token.isUnresolved(id)) return Fn.join("/", Fn.slice(Fn.split("/", id), 0, ID_SEGMENT.name + 1));
  return id.split("/").slice(0, ID_SEGMENT.name + 1).join("/");
}

const SEGMENT = "[^/]+";

/** Patterns of the resource ids the constructs accept, with an example for messages. */
export const RESOURCE_ID_TYPES = {
  virtualNetwork: { type: "Microsoft.Network/virtualNetworks", child: undefined },
  subnet: { type: "Microsoft.Network/virtualNetworks", child: "subnets" },
  privateDnsZone: { type: "Microsoft.Network/privateDnsZones", child: undefined },
  keyVault: { type: "Microsoft.KeyVault/vaults", child: undefined },
  storageAccount: { type: "Microsoft.Storage/storageAccounts", child: undefined },
  routeTable: { type: "Microsoft.Network/routeTables", child: undefined },
  logAnalyticsWorkspace: { type: "Microsoft.OperationalInsights/workspaces", child: undefined },
  databricksWorkspace: { type: "Microsoft.Databricks/workspaces", child: undefined },
  databricksAccessConnector: { type: "Microsoft.Databricks/accessConnectors", child: undefined },
} as const;
export type ResourceIdType = keyof typeof RESOURCE_ID_TYPES;

function idPattern(kind: ResourceIdType): RegExp {
  const { type, child } = RESOURCE_ID_TYPES[kind];
  const [namespace, resourceType] = type.split("/");
  return new RegExp(
    `^/subscriptions/${SEGMENT}/resourceGroups/${SEGMENT}/providers/${namespace.replace(".", "\\.")}/${resourceType}/${SEGMENT}${child ? `/${child}/${SEGMENT}` : ""}$`,
    "i",
  );
}

/** An example id of a kind, for messages. */
export function exampleId(kind: ResourceIdType): string {
  const { type, child } = RESOURCE_ID_TYPES[kind];
  return `/subscriptions/<subscription>/resourceGroups/<group>/providers/${type}/<name>${child ? `/${child}/<name>` : ""}`;
}

/** Checks a literal resource id's shape (tokens are skipped). */
export function checkResourceId(v: PropValidator, prop: string, id: string | undefined, kind: ResourceIdType): void {
  if (id === undefined || id === null || isUnresolved(id)) return;
  if (typeof id !== "string" || !idPattern(kind).test(id)) v.fail(prop, id, `a ${RESOURCE_ID_TYPES[kind].type}${RESOURCE_ID_TYPES[kind].child ? `/${RESOURCE_ID_TYPES[kind].child}` : ""} resource id such as ${exampleId(kind)}`);
}

/** The subscription segment of a literal resource id, in lower case (undefined for a token). */
export function subscriptionOfId(id: string | undefined): string | undefined {
  if (typeof id !== "string" || isUnresolved(id)) return undefined;
  const match = /^\/subscriptions\/([^/]+)\//i.exec(id);
  return match ? match[1].toLowerCase() : undefined;
}
