/**
 * Preflight (`npm run preflight -- <stack>`): the checks a configuration must pass before a first
 * plan, none of which needs the network. It walks the environment's config generically (every
 * string leaf, with its path) and names:
 * - placeholders: values registered with `placeholder()` (src/stacks/placeholders.ts), placeholder
 *   GUIDs (`00000000-0000-4000-8000-…`, the nil GUID) and addresses on reserved domains
 *   (example.com/.net/.org, *.example, *.invalid, *.test, localhost);
 * - credentials and keys expiring within 30 days (RFC 3339 dates in fields named `*ExpirationDate`,
 *   `*expiry*`, `*expires*`);
 * - the estate's address space overlapping a peered VNet's (`network.peeredNetworks[].addressSpaces`);
 * - with the other environments' configs (`otherEnvironments`): a VNet that this environment and
 *   another would both link their own private DNS zones of one name to (`dns-link`), which Azure
 *   refuses for the second;
 * - the deploying principal (`pipeline.deployer`) named and not the job's (`deployer`): it needs
 *   privileges on the metastore that account admins do not hold by default.
 * On the synthesized stack (preflight-stack.ts): the remote side of each peering lands in its VNet's
 * subscription (`peering`), and, given `az vm list-usage` output, the region's vCPU quota covers the
 * job clusters at their largest (`quota`).
 */
import { IPv4CidrRange } from "ip-num";
import type { IConstruct } from "constructs";
import { subscriptionPlacementProblems } from "../constructs/core/subscription-placement";
import { PRIVATE_DNS_ZONE_KEYS, PRIVATE_DNS_ZONE_NAMES } from "../constructs/network/secure-network";
import { ENVIRONMENTS, stackName, type EnvironmentConfig, type EnvironmentName } from "../stacks/config";
import { placeholdersFor } from "../stacks/placeholders";

export type ProblemKind = "placeholder" | "expiry" | "overlap" | "dns-link" | "deployer" | "unassigned" | "peering" | "quota" | "placement";

/** Every kind, in the order the report counts them. */
export const PROBLEM_KINDS: readonly ProblemKind[] = ["placeholder", "expiry", "overlap", "dns-link", "deployer", "unassigned", "peering", "quota", "placement"];

export interface PreflightProblem {
  readonly kind: ProblemKind;
  /** Path of the value in the config, such as `pipeline.notificationAddresses[0]`. */
  readonly path: string;
  readonly value: string;
  /** What is wrong. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

export interface PreflightOptions {
  /** "Now" for the expiry check. */
  readonly now?: Date;
  /** How close an expiry may be; 30 days unless told. */
  readonly expiryWindowDays?: number;
  /**
   * The configs of the other environments, for the checks across environments (`dns-link`); the
   * CLI passes every environment's. A config of the same environment as the checked one is skipped.
   * @default - none: those checks do not run
   */
  readonly otherEnvironments?: readonly EnvironmentConfig[];
}

/** GUIDs the configs use as stand-ins: the nil GUID and 00000000-0000-4000-8000-…. */
export const PLACEHOLDER_GUID = /00000000-0000-(?:4000-8000|0000-0000)-[0-9a-f]{12}/i;

/** Domains reserved for documentation and testing (RFC 2606, RFC 6761). */
export function isReservedDomain(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, "");
  return (
    /(^|\.)example\.(com|net|org)$/.test(d) || /(^|\.)(example|invalid|test|localhost)$/.test(d) || d === "localhost"
  );
}

// Bounded repeats keep the scan linear on long values (uploaded code, policies): an unbounded
// `[\w.+-]+@` retries the rest of the string from every position. A local part is at most 64
// characters (RFC 5321 4.5.3.1.1); schemes here are short.
const EMAIL = /[\w.+-]{1,64}@([\w-]+(?:\.[\w-]+)*)/g;
const URL_HOST = /[a-z][a-z0-9+.-]{0,31}:\/\/(?:[^@/\s]*@)?([\w-]+(?:\.[\w-]+)+)/gi;
const HOSTNAME = /^([\w-]+\.)+[a-z][\w-]*$/i;

/** The reserved-domain addresses a string holds. */
export function reservedAddressesIn(value: string): string[] {
  const found = new Set<string>();
  for (const match of value.matchAll(EMAIL)) if (isReservedDomain(match[1])) found.add(match[0]);
  for (const match of value.matchAll(URL_HOST)) if (isReservedDomain(match[1])) found.add(match[1]);
  if (HOSTNAME.test(value) && !value.includes("@") && isReservedDomain(value)) found.add(value);
  return [...found];
}

