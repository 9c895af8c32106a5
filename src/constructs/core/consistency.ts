/**
 * The stack-wide consistency pass: rules about how the constructs of one stack fit together, which
 * no construct can check on its own (issue 18).
 *
 * Constructs register what they create and what they reference in a registry per stack: the
 * names Azure or Unity Catalog require to be unique, the networks and their subnets, where each
 * construct is placed relative to its network, and the role each Databricks provider is given.
 * One check on the stack ({@link deferCheck}) runs the pass when the stack is validated (at
 * synth, or by `validationProblems`), after every construct exists, and reports through the same
 * {@link PropProblem}s as each construct's own checks, each at the construct and prop the user
 * set. Values known only at deploy time (tokens) are never compared.
 */
import { IConstruct } from "constructs";
import { TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { isAzureRegion, normalizeLocation } from "./azure-regions";
import { AZURE_ACCOUNTS_HOST as ACCOUNTS_HOST, checkAccountProvider } from "../databricks/databricks-checks";
import { deferCheck, isUnresolved, parseCidr, PropProblem, PropValidator } from "./validation";

/** Names that must be unique, with what they name and where Azure or Unity Catalog keeps them unique. */
export const UNIQUE_NAMES = {
  storageAccount: { what: "storage account", within: "all of Azure" },
  keyVault: { what: "Key Vault", within: "all of Azure" },
  postgresServer: { what: "PostgreSQL server", within: "all of Azure" },
  databricksWorkspace: { what: "workspace", within: "its resource group" },
  managedResourceGroup: { what: "managed resource group", within: "its subscription" },
  accessConnector: { what: "access connector", within: "its resource group" },
  networkConnectivity: { what: "NCC", within: "the Databricks account" },
  catalog: { what: "catalog", within: "its metastore" },
  storageCredential: { what: "storage credential", within: "its metastore" },
  database: { what: "database", within: "its server" },
  job: { what: "job", within: "its workspace" },
  clusterPolicy: { what: "cluster policy", within: "its workspace" },
  secretScope: { what: "secret scope", within: "its workspace" },
  workspaceFolder: { what: "workspace folder", within: "its workspace" },
} as const;
export type UniqueNameKind = keyof typeof UNIQUE_NAMES;

/** A name a construct makes, and the prop the user set that decides it. */
export interface NameClaim {
  readonly kind: UniqueNameKind;
  /** The name Azure or Unity Catalog sees. */
  readonly name: string;
  /** Where the name must be unique, when narrower than the kind's: the resource group, the metastore. */
  readonly within?: string;
  /** Construct that makes it, as problems name it. */
  readonly construct: string;
  /** The prop the user set that decides the name (`nameSuffix` for a pipeline's derived names). */
  readonly prop: string;
  /** That prop's value. */
  readonly value: unknown;
}

/** What a subnet of a registered network is for. */
export type SubnetRole = "databricksHost" | "databricksContainer" | "postgres" | "privateEndpoints";

/** A subnet role as messages name it. */
export const SUBNET_ROLE_NAMES: Readonly<Record<SubnetRole, string>> = {
  databricksHost: "Databricks host",
  databricksContainer: "Databricks container",
  postgres: "PostgreSQL",
  privateEndpoints: "private endpoint",
};

/** A network of the stack: one SecureNetwork creates, or one imported by id. */
export interface NetworkRecord {
  readonly path: string;
  /** Region of a created network (an imported one's is not known). */
  readonly location?: string;
  readonly virtualNetworkId: string;
  /** Name of the VNet, when known at synth time. */
  readonly virtualNetworkName?: string;
  /** Resource group of a created VNet, when known at synth time. */
  readonly resourceGroupName?: string;
  /** Subnet ids (as given: literal, or the token of a created subnet's id), with their role. */
  readonly subnets: ReadonlyMap<string, SubnetRole>;
  /** Address space of a created VNet. */
  readonly addressSpace?: string;
  /** The networks it is peered with. */
  readonly peers: ReadonlyArray<{ readonly name: string; readonly virtualNetworkId: string }>;
}

/** A construct whose resources must be in the region of the network they go in. */
interface RegionLink {
  readonly construct: string;
  readonly path: string;
  readonly prop: string;
  readonly location: string;
  readonly network?: NetworkRecord;
  /** Why the region must be the network's, such as "its private endpoint goes in the VNet". */
  readonly because: string;
}

/** One use of a Databricks provider. */
interface ProviderUse {
  readonly provider: DatabricksProvider;
  readonly role: "account" | "workspace";
  readonly construct: string;
  readonly path: string;
  readonly prop: string;
}

interface Registry {
  readonly names: Array<NameClaim & { readonly path: string }>;
  readonly networks: NetworkRecord[];
  readonly regions: RegionLink[];
  readonly providers: ProviderUse[];
}

const REGISTRIES = new WeakMap<IConstruct, Registry>();
const NETWORKS = new WeakMap<IConstruct, NetworkRecord>();

/** The registry of the stack `scope` is in; the first use registers the pass on the stack. */
function registryOf(scope: IConstruct): Registry {
  const stack = scope.node.scopes.find((candidate) => TerraformStack.isStack(candidate)) ?? scope.node.root;
  let registry = REGISTRIES.get(stack);
  if (!registry) {
    const created: Registry = { names: [], networks: [], regions: [], providers: [] };
    REGISTRIES.set(stack, created);
    deferCheck(stack, () => consistencyProblems(created));
    registry = created;
  }
  return registry;
}

/** Records a name `scope` makes, which no other construct of the stack may make. */
export function claimName(scope: IConstruct, claim: NameClaim): void {
  if (typeof claim.name !== "string" || claim.name === "" || isUnresolved(claim.name)) return;
  registryOf(scope).names.push({ ...claim, path: scope.node.path });
}

/** Records a network (created or imported) and its subnets. */
export function registerNetwork(network: IConstruct, record: Omit<NetworkRecord, "path">): NetworkRecord {
  const full: NetworkRecord = { ...record, path: network.node.path };
  NETWORKS.set(network, full);
  registryOf(network).networks.push(full);
  return full;
}

/** The record of a network object, when it was registered. */
export function networkRecord(network: IConstruct | undefined): NetworkRecord | undefined {
  return network ? NETWORKS.get(network) : undefined;
}

/**
 * Checks a value a construct takes from its network when the prop is not given: required, unless
 * a network of the stack (created or imported) supplies it, which reports its own missing or bad
 * values (one mistake, one message).
 */
export function requiredUnlessFromNetwork(v: PropValidator, prop: string, own: string | undefined, network: IConstruct | undefined, fromNetwork: string | undefined, allowed: string): void {
  if (own === undefined && networkRecord(network) !== undefined) return;
  v.required(prop, own ?? fromNetwork, allowed);
}

/** The registered network of the stack that owns a subnet id, with the subnet's role. */
export function subnetOwner(scope: IConstruct, subnetId: string | undefined): { readonly network: NetworkRecord; readonly role: SubnetRole } | undefined {
  if (typeof subnetId !== "string" || subnetId === "") return undefined;
  const key = isUnresolved(subnetId) ? subnetId : subnetId.toLowerCase();
  for (const network of registryOf(scope).networks) {
    for (const [id, role] of network.subnets) if ((isUnresolved(id) ? id : id.toLowerCase()) === key) return { network, role };
  }
  return undefined;
}

/** The registered networks of the stack. */
export function stackNetworks(scope: IConstruct): readonly NetworkRecord[] {
  return registryOf(scope).networks;
}

/**
 * Records that `scope`'s resources (at `location`, set by `prop`) go in a network, found by the
 * network object or by one of the subnet ids given instead: the pass refuses another region than
 * the network's.
 */
export function placeInNetwork(
  scope: IConstruct,
  link: { readonly construct: string; readonly prop?: string; readonly location: string | undefined; readonly network?: IConstruct; readonly subnetIds?: ReadonlyArray<string | undefined>; readonly because: string },
): void {
  if (typeof link.location !== "string" || isUnresolved(link.location)) return;
  const network = networkRecord(link.network) ?? (link.subnetIds ?? []).map((id) => subnetOwner(scope, id)?.network).find((found) => found !== undefined);
  if (!network) return;
  registryOf(scope).regions.push({ construct: link.construct, path: scope.node.path, prop: link.prop ?? "location", location: link.location, network, because: link.because });
}

/** Records that `scope` gives a Databricks provider a role: account-level (the NCC's) or workspace-level. */
export function useDatabricksProvider(scope: IConstruct, use: Omit<ProviderUse, "path">): void {
  if (!use.provider) return;
  registryOf(scope).providers.push({ ...use, path: scope.node.path });
}

/** True when a provider is set up as the account-level one: the accounts host, or an account id. */
export function isAccountLevelProvider(provider: DatabricksProvider | undefined): boolean {
  if (!provider) return false;
  const host = provider.host;
  if (typeof host === "string" && !isUnresolved(host) && host.replace(/\/+$/, "").toLowerCase() === ACCOUNTS_HOST) return true;
  return provider.accountId !== undefined && provider.accountId !== null && provider.accountId !== "";
}

/** How a provider is named in messages: its alias, or its construct id. */
export function providerLabel(provider: DatabricksProvider): string {
  const alias = provider.alias;
  return typeof alias === "string" && alias !== "" && !isUnresolved(alias) ? alias : provider.node.id;
}

const inside = (path: string, outer: string) => path === outer || path.startsWith(`${outer}/`);

/** Drops the registrations made by a construct inside another one that registered the same thing: the outer one (a composite) speaks for it. */
function outermost<T extends { readonly path: string }>(entries: readonly T[]): T[] {
  return entries.filter((entry) => !entries.some((other) => other !== entry && other.path !== entry.path && inside(entry.path, other.path)));
}

function groupBy<T>(entries: readonly T[], key: (entry: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const entry of entries) groups.set(key(entry), [...(groups.get(key(entry)) ?? []), entry]);
  return groups;
}

/** The whole pass: every stack-wide rule, in a stable order. */
function consistencyProblems(registry: Registry): PropProblem[] {
  return [...uniqueNames(registry), ...regions(registry), ...providerRoles(registry), ...peeredThroughOneNetwork(registry)];
}

/**
 * Names made twice in the stack. Each construct that makes a name someone else already made is
 * refused once per prop, listing every name that prop decides which clashes.
 */
function uniqueNames(registry: Registry): PropProblem[] {
  const clashes = new Map<string, { claim: NameClaim & { path: string }; first: string; kinds: UniqueNameKind[]; names: string[] }>();
  for (const claims of groupBy(registry.names, (claim) => `${claim.kind}|${(claim.within ?? "").toLowerCase()}|${claim.name.toLowerCase()}`).values()) {
    const makers = outermost(claims);
    const first = makers[0];
    for (const claim of makers.slice(1)) {
      if (claim.path === first.path) continue;
      const key = `${claim.path}|${claim.prop}|${first.path}`;
      const entry = clashes.get(key) ?? { claim, first: first.path, kinds: [] as UniqueNameKind[], names: [] as string[] };
      if (!entry.kinds.includes(claim.kind)) entry.kinds.push(claim.kind);
      entry.names.push(claim.name);
      clashes.set(key, entry);
    }
  }
  return [...clashes.values()].flatMap(({ claim, first, kinds, names }) => {
    const v = new PropValidator(claim.construct, claim.path);
    const whats = kinds.map((kind) => UNIQUE_NAMES[kind].what);
    const global = kinds.filter((kind) => UNIQUE_NAMES[kind].within === "all of Azure");
    const scope =
      global.length > 0
        ? "; such names are unique across all of Azure, and synth checks this stack only"
        : kinds.length === 1
          ? ` (${whats[0]} names are unique within ${UNIQUE_NAMES[kinds[0]].within})`
          : "";
    if (names.length === 1 && claim.value === names[0]) {
      v.fail(claim.prop, claim.value, `a ${whats[0]} name no other construct of this stack uses: ${first} makes "${names[0]}" too${scope}`);
    } else {
      const shown = `${names.slice(0, 2).join(", ")}${names.length > 2 ? ", ..." : ""}`;
      v.fail(claim.prop, claim.value, `a value whose derived names no other construct of this stack makes: ${first} makes the same ${whats.join(", ")} name${names.length === 1 ? "" : "s"} (${shown})${scope}`);
    }
    return v.takeProblems();
  });
}

/** Constructs in another region than the network their resources go in. */
function regions(registry: Registry): PropProblem[] {
  const problems: PropProblem[] = [];
  const links = registry.regions.filter((link) => link.network?.location !== undefined && !isUnresolved(link.network.location));
  for (const group of groupBy(links, (link) => `${link.network?.path}|${normalizeLocation(link.location)}`).values()) {
    for (const link of outermost(group)) {
      const network = link.network as NetworkRecord;
      const theirs = network.location as string;
      if (!isAzureRegion(link.location) || !isAzureRegion(theirs) || normalizeLocation(link.location) === normalizeLocation(theirs)) continue;
      const v = new PropValidator(link.construct, link.path);
      v.fail(link.prop, link.location, `the region of its network ${network.path}, ${normalizeLocation(theirs)}: ${link.because}`);
      problems.push(...v.takeProblems());
    }
  }
  return problems;
}

/**
 * Databricks providers in the wrong role: the account-level provider (accounts host, or an account
 * id) given where a workspace-level one belongs, and a workspace's provider given as the NCC's
 * account-level provider. The advice never leads into the other mistake: each side is told to get
 * a provider of its own and to leave this one where it belongs. An account-level provider used as
 * such is checked for the accounts host and a GUID account id.
 */
function providerRoles(registry: Registry): PropProblem[] {
  const problems: PropProblem[] = [];
  const byProvider = new Map<DatabricksProvider, ProviderUse[]>();
  for (const use of registry.providers) byProvider.set(use.provider, [...(byProvider.get(use.provider) ?? []), use]);
  for (const [provider, uses] of byProvider) {
    const label = providerLabel(provider);
    const workspaceUses = outermost(uses.filter((use) => use.role === "workspace"));
    const accountUses = outermost(uses.filter((use) => use.role === "account"));
    if (isAccountLevelProvider(provider)) {
      const how = typeof provider.host === "string" && !isUnresolved(provider.host) && provider.host.toLowerCase().startsWith(ACCOUNTS_HOST) ? `host ${ACCOUNTS_HOST}` : "an accountId";
      const [first, ...others] = workspaceUses;
      if (first) {
        const v = new PropValidator(first.construct, first.path);
        const also = others.length > 0 ? ` (also given to ${others.slice(0, 2).map((use) => use.path).join(", ")}${others.length > 2 ? ` and ${others.length - 2} more` : ""})` : "";
        v.fail(
          first.prop,
          label,
          `a workspace-level DatabricksProvider of its own, with an alias and no host or accountId (the workspace sets its host): ${label} has ${how}, so it is the account-level provider, which only accountProvider takes${also}`,
        );
        problems.push(...v.takeProblems());
      }
      for (const use of accountUses) {
        const v = new PropValidator(use.construct, use.path);
        checkAccountProvider(v, use.prop, provider);
        problems.push(...v.takeProblems());
      }
      continue;
    }
    for (const use of accountUses) {
      const v = new PropValidator(use.construct, use.path);
      const workspace = workspaceUses.find((candidate) => !inside(candidate.path, use.path)) ?? workspaceUses[0];
      if (workspace) {
        v.fail(
          use.prop,
          label,
          `an account-level DatabricksProvider of its own (an alias such as account, host ${ACCOUNTS_HOST}, the accountId): ${label} is the workspace-level provider of ${workspace.path}, which keeps it (and its host unset)`,
        );
      } else {
        v.fail(`${use.prop}.host`, provider.host, `${ACCOUNTS_HOST}, the Azure Databricks account console, with the accountId and an alias: the NCC is made at account level`);
      }
      problems.push(...v.takeProblems());
    }
  }
  return problems;
}

/**
 * Two networks of the stack peered with the same remote VNet (a hub) whose address spaces overlap:
 * the hub cannot be peered with both (each peering must not overlap the hub's other peerings).
 */
function peeredThroughOneNetwork(registry: Registry): PropProblem[] {
  const problems: PropProblem[] = [];
  const created = registry.networks.filter((network) => typeof network.addressSpace === "string" && !isUnresolved(network.addressSpace));
  for (let j = 0; j < created.length; j++) {
    const later = created[j];
    const laterRange = parseCidr(later.addressSpace as string);
    if (typeof laterRange === "string") continue;
    for (let i = 0; i < j; i++) {
      const earlier = created[i];
      const earlierRange = parseCidr(earlier.addressSpace as string);
      if (typeof earlierRange === "string" || !laterRange.isOverlapping(earlierRange)) continue;
      const shared = later.peers.find((peer) => !isUnresolved(peer.virtualNetworkId) && earlier.peers.some((other) => !isUnresolved(other.virtualNetworkId) && other.virtualNetworkId.toLowerCase() === peer.virtualNetworkId.toLowerCase()));
      if (!shared) continue;
      const v = new PropValidator("SecureNetwork", later.path);
      const hub = shared.virtualNetworkId.split("/").pop() ?? shared.name;
      v.fail("addressSpace", later.addressSpace, `an address space that does not overlap ${earlier.path}'s ${earlier.addressSpace}: both are peered with ${hub}, and a VNet cannot be peered with two networks whose ranges overlap`);
      problems.push(...v.takeProblems());
      break;
    }
  }
  return problems;
}
