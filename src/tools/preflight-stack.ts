/**
 * Preflight checks that read a synthesized stack (`cdk.tf.json`) rather than an environment's
 * config, so they judge exactly what Terraform will be given:
 * - `peering`: the remote side of each VNet peering lands in the remote VNet's subscription;
 * - `quota`: the region's vCPU quota (per VM family and in total) covers the job clusters at their
 *   largest, from `az vm list-usage` output.
 */
import type { PreflightProblem } from "./preflight";
import { TOTAL_REGIONAL_VCPUS, VM_SIZES } from "./vm-sizes";

type Json = Record<string, unknown>;

/** The parts of a synthesized stack these checks read. */
export interface SynthesizedStackJson {
  readonly resource?: Record<string, Record<string, Json>>;
  readonly provider?: Record<string, Json[]>;
}

const literal = (value: unknown): string | undefined => (typeof value === "string" && !value.includes("${") ? value : undefined);
const segments = (id: string) => /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)$/i.exec(id);

function resourcesOf(stack: SynthesizedStackJson, type: string): Array<[string, Json]> {
  return Object.entries(stack.resource?.[type] ?? {});
}

/** The `subscription_id` of the azurerm provider a resource uses (`azurerm.<alias>` or the default), when literal. */
function providerSubscription(stack: SynthesizedStackJson, providerRef: unknown): { known: boolean; subscription?: string } {
  const alias = typeof providerRef === "string" ? providerRef.replace(/^azurerm\.?/, "") : "";
  const block = (stack.provider?.azurerm ?? []).find((candidate) => (candidate.alias ?? "") === alias);
  const subscription = literal(block?.subscription_id);
  return { known: subscription !== undefined, subscription: subscription?.toLowerCase() };
}

/**
 * Each peering made on a VNet outside the stack (the remote side, `virtual_network_name` and
 * `resource_group_name` of a VNet another peering of the stack names by id) must land in that VNet's
 * subscription. azurerm builds a peering's id from its provider's subscription, not from the VNet
 * (internal/services/network/virtual_network_peering_resource.go, Create), so a provider whose
 * subscription is unset takes ARM_SUBSCRIPTION_ID, and the peering fails with ResourceGroupNotFound
 * when that is the estate's subscription and the VNet lives in another.
 */
export function peeringSubscriptionProblems(stack: SynthesizedStackJson, armSubscriptionId: string | undefined): PreflightProblem[] {
  const remotes = new Map<string, string>();
  for (const [, body] of resourcesOf(stack, "azurerm_virtual_network_peering")) {
    const match = segments(literal(body.remote_virtual_network_id) ?? "");
    if (match) remotes.set(`${match[2]}/${match[3]}`.toLowerCase(), match[1].toLowerCase());
  }
  const problems: PreflightProblem[] = [];
  for (const [name, body] of resourcesOf(stack, "azurerm_virtual_network_peering")) {
    const group = literal(body.resource_group_name);
    const vnet = literal(body.virtual_network_name);
    const wanted = group && vnet ? remotes.get(`${group}/${vnet}`.toLowerCase()) : undefined;
    if (wanted === undefined) continue;
    const provider = providerSubscription(stack, body.provider);
    const lands = provider.subscription ?? armSubscriptionId?.trim().toLowerCase();
    const address = `azurerm_virtual_network_peering.${name}`;
    const via = provider.known ? `its provider (${String(body.provider ?? "azurerm")})` : "ARM_SUBSCRIPTION_ID";
    if (lands === undefined || lands === "") {
      problems.push({
        kind: "peering",
        path: address,
        value: `${group}/${vnet}`,
        problem: `the remote side of the peering would land in the subscription of ARM_SUBSCRIPTION_ID, which is unset, and the VNet is in ${wanted}`,
        fix: "set ARM_SUBSCRIPTION_ID to the deploy subscription (the pipelines take it from the environment's variable group), or give the peering a provider of the VNet's subscription",
      });
    } else if (lands !== wanted) {
      problems.push({
        kind: "peering",
        path: address,
        value: `${group}/${vnet}`,
        problem: `the remote side of the peering would be made in subscription ${lands} (${via}), but the VNet is in ${wanted}`,
        fix: `give the peering a provider with subscriptionId ${wanted} (SecureNetwork peeredNetworks[].reversePeeringProvider), or createReversePeering: false and let the VNet's owner make it`,
      });
    }
  }
  return problems;
}

/** What a stack's job clusters draw on one quota counter. */
export interface VcpuNeed {
  /** Quota name (`standardDDSv5Family`, or `cores` for the region's total). */
  readonly quota: string;
  /** vCPUs once every cluster has started at its fewest workers. */
  readonly atStart: number;
  /** vCPUs with every cluster at its most workers. */
  readonly atMost: number;
}

/** The vCPU quota a stack's Databricks job clusters need in their region. */
export interface VcpuNeeds {
  /** Region of the workspace, when literal. */
  readonly region?: string;
  readonly needs: readonly VcpuNeed[];
  /** VM sizes that are not in VM_SIZES, so their vCPUs are not counted. */
  readonly unknownSizes: readonly string[];
}

/** The region of the first workspace, following a reference to a resource group's location. */
function workspaceRegion(stack: SynthesizedStackJson): string | undefined {
  for (const [, body] of resourcesOf(stack, "azurerm_databricks_workspace")) {
    const location = body.location;
    if (literal(location)) return literal(location);
    const group = /^\$\{azurerm_resource_group\.([^.]+)\.location\}$/.exec(String(location));
    const region = group ? literal(stack.resource?.azurerm_resource_group?.[group[1]]?.location) : undefined;
    if (region) return region;
  }
  return undefined;
}