/** Every leaf of a value with its path (`a.b[0].c`). */
export function leaves(value: unknown, path = ""): Array<{ path: string; key: string; value: unknown }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => leaves(item, `${path}[${index}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const childPath = path === "" ? key : `${path}.${key}`;
      return typeof item === "object" && item !== null ? leaves(item, childPath) : [{ path: childPath, key, value: item }];
    });
  }
  return [{ path, key: path.replace(/^.*[.\]]/, ""), value }];
}

/** Fields whose value is an expiry date. */
export const EXPIRY_FIELD = /expirationdate$|expir(y|ies|es)|expiration/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$/;

/** The config file a value at `path` lives in. */
function fileOf(environment: EnvironmentName, registeredFile?: string): string {
  return registeredFile === "src/stacks/shared.ts" ? registeredFile : `src/stacks/${environment}.ts`;
}

function placeholderProblems(config: EnvironmentConfig): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const leaf of leaves(config)) {
    if (typeof leaf.value !== "string") continue;
    const value = leaf.value;
    // A per-environment stand-in (ESTATE_<ENV>_...) counts only in its own environment's config.
    const otherEnvironment = new RegExp(`^ESTATE_(?!${config.environment.toUpperCase()}_)(${ENVIRONMENTS.map((e) => e.toUpperCase()).join("|")})_`);
    const registered = placeholdersFor(value).filter((entry) => !otherEnvironment.test(entry.envVar));
    if (registered.length > 0) {
      for (const entry of registered) {
        problems.push({
          kind: "placeholder",
          path: leaf.path,
          value,
          problem: `placeholder ${entry.what}`,
          fix: `set ${entry.envVar}, or replace the stand-in in ${fileOf(config.environment, entry.file)}`,
        });
      }
      continue;
    }
    const guid = PLACEHOLDER_GUID.exec(value);
    if (guid) {
      problems.push({ kind: "placeholder", path: leaf.path, value, problem: `placeholder GUID ${guid[0]}`, fix: `replace it in ${fileOf(config.environment)}` });
      continue;
    }
    const reserved = reservedAddressesIn(value);
    if (reserved.length > 0) {
      problems.push({
        kind: "placeholder",
        path: leaf.path,
        value,
        problem: `address on a reserved domain (${reserved.join(", ")})`,
        fix: `use a real address in ${fileOf(config.environment)}`,
      });
    }
  }
  return problems;
}

function expiryProblems(config: EnvironmentConfig, now: Date, windowDays: number): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const limit = now.getTime() + windowDays * 86_400_000;
  for (const leaf of leaves(config)) {
    if (typeof leaf.value !== "string" || !EXPIRY_FIELD.test(leaf.key)) continue;
    const value = leaf.value;
    const at = RFC3339.test(value) ? Date.parse(value) : NaN;
    const fix = `set a later date in ${fileOf(config.environment)}${leaf.path.startsWith("database.") ? " and bump database.passwordVersion to rotate the credential" : " (a new key version is created)"}`;
    if (Number.isNaN(at)) {
      problems.push({ kind: "expiry", path: leaf.path, value, problem: "not an RFC 3339 date", fix });
    } else if (at <= now.getTime()) {
      problems.push({ kind: "expiry", path: leaf.path, value, problem: "already expired", fix });
    } else if (at <= limit) {
      const days = Math.ceil((at - now.getTime()) / 86_400_000);
      problems.push({ kind: "expiry", path: leaf.path, value, problem: `expires in ${days} day(s), within ${windowDays}`, fix });
    }
  }
  return problems;
}

interface PeeredNetworkLike {
  readonly name?: string;
  readonly virtualNetworkId?: string;
  readonly addressSpaces?: readonly string[];
}

function parseCidr(cidr: string): IPv4CidrRange | undefined {
  try {
    return IPv4CidrRange.fromCidr(cidr.trim());
  } catch {
    return undefined;
  }
}

function overlapProblems(config: EnvironmentConfig): PreflightProblem[] {
  const network = config.network as EnvironmentConfig["network"] & { readonly peeredNetworks?: readonly PeeredNetworkLike[]; readonly addressSpace: string | readonly string[] };
  const own = (Array.isArray(network.addressSpace) ? network.addressSpace : [network.addressSpace]) as string[];
  const problems: PreflightProblem[] = [];
  const ownRanges = own.map((cidr, index) => ({ cidr, path: Array.isArray(network.addressSpace) ? `network.addressSpace[${index}]` : "network.addressSpace", range: parseCidr(cidr) }));
  for (const entry of ownRanges) {
    if (entry.range === undefined) problems.push({ kind: "overlap", path: entry.path, value: entry.cidr, problem: "not an IPv4 CIDR", fix: `fix it in ${fileOf(config.environment)}` });
  }
  (network.peeredNetworks ?? []).forEach((peer, peerIndex) => {
    (peer.addressSpaces ?? []).forEach((cidr, index) => {
      const path = `network.peeredNetworks[${peerIndex}].addressSpaces[${index}]`;
      const range = parseCidr(cidr);
      if (range === undefined) {
        problems.push({ kind: "overlap", path, value: cidr, problem: "not an IPv4 CIDR", fix: `fix it in ${fileOf(config.environment)}` });
        return;
      }
      for (const mine of ownRanges) {
        if (mine.range === undefined) continue;
        const a = mine.range.toRangeSet();
        const b = range.toRangeSet();
        if (a.isOverlapping(b) || a.contains(b) || b.contains(a)) {
          problems.push({
            kind: "overlap",
            path,
            value: cidr,
            problem: `peered VNet ${peer.name ?? peerIndex} overlaps ${mine.path} ${mine.cidr}`,
            fix: "peered address spaces must not overlap; change network.addressSpace (and its subnets) or the peered VNet's range",
          });
        }
      }
    });
  });
  return problems;
}

/** One link SecureNetwork creates from one of its own private DNS zones to a peered VNet. */
export interface PeeredDnsLink {
  /** Path of the peered VNet's id in the config, such as `network.peeredNetworks[0].virtualNetworkId`. */
  readonly path: string;
  readonly virtualNetworkId: string;
  readonly zoneName: string;
}

/**
 * The links from the private DNS zones an environment creates itself to its peered VNets, as
 * SecureNetwork makes them: every zone not given in `network.privateDnsZoneIds` (existing zones
 * are never linked to peered VNets) is linked to every peered VNet (the first of a repeated name).
 */
export function peeredDnsLinks(config: EnvironmentConfig): PeeredDnsLink[] {
  const network = (config.network ?? {}) as Partial<EnvironmentConfig["network"]>;
  const existing = (network.privateDnsZoneIds ?? {}) as Record<string, string | undefined>;
  const zoneNames: Record<string, string> = { ...PRIVATE_DNS_ZONE_NAMES, postgres: network.postgresDnsZoneName ?? PRIVATE_DNS_ZONE_NAMES.postgres };
  const ownZones = PRIVATE_DNS_ZONE_KEYS.filter((key) => existing[key] === undefined).map((key) => zoneNames[key]);
  const peers = Array.isArray(network.peeredNetworks) ? network.peeredNetworks : [];
  return peers.flatMap((peer, index) => {
    if (typeof peer?.virtualNetworkId !== "string" || peers.findIndex((other) => other?.name === peer.name) !== index) return [];
    return ownZones.map((zoneName) => ({ path: `network.peeredNetworks[${index}].virtualNetworkId`, virtualNetworkId: peer.virtualNetworkId, zoneName }));
  });
}

/** Azure resource ids and DNS names compare case-insensitively; placeholders compare as strings. */
const sameName = (a: string, b: string) => a.trim().replace(/\/+$/, "").toLowerCase() === b.trim().replace(/\/+$/, "").toLowerCase();

/**
 * A VNet links to at most one private DNS zone of a name: Azure refuses the second link with
 * "A virtual network cannot be linked to multiple zones with overlapping namespaces" (Private Link
 * FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq: "creating multiple zones
 * with the same name for a single virtual network is not supported", MicrosoftDocs/azure-docs#122956;
 * the error as reported in microsoft-foundry/foundry-samples#214). So two environments that each
 * link their own privatelink zones to one agents' VNet cannot both deploy: the second apply fails
 * at its DNS links. One problem per other environment and VNet, naming the zones.
 */
function dnsLinkProblems(config: EnvironmentConfig, others: readonly EnvironmentConfig[]): PreflightProblem[] {
  const mine = peeredDnsLinks(config);
  const problems: PreflightProblem[] = [];
  for (const other of others) {
    if (other === config || other.environment === config.environment) continue;
    const theirs = peeredDnsLinks(other);
    const clashes = new Map<string, { link: PeeredDnsLink; otherPath: string; zones: string[] }>();
    for (const link of mine) {
      const match = theirs.find((candidate) => sameName(candidate.virtualNetworkId, link.virtualNetworkId) && sameName(candidate.zoneName, link.zoneName));
      if (match === undefined) continue;
      const clash = clashes.get(link.path) ?? { link, otherPath: match.path.replace(/\.virtualNetworkId$/, ""), zones: [] };
      clash.zones.push(link.zoneName);
      clashes.set(link.path, clash);
    }
    for (const { link, otherPath, zones } of clashes.values()) {
      problems.push({
        kind: "dns-link",
        path: link.path,
        value: link.virtualNetworkId,
        problem: `${stackName(other.environment)} (${fileOf(other.environment)} ${otherPath}) links its own zones of these names to this VNet too; Azure allows one zone of a name per VNet: ${zones.join(", ")}`,
        fix: `use the hub's zones in both (network.privateDnsZoneIds in ${fileOf(config.environment)} and ${fileOf(other.environment)}; the hub links them to the agents' VNet), or give each environment its own agents' VNet`,
      });
    }
  }
  return problems;
}

