/**
 * Which subscription each construct's resources land in, and what Azure requires to share a
 * subscription (issue 30). A construct's resources land in the subscription of the azurerm
 * provider they are made with (its `subscriptionId`, or ARM_SUBSCRIPTION_ID at deploy time when
 * unset); an existing resource is in the subscription its id names; a network is where its VNet is.
 *
 * Azure requires, and refuses at apply otherwise:
 * - a VNet-injected Databricks workspace in its VNet's subscription ("The VNet must be in the same
 *   subscription as the Azure Databricks workspace",
 *   https://learn.microsoft.com/azure/databricks/security/network/classic/vnet-inject);
 * - a private endpoint in its subnet's subscription: its network interface goes in the subnet, and
 *   "you can only assign a network interface to a virtual network that exists in the same
 *   subscription and location" (https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface);
 * - a PostgreSQL Flexible Server in its delegated subnet's subscription
 *   (https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private);
 * - a route table in the subscription of the subnets it is associated with
 *   (https://learn.microsoft.com/azure/virtual-network/manage-route-table).
 *
 * The rules are checked when the stack is validated, after every provider and construct exists.
 * Where a subscription is not known at synth (a provider without `subscriptionId`) and the stack
 * has more than one azurerm provider, the placement is not guessed: the stack gets one warning
 * naming the constructs, and preflight checks them with ARM_SUBSCRIPTION_ID as it runs
 * ({@link subscriptionPlacementProblems}). A stack with one azurerm provider is one subscription.
 */