/**
 * The vCPUs the stack's jobs draw when they run: each job's clusters (driver and workers, at the
 * autoscale bounds or a fixed `num_workers`), per VM family and in the region's total. A job's
 * clusters run together (a job cluster is shared by its tasks); the stack's jobs are counted one at
 * a time (the larger of them): the quarterly job runs once a quarter and the migrate job during a
 * deploy, so a deploy in the middle of a quarterly run would need both.
 */
export function vcpuNeeds(stack: SynthesizedStackJson): VcpuNeeds {
  const byQuota = new Map<string, { atStart: number; atMost: number }>();
  const unknown = new Set<string>();
  for (const [, job] of resourcesOf(stack, "databricks_job")) {
    const ofJob = new Map<string, { atStart: number; atMost: number }>();
    const add = (quota: string, atStart: number, atMost: number) => {
      const current = ofJob.get(quota) ?? { atStart: 0, atMost: 0 };
      ofJob.set(quota, { atStart: current.atStart + atStart, atMost: current.atMost + atMost });
    };
    for (const cluster of (job.job_cluster as Json[] | undefined) ?? []) {
      const spec = (Array.isArray(cluster.new_cluster) ? cluster.new_cluster[0] : cluster.new_cluster) as Json | undefined;
      if (!spec) continue;
      const worker = literal(spec.node_type_id);
      const driver = literal(spec.driver_node_type_id) ?? worker;
      const autoscale = (Array.isArray(spec.autoscale) ? spec.autoscale[0] : spec.autoscale) as Json | undefined;
      const fewest = Number(autoscale?.min_workers ?? spec.num_workers ?? 0);
      const most = Number(autoscale?.max_workers ?? spec.num_workers ?? 0);
      for (const [size, atStart, atMost] of [[driver, 1, 1], [worker, fewest, most]] as const) {
        if (size === undefined) continue;
        const known = VM_SIZES[size];
        if (!known) {
          unknown.add(size);
          continue;
        }
        add(known.family, known.vCpus * atStart, known.vCpus * atMost);
        add(TOTAL_REGIONAL_VCPUS, known.vCpus * atStart, known.vCpus * atMost);
      }
    }
    for (const [quota, need] of ofJob) {
      const current = byQuota.get(quota) ?? { atStart: 0, atMost: 0 };
      byQuota.set(quota, { atStart: Math.max(current.atStart, need.atStart), atMost: Math.max(current.atMost, need.atMost) });
    }
  }
  const needs = [...byQuota.entries()].map(([quota, need]) => ({ quota, ...need })).sort((a, b) => (a.quota === TOTAL_REGIONAL_VCPUS ? 1 : b.quota === TOTAL_REGIONAL_VCPUS ? -1 : a.quota.localeCompare(b.quota)));
  return { region: workspaceRegion(stack), needs, unknownSizes: [...unknown].sort() };
}

/** One counter of `az vm list-usage --location <region> -o json`. */
export interface VmUsage {
  readonly name: { readonly value: string; readonly localizedValue?: string };
  readonly currentValue: number;
  readonly limit: number;
}

/** Checks parsed `az vm list-usage` output: an array of counters with a name, a current value and a limit. */
export function parseVmUsage(text: string, source: string): VmUsage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON: expected the output of az vm list-usage --location <region> -o json`);
  }
  const valid = (entry: unknown): entry is VmUsage => {
    const candidate = entry as Partial<VmUsage> | null;
    return typeof candidate?.name?.value === "string" && typeof candidate.currentValue === "number" && typeof candidate.limit === "number";
  };
  if (!Array.isArray(parsed) || !parsed.every(valid)) throw new Error(`${source} is not az vm list-usage output: expected an array of { name: { value }, currentValue, limit }`);
  return parsed;
}

/**
 * The region's free vCPU quota (limit less what is in use) against what the job clusters need at
 * their largest, per VM family and in the region's total. A VM size the table lacks is a problem
 * too: its need cannot be counted.
 */
export function quotaProblems(stack: SynthesizedStackJson, usage: readonly VmUsage[]): PreflightProblem[] {
  const { region, needs, unknownSizes } = vcpuNeeds(stack);
  const where = region ?? "the workspace's region";
  const problems: PreflightProblem[] = unknownSizes.map((size) => ({
    kind: "quota",
    path: "databricks_job.job_cluster.new_cluster",
    value: size,
    problem: "a VM size whose vCPUs and quota family preflight does not know",
    fix: "add it to src/tools/vm-sizes.ts (from its Azure size page), or check its quota by hand",
  }));
  for (const need of needs) {
    const counter = usage.find((entry) => entry.name.value.toLowerCase() === need.quota.toLowerCase());
    const free = counter ? counter.limit - counter.currentValue : 0;
    if (free >= need.atMost) continue;
    const label = counter?.name.localizedValue ?? need.quota;
    problems.push({
      kind: "quota",
      path: `quota ${need.quota}`,
      value: `${free} free`,
      problem: `${label} in ${where}: the job clusters need up to ${need.atMost} vCPUs (${need.atStart} at start), ${counter ? `the limit is ${counter.limit} with ${counter.currentValue} in use` : "the region lists no such quota"}`,
      fix: `request a quota increase to at least ${need.atMost + (counter?.currentValue ?? 0)} (Azure portal, Quotas, Compute, ${where}), or lower the cluster's maxWorkers`,
    });
  }
  return problems;
}