/** Every problem preflight finds in a configuration. */
/**
 * The deploying principal is named, and is not the job's: it creates the storage credential,
 * external locations and catalog, which need CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION
 * and CREATE CATALOG on the metastore. Account admins do not hold them by default; whether the
 * named principal holds them can only be seen online, so the fix says how to grant them.
 */
export function deployerProblems(config: EnvironmentConfig): PreflightProblem[] {
  const deployer = config.pipeline?.deployer?.name;
  const grant = `a metastore admin runs GRANT CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION, CREATE CATALOG ON METASTORE TO \`<application id>\`, or set pipeline.grantMetastorePrivileges when the deployer is a metastore admin (docs/estate/deploying.md)`;
  if (deployer === undefined || deployer.trim() === "") {
    return [{ kind: "deployer", path: "pipeline.deployer", value: "(unset)", problem: "the principal that deploys is not named", fix: `name the deploy pipeline's service connection (DatabricksPrincipal.servicePrincipal(<application id>)); ${grant}` }];
  }
  if (deployer.toLowerCase() === config.pipeline?.jobServicePrincipal?.name?.toLowerCase()) {
    return [{ kind: "deployer", path: "pipeline.deployer", value: deployer, problem: "the deploying principal is the job's own", fix: "give the deploy pipeline its own service principal: the job must not be able to change the estate" }];
  }
  return [];
}