import { IConstruct } from "constructs";
import { Annotations, TerraformProvider, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { subnetOwner } from "./consistency";
import { providerName, providerType } from "./provider-setup";
import { subscriptionOfId } from "./resource-id";
import { defaultAzurermProvider } from "./terraform-requirements";
import { deferCheck, isUnresolved, PropProblem, PropValidator } from "./validation";

/** Where some resources are: made with a provider, an existing resource's id, or a network of the stack. */
export type PlacementSide =
  | { readonly provider: TerraformProvider | undefined }
  | { readonly id: string | undefined }
  | { readonly network: IConstruct | undefined };

/** A rule that a construct's resources share a subscription with a network or an existing resource. */
export interface SubscriptionRule {
  /** The construct, as problems name it. */
  readonly construct: string;
  /** The prop that places the construct (`network`, `privateEndpointSubnetId`, `routeTableId`). */
  readonly prop: string;
  /** Where the construct's resources are made. */
  readonly here: PlacementSide;
  /** What they must share a subscription with. */
  readonly there: PlacementSide;
  /** Why, in a few words, such as "a private endpoint is made in its subnet's subscription". */
  readonly because: string;
  /** Rules of one kind; of a composite and its part registering one kind, the composite speaks. */
  readonly kind: string;
}

interface Registered extends SubscriptionRule {
  readonly path: string;
}

interface Registry {
  readonly rules: Registered[];
  /** Where each network of the stack is, by its construct path. */
  readonly networks: Map<string, PlacementSide>;
}

const REGISTRIES = new WeakMap<IConstruct, Registry>();
const WARNED = new WeakSet<IConstruct>();

function stackOf(scope: IConstruct): IConstruct {
  return scope.node.scopes.find((candidate) => TerraformStack.isStack(candidate)) ?? scope.node.root;
}

function registryOf(scope: IConstruct): Registry {
  const stack = stackOf(scope);
  let registry = REGISTRIES.get(stack);
  if (!registry) {
    const created: Registry = { rules: [], networks: new Map() };
    REGISTRIES.set(stack, created);
    deferCheck(stack, () => placementProblems(stack, created));
    registry = created;
  }
  return registry;
}

/** Records where a network is: the provider its VNet is made with, or the id of an existing VNet. */
export function registerNetworkSubscription(network: IConstruct, side: PlacementSide): void {
  registryOf(network).networks.set(network.node.path, side);
}

/** Records that `scope`'s resources must be in the subscription of what `rule.there` names. */
export function requireSameSubscription(scope: IConstruct, rule: SubscriptionRule): void {
  registryOf(scope).rules.push({ ...rule, path: scope.node.path });
}

/** A side resolved: its subscription when known, the provider object when it is one, and how to name it. */
interface Resolved {
  readonly subscription?: string;
  readonly provider?: AzurermProvider;
  readonly label: string;
  /** The network it was found through, if any. */
  readonly network?: string;
}

/**
 * Resolves a side, or undefined when nothing can be said of it (an id known only at deploy time,
 * no azurerm provider, a provider of the wrong type, which the type check reports).
 * `unknownSubscription` stands in for a provider without a subscriptionId (preflight's ARM_SUBSCRIPTION_ID).
 */
function resolve(scope: IConstruct, registry: Registry, side: PlacementSide | { readonly networkPath: string }, unknownSubscription?: string, depth = 0): Resolved | undefined {
  if (depth > 2) return undefined;
  if ("provider" in side) {
    const used = side.provider ?? defaultAzurermProvider(scope);
    if (!used || providerType(used) !== "azurerm") return undefined;
    const azurerm = used as AzurermProvider;
    const id = azurerm.subscriptionId;
    const subscription = typeof id === "string" && id !== "" && !isUnresolved(id) ? id.toLowerCase() : unknownSubscription?.toLowerCase();
    return { subscription, provider: azurerm, label: `provider ${providerName(azurerm)}` };
  }
  if ("id" in side) {
    // A subnet of a network of the stack is where its network is (its id may be a token).
    const owner = typeof side.id === "string" && side.id !== "" ? subnetOwner(scope, side.id) : undefined;
    if (owner) return resolve(scope, registry, { networkPath: owner.network.path }, unknownSubscription, depth + 1);
    const subscription = subscriptionOfId(side.id);
    return subscription === undefined ? undefined : { subscription, label: "its id" };
  }
  const path = "networkPath" in side ? side.networkPath : side.network?.node.path;
  const networkSide = path === undefined ? undefined : registry.networks.get(path);
  const found = networkSide && resolve(scope, registry, networkSide, unknownSubscription, depth + 1);
  return found && { ...found, network: path };
}

const inside = (path: string, outer: string) => path === outer || path.startsWith(`${outer}/`);

/** The rules to check: of a composite and its part registering one kind, only the composite's. */
function outermost(rules: readonly Registered[]): Registered[] {
  return rules.filter((rule) => !rules.some((other) => other !== rule && other.kind === rule.kind && other.path !== rule.path && inside(rule.path, other.path)));
}

/** The stack's azurerm providers. */
function azurermProviders(stack: IConstruct): TerraformProvider[] {
  return stack.node.findAll().filter((node): node is TerraformProvider => node instanceof TerraformProvider && providerType(node) === "azurerm");
}

interface Mismatch {
  readonly rule: Registered;
  readonly here: Resolved;
  readonly there: Resolved;
}

/** The rules broken, and those that depend on a subscription unknown at synth. */
function evaluate(stack: IConstruct, registry: Registry, unknownSubscription?: string): { mismatches: Mismatch[]; unknown: Registered[] } {
  const mismatches: Mismatch[] = [];
  const unknown: Registered[] = [];
  for (const rule of outermost(registry.rules)) {
    const here = resolve(stack, registry, rule.here, unknownSubscription);
    const there = resolve(stack, registry, rule.there, unknownSubscription);
    if (!here || !there) continue;
    // One provider is one subscription, whatever it is.
    if (here.provider !== undefined && here.provider === there.provider) continue;
    if (here.subscription === undefined || there.subscription === undefined) unknown.push(rule);
    else if (here.subscription !== there.subscription) mismatches.push({ rule, here, there });
  }
  return { mismatches, unknown };
}

/**
 * The problems: one per construct in another subscription than what it goes in, except that a
 * network every construct placed in it disagrees with is the one mistake, reported once on the network.
 */
function problemsOf(registry: Registry, mismatches: readonly Mismatch[], placedIn: (network: string) => number): PropProblem[] {
  const problems: PropProblem[] = [];
  const byNetwork = new Map<string, Mismatch[]>();
  for (const mismatch of mismatches) {
    const network = mismatch.there.network;
    if (network !== undefined) byNetwork.set(network, [...(byNetwork.get(network) ?? []), mismatch]);
  }
  const grouped = new Set<Mismatch>();
  for (const [network, group] of byNetwork) {
    const subscriptions = new Set(group.map((mismatch) => mismatch.here.subscription));
    if (group.length < 2 || subscriptions.size !== 1 || group.length !== placedIn(network)) continue;
    group.forEach((mismatch) => grouped.add(mismatch));
    const { there } = group[0];
    const side = registry.networks.get(network);
    const imported = side !== undefined && "id" in side;
    const v = new PropValidator(imported ? "SecureNetwork.fromExisting" : "SecureNetwork", network);
    const paths = group.map((mismatch) => mismatch.rule.path);
    const shownPaths = `${paths.slice(0, 2).join(", ")}${paths.length > 2 ? ` and ${paths.length - 2} more` : ""}`;
    const vnetName = imported ? ((side as { id?: string }).id ?? "").split("/").pop() : undefined;
    v.fail(
      imported ? "virtualNetworkId" : "provider",
      `${imported ? vnetName : there.label.replace(/^provider /, "")} (subscription ${there.subscription})`,
      `${imported ? "a VNet" : "a provider"} of subscription ${group[0].here.subscription}, where every construct placed in it is made (${shownPaths}): ${group[0].rule.because}`,
    );
    problems.push(...v.takeProblems());
  }
  for (const mismatch of mismatches) {
    if (grouped.has(mismatch)) continue;
    const { rule, here, there } = mismatch;
    const v = new PropValidator(rule.construct, rule.path);
    const where = there.network ?? there.label;
    v.fail(rule.prop, `${where} (subscription ${there.subscription})`, `one in subscription ${here.subscription}, where this construct's resources are made (${here.label}), or a provider of ${there.subscription}: ${rule.because}`);
    problems.push(...v.takeProblems());
  }
  return problems;
}

/** Every problem of the stack's placement by subscription; warns once of what cannot be checked at synth. */
function placementProblems(stack: IConstruct, registry: Registry): PropProblem[] {
  const { mismatches, unknown } = evaluate(stack, registry);
  if (unknown.length > 0 && azurermProviders(stack).length > 1 && !WARNED.has(stack)) {
    WARNED.add(stack);
    const paths = [...new Set(unknown.map((rule) => rule.path))];
    const shown = `${paths.slice(0, 3).join(", ")}${paths.length > 3 ? ` and ${paths.length - 3} more` : ""}`;
    const unset = azurermProviders(stack).filter((provider) => typeof (provider as AzurermProvider).subscriptionId !== "string").map(providerName);
    Annotations.of(stack).addWarning(
      `The subscription of ${shown} cannot be checked at synth: azurerm provider ${unset.join(", ")} sets no subscriptionId (ARM_SUBSCRIPTION_ID at deploy) and the stack has ${azurermProviders(stack).length}. Run npx quarterly-preflight --app <your app> where you deploy, or set subscriptionId.`,
    );
  }
  return problemsOf(registry, mismatches, (network) => placedInCount(stack, registry, network));
}

/** How many constructs (outermost rules) the stack places in a network. */
function placedInCount(stack: IConstruct, registry: Registry, network: string): number {
  return outermost(registry.rules).filter((rule) => resolve(stack, registry, rule.there)?.network === network).length;
}

/** What preflight reports for a stack: placements unknown at synth, checked with the subscription the deploy would use. */
export interface PlacementCheck {
  /** Problems found once ARM_SUBSCRIPTION_ID stands in for the providers without a subscriptionId. */
  readonly problems: PropProblem[];
  /** Paths of the constructs whose placement still cannot be checked (ARM_SUBSCRIPTION_ID unset). */
  readonly unchecked: string[];
}

/**
 * The placement rules of a stack that depend on a provider without `subscriptionId`, checked as
 * the deploy would see them: with `armSubscriptionId` (the environment's ARM_SUBSCRIPTION_ID) as
 * those providers' subscription. Rules already decided at synth are not repeated.
 */
export function subscriptionPlacementProblems(stack: IConstruct, armSubscriptionId: string | undefined): PlacementCheck {
  const registry = REGISTRIES.get(stack);
  if (!registry) return { problems: [], unchecked: [] };
  const atSynth = evaluate(stack, registry);
  if (atSynth.unknown.length === 0) return { problems: [], unchecked: [] };
  if (armSubscriptionId === undefined || armSubscriptionId.trim() === "") return { problems: [], unchecked: [...new Set(atSynth.unknown.map((rule) => rule.path))] };
  const pending = new Set(atSynth.unknown);
  const { mismatches } = evaluate(stack, registry, armSubscriptionId.trim());
  const relevant = mismatches.filter((mismatch) => pending.has(mismatch.rule));
  return { problems: problemsOf(registry, relevant, (network) => placedInCount(stack, registry, network)), unchecked: [] };
}

/**
 * Requires a construct made with `provider` (the stack's default when unset) to be in the
 * subscription of the network it is placed in: the subnet given by id (`subnetProp`) when there is
 * one, else `network`.
 */
export function requireNetworkSubscription(
  scope: IConstruct,
  placement: { readonly construct: string; readonly kind: string; readonly provider: TerraformProvider | undefined; readonly network?: IConstruct; readonly subnetId?: string; readonly subnetProp: string; readonly because: string },
): void {
  const bySubnet = typeof placement.subnetId === "string" && placement.subnetId !== "";
  if (!bySubnet && !placement.network) return;
  requireSameSubscription(scope, {
    construct: placement.construct,
    kind: placement.kind,
    prop: bySubnet ? placement.subnetProp : "network",
    here: { provider: placement.provider },
    there: bySubnet ? { id: placement.subnetId } : { network: placement.network },
    because: placement.because,
  });
}

/** Why a private endpoint must be in its subnet's subscription. */
export const PRIVATE_ENDPOINT_SUBSCRIPTION_RULE = "a private endpoint's network interface is made in its subnet's subscription";

/** Why a VNet-injected workspace must be in its VNet's subscription. */
export const WORKSPACE_VNET_SUBSCRIPTION_RULE = "a VNet-injected Databricks workspace must be in its VNet's subscription";