export function preflight(config: EnvironmentConfig, options: PreflightOptions = {}): PreflightProblem[] {
  const now = options.now ?? new Date();
  return [
    ...placeholderProblems(config),
    ...expiryProblems(config, now, options.expiryWindowDays ?? 30),
    ...overlapProblems(config),
    ...dnsLinkProblems(config, options.otherEnvironments ?? []),
    ...deployerProblems(config),
  ];
}

/** A report: one line per problem, then a summary line. */
export function formatReport(stack: string, problems: readonly PreflightProblem[]): string {
  if (problems.length === 0) return `preflight ${stack}: ok, no placeholders, no expiry within 30 days, no overlapping peered CIDRs, no DNS zone linked twice to a VNet, the deployer named, every principal assigned, every peering in its VNet's subscription\n`;
  const width = Math.min(48, Math.max(...problems.map((p) => p.path.length)));
  const lines = problems.map((p) => `  ${p.path.padEnd(width)}  ${p.problem}: ${JSON.stringify(p.value)} -> ${p.fix}`);
  const counts = PROBLEM_KINDS
    .map((kind) => [kind, problems.filter((p) => p.kind === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`);
  return `${lines.join("\n")}\npreflight ${stack}: ${problems.length} problem(s) (${counts.join(", ")}); fix them before planning\n`;
}

/**
 * The placements synth could not check in a stack of an app (`preflight --app`): constructs that
 * must share a subscription with a network or route table where a provider sets no
 * `subscriptionId` and the stack has more than one azurerm provider. Checked with the subscription
 * the deploy would use, ARM_SUBSCRIPTION_ID of the environment preflight runs in; without it,
 * each is reported as unchecked.
 */
export function placementProblems(stack: IConstruct, armSubscriptionId: string | undefined): PreflightProblem[] {
  const { problems, unchecked } = subscriptionPlacementProblems(stack, armSubscriptionId);
  return [
    // The value as the construct showed it, without its quotes (the report quotes it).
    ...problems.map((problem) => ({ kind: "placement" as const, path: `${problem.path} ${problem.prop}`, value: problem.value.replace(/^"(.*)"$/, "$1"), problem: `${problem.construct} is in another subscription`, fix: problem.allowed })),
    ...unchecked.map((path) => ({
      kind: "placement" as const,
      path,
      value: "(ARM_SUBSCRIPTION_ID unset)",
      problem: "its subscription is set by ARM_SUBSCRIPTION_ID at deploy, and so is not known here",
      fix: "run preflight with ARM_SUBSCRIPTION_ID set as the deploy sets it, or set subscriptionId on the provider",
    })),
  ];
}
