/**
 * Preflight on synthesized stacks (`cdktf.out`): the checks any app built with this package can
 * run before its first plan, reading only what `cdktf synth` wrote. Each stack's `cdk.tf.json` is
 * walked generically, so a resource written by hand is checked like one a construct made:
 * - `placeholder`: placeholder GUIDs (`00000000-0000-4000-8000-…`, the nil GUID) and addresses on
 *   reserved domains (example.com, *.example, *.invalid, *.test, localhost) in any argument;
 * - `expiry`: RFC 3339 dates in `expiration_date` (and `expires_on`, `not_after`) arguments already
 *   past or within 30 days;
 * - `overlap`: a created network whose address space overlaps a peered VNet's (from the notes
 *   SecureNetwork leaves in the stack's `//` block);
 * - `dns-link`: two stacks that link their own private DNS zones of one name to the same VNet,
 *   which Azure refuses for the second;
 * - `deployer`: a stack with Unity Catalog objects whose deploying identity is not named, or is
 *   the job's own principal;
 * - `unassigned`: a principal that a job, permission or secret ACL names but that no workspace
 *   assignment of the same Databricks provider (nor an imported workspace's noted assignments)
 *   gives access to the workspace, which Databricks refuses at apply;
 * - `peering` and `quota` (preflight-stack.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { IPv4CidrRange } from "ip-num";
import { PLACEHOLDER_GUID, PreflightProblem, reservedAddressesIn } from "./preflight";
import { peeringSubscriptionProblems, quotaProblems, SynthesizedStackJson, VmUsage } from "./preflight-stack";

type Json = Record<string, unknown>;

/** The parts of a synthesized stack the checks read. */
export interface StackJson extends SynthesizedStackJson {
  readonly "//"?: Json;
  readonly data?: Record<string, Record<string, Json>>;
  readonly ephemeral?: Record<string, Record<string, Json>>;
  readonly output?: Record<string, Json>;
}

/** A stack of `cdktf.out`: its name and its JSON. */
export interface SynthesizedStack {
  readonly name: string;
  readonly json: StackJson;
}

/** What the library notes in a stack's `//` block (src/constructs/core/stack-notes.ts). */
interface Notes {
  readonly pipelineIdentities?: Record<string, string>;
  readonly networks?: Array<{ readonly path: string; readonly addressSpaces: string[]; readonly peers: Array<{ readonly name: string; readonly virtualNetworkId: string; readonly addressSpaces: string[] }> }>;
  readonly assignedPrincipals?: Record<string, string[]>;
}

/** `cdktf.out` could not be read: what is missing or malformed, and what to run. */
export class SynthesizedOutputError extends Error {}

/**
 * The stacks `cdktf synth` wrote to `outDir` (its manifest.json names each stack's JSON), or only
 * those named. Refuses an output it cannot read, and a stack name it does not hold.
 */
export function readSynthesizedStacks(outDir: string, names: readonly string[] = []): SynthesizedStack[] {
  const manifestPath = path.join(outDir, "manifest.json");
  if (!existsSync(manifestPath)) throw new SynthesizedOutputError(`${manifestPath} does not exist: run cdktf synth first (or give --out the folder it wrote)`);
  let manifest: { stacks?: Record<string, { synthesizedStackPath?: string }> };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as typeof manifest;
  } catch (error) {
    throw new SynthesizedOutputError(`${manifestPath} is not JSON (${(error as Error).message}): run cdktf synth again`);
  }
  const stacks = Object.entries(manifest.stacks ?? {});
  if (stacks.length === 0) throw new SynthesizedOutputError(`${manifestPath} lists no stacks: run cdktf synth again`);
  const unknown = names.filter((name) => !stacks.some(([stack]) => stack === name));
  if (unknown.length > 0) throw new SynthesizedOutputError(`${outDir} holds no stack ${unknown.join(", ")}; it holds ${stacks.map(([stack]) => stack).join(", ")}`);
  return stacks
    .filter(([stack]) => names.length === 0 || names.includes(stack))
    .map(([name, entry]) => {
      const file = path.join(outDir, entry.synthesizedStackPath ?? path.join("stacks", name, "cdk.tf.json"));
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, "utf8"));
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `is not JSON (${(error as Error).message})`;
        throw new SynthesizedOutputError(`${file}, stack ${name}'s synthesized JSON, ${reason}: run cdktf synth again`);
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) throw new SynthesizedOutputError(`${file} is not a synthesized stack (an object of resource, provider, ...)`);
      return { name, json: json as StackJson };
    });
}

export interface SynthesizedPreflightOptions {
  /** "Now" for the expiry check. */
  readonly now?: Date;
  /** How close an expiry may be; 30 days unless told. */
  readonly expiryWindowDays?: number;
  /** The subscription the deploy runs with (ARM_SUBSCRIPTION_ID), for the peering check. */
  readonly armSubscriptionId?: string;
  /** The other stacks of the app, for the checks across stacks (`dns-link`). */
  readonly otherStacks?: readonly SynthesizedStack[];
  /** `az vm list-usage` output of the region, for the quota check. */
  readonly vmUsage?: readonly VmUsage[];
  /**
   * Stand-ins the app's own config registers (a name or address that is no GUID or reserved
   * domain, such as this repository's ESTATE_* defaults): what it is and how to replace it.
   * @default - none: placeholder GUIDs and reserved domains only
   */
  readonly standIns?: (value: string) => { readonly what: string; readonly fix: string } | undefined;
}

/** Every problem preflight finds in one synthesized stack. */
export function synthesizedStackProblems(stack: SynthesizedStack, options: SynthesizedPreflightOptions = {}): PreflightProblem[] {
  const json = stack.json;
  return [
    ...placeholderProblems(json, options.standIns),
    ...expiryProblems(json, options.now ?? new Date(), options.expiryWindowDays ?? 30),
    ...overlapProblems(json),
    ...dnsLinkProblems(stack, options.otherStacks ?? []),
    ...deployerProblems(json),
    ...unassignedProblems(json),
    ...peeringSubscriptionProblems(json, json.provider?.azurerm?.length ? options.armSubscriptionId : undefined),
    ...(options.vmUsage ? quotaProblems(json, options.vmUsage) : []),
  ];
}

interface Leaf {
  /** Where the value is, as a person finds it: the construct path and the argument, such as `pipeline/job/job email_notifications.on_failure[0]`. */
  readonly path: string;
  readonly key: string;
  readonly value: string;
}

/** Every string argument of the stack's blocks, with the construct path that made it. */
function stringLeaves(json: StackJson): Leaf[] {
  const found: Leaf[] = [];
  const walk = (value: unknown, at: string, key: string, where: string) => {
    if (typeof value === "string") found.push({ path: `${where} ${at}`.trim(), key, value });
    else if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${at}[${index}]`, key, where));
    else if (typeof value === "object" && value !== null) {
      for (const [child, item] of Object.entries(value)) if (child !== "//") walk(item, at === "" ? child : `${at}.${child}`, child, where);
    }
  };
  const blocks: Array<[string, Record<string, Record<string, Json>> | undefined]> = [
    ["resource", json.resource],
    ["data", json.data],
    ["ephemeral", json.ephemeral],
  ];
  for (const [kind, byType] of blocks) {
    for (const [type, byName] of Object.entries(byType ?? {})) {
      for (const [name, body] of Object.entries(byName)) walk(body, "", "", constructPathOf(body) ?? `${kind === "resource" ? "" : `${kind}.`}${type}.${name}`);
    }
  }
  for (const [type, blocksOfType] of Object.entries(json.provider ?? {})) blocksOfType.forEach((body, index) => walk(body, "", "", `provider ${type}${body.alias ? `.${String(body.alias)}` : index > 0 ? `[${index}]` : ""}`));
  for (const [name, body] of Object.entries(json.output ?? {})) walk(body, "", "", `output ${name}`);
  return found;
}

/** The construct path of a block, without the stack's name: what the user named in their code. */
function constructPathOf(body: Json): string | undefined {
  const metadata = ((body["//"] as Json | undefined)?.metadata ?? {}) as Json;
  return typeof metadata.path === "string" ? metadata.path.split("/").slice(1).join("/") : undefined;
}

function placeholderProblems(json: StackJson, standIns: SynthesizedPreflightOptions["standIns"]): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const leaf of stringLeaves(json)) {
    const standIn = standIns?.(leaf.value);
    if (standIn) {
      problems.push({ kind: "placeholder", path: leaf.path, value: leaf.value, problem: `placeholder ${standIn.what}`, fix: standIn.fix });
      continue;
    }
    const guid = PLACEHOLDER_GUID.exec(leaf.value);
    if (guid) {
      problems.push({ kind: "placeholder", path: leaf.path, value: leaf.value, problem: `placeholder GUID ${guid[0]}`, fix: "give the real id in your app's code or config, and synth again" });
      continue;
    }
    const reserved = reservedAddressesIn(leaf.value.replace(/\$\{[^}]*\}/g, " "));
    if (reserved.length > 0) {
      problems.push({ kind: "placeholder", path: leaf.path, value: leaf.value, problem: `address on a reserved domain (${reserved.join(", ")})`, fix: "use a real address, and synth again" });
    }
  }
  return problems;
}

/** Arguments that hold an expiry date (azurerm's `expiration_date` on keys and secrets, and the like), not a duration such as `time_before_expiry`. */
const EXPIRY_DATE_ARGUMENT = /(^|_)expiration_date$|^expires_(on|at)$|^not_after$/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$/;

function expiryProblems(json: StackJson, now: Date, windowDays: number): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const limit = now.getTime() + windowDays * 86_400_000;
  const fix = "set a later expiry date (a new key or secret version is written) and synth again";
  for (const leaf of stringLeaves(json)) {
    if (!EXPIRY_DATE_ARGUMENT.test(leaf.key) || leaf.value.includes("${")) continue;
    const at = RFC3339.test(leaf.value) ? Date.parse(leaf.value) : NaN;
    if (Number.isNaN(at)) problems.push({ kind: "expiry", path: leaf.path, value: leaf.value, problem: "not an RFC 3339 date", fix });
    else if (at <= now.getTime()) problems.push({ kind: "expiry", path: leaf.path, value: leaf.value, problem: "already expired", fix });
    else if (at <= limit) problems.push({ kind: "expiry", path: leaf.path, value: leaf.value, problem: `expires in ${Math.ceil((at - now.getTime()) / 86_400_000)} day(s), within ${windowDays}`, fix });
  }
  return problems;
}

function notesOf(json: StackJson): Notes {
  return ((json["//"] ?? {})["azure-quarterly-batch"] ?? {}) as Notes;
}

function cidr(value: string): IPv4CidrRange | undefined {
  try {
    return IPv4CidrRange.fromCidr(value.trim());
  } catch {
    return undefined;
  }
}

function overlapProblems(json: StackJson): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const network of notesOf(json).networks ?? []) {
    const own = network.addressSpaces.map((space) => ({ space, range: cidr(space) }));
    for (const peer of network.peers) {
      for (const space of peer.addressSpaces) {
        const range = cidr(space);
        const mine = own.find((entry) => entry.range !== undefined && range !== undefined && (entry.range.toRangeSet().isOverlapping(range.toRangeSet()) || entry.range.contains(range) || range.contains(entry.range)));
        if (mine) {
          problems.push({
            kind: "overlap",
            path: `${network.path.split("/").slice(1).join("/")} peeredNetworks ${peer.name}`,
            value: space,
            problem: `the peered VNet's range overlaps the network's ${mine.space}`,
            fix: "peered address spaces must not overlap; change the network's address space (and its subnets) or the peered VNet's range",
          });
        }
      }
    }
  }
  return problems;
}

/** The links a stack makes from a private DNS zone it creates to a VNet given by a literal id (a VNet outside the stack). */
function ownZoneLinksToOutsideVnets(json: StackJson): Array<{ path: string; zoneName: string; virtualNetworkId: string }> {
  const zones = json.resource?.azurerm_private_dns_zone ?? {};
  const links: Array<{ path: string; zoneName: string; virtualNetworkId: string }> = [];
  for (const [name, body] of Object.entries(json.resource?.azurerm_private_dns_zone_virtual_network_link ?? {})) {
    const vnet = body.virtual_network_id;
    const zoneRef = /^\$\{azurerm_private_dns_zone\.([^.]+)\.name\}$/.exec(String(body.private_dns_zone_name ?? ""));
    const zoneName = zoneRef ? zones[zoneRef[1]]?.name : undefined;
    if (typeof vnet !== "string" || vnet.includes("${") || typeof zoneName !== "string") continue;
    links.push({ path: constructPathOf(body) ?? `azurerm_private_dns_zone_virtual_network_link.${name}`, zoneName, virtualNetworkId: vnet });
  }
  return links;
}

const same = (a: string, b: string) => a.trim().replace(/\/+$/, "").toLowerCase() === b.trim().replace(/\/+$/, "").toLowerCase();

/**
 * A VNet links to at most one private DNS zone of a name: Azure refuses the second link ("A
 * virtual network cannot be linked to multiple zones with overlapping namespaces"; Private Link
 * FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq). One problem per other
 * stack and VNet, naming the zones.
 */
function dnsLinkProblems(stack: SynthesizedStack, others: readonly SynthesizedStack[]): PreflightProblem[] {
  const mine = ownZoneLinksToOutsideVnets(stack.json);
  const problems: PreflightProblem[] = [];
  for (const other of others) {
    if (other.name === stack.name) continue;
    const theirs = ownZoneLinksToOutsideVnets(other.json);
    const clashes = new Map<string, { path: string; vnet: string; zones: string[] }>();
    for (const link of mine) {
      if (!theirs.some((candidate) => same(candidate.virtualNetworkId, link.virtualNetworkId) && same(candidate.zoneName, link.zoneName))) continue;
      const key = link.virtualNetworkId.toLowerCase();
      const clash = clashes.get(key) ?? { path: link.path, vnet: link.virtualNetworkId, zones: [] };
      clash.zones.push(link.zoneName);
      clashes.set(key, clash);
    }
    for (const clash of clashes.values()) {
      problems.push({
        kind: "dns-link",
        path: clash.path,
        value: clash.vnet,
        problem: `stack ${other.name} links its own zones of these names to this VNet too; Azure allows one zone of a name per VNet: ${clash.zones.join(", ")}`,
        fix: "use the hub's zones in both stacks (SecureNetwork privateDnsZoneIds; the hub links them to the VNet), or give each its own peered VNet",
      });
    }
  }
  return problems;
}

function deployerProblems(json: StackJson): PreflightProblem[] {
  if (Object.keys(json.resource?.databricks_storage_credential ?? {}).length === 0) return [];
  const deployer = notesOf(json).pipelineIdentities?.deploy;
  const grant = "a metastore admin runs GRANT CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION, CREATE CATALOG ON METASTORE TO `<application id>`, or set grantMetastorePrivileges when the deployer is a metastore admin";
  const path = Object.values(json.resource?.databricks_storage_credential ?? {}).map(constructPathOf)[0] ?? "databricks_storage_credential";
  if (deployer === undefined) {
    return [{ kind: "deployer", path: `${path.split("/")[0]} deployer`, value: "(unset)", problem: "the principal that deploys the catalog is not named", fix: `name the deploying service principal (the pipeline's deployer prop); ${grant}` }];
  }
  const jobPrincipals = Object.values(json.resource?.databricks_job ?? {}).map((job) => ((job.run_as ?? {}) as Json).service_principal_name);
  if (jobPrincipals.some((name) => typeof name === "string" && same(name, deployer))) {
    return [{ kind: "deployer", path: `${path.split("/")[0]} deployer`, value: deployer, problem: "the deploying principal is the job's own", fix: "give the deploy its own service principal: the job must not be able to change the estate" }];
  }
  return [];
}

/** A principal a block names, by the argument that names it. */
function principalsNamed(body: Json): Array<{ at: string; name: string }> {
  const named: Array<{ at: string; name: string }> = [];
  const add = (at: string, value: unknown) => {
    if (typeof value === "string" && value !== "" && !value.includes("${")) named.push({ at, name: value });
  };
  ((body.access_control ?? []) as Json[]).forEach((entry, index) => {
    if (entry.permission_level === "IS_OWNER") return;
    for (const key of ["group_name", "service_principal_name", "user_name"]) add(`access_control[${index}].${key}`, entry[key]);
  });
  add("run_as.service_principal_name", ((body.run_as ?? {}) as Json).service_principal_name);
  add("run_as.user_name", ((body.run_as ?? {}) as Json).user_name);
  ((body.job_cluster ?? []) as Json[]).forEach((cluster, index) => add(`job_cluster[${index}].new_cluster.single_user_name`, ((cluster.new_cluster ?? {}) as Json).single_user_name));
  return named;
}

/**
 * Databricks refuses a permission, run-as or secret ACL for a principal the workspace does not
 * know (an account principal needs a workspace assignment first). The deploy and drift identities
 * are workspace admins through Azure, and need none.
 */
function unassignedProblems(json: StackJson): PreflightProblem[] {
  const notes = notesOf(json);
  const admins = Object.values(notes.pipelineIdentities ?? {});
  const assigned = new Map<string, Set<string>>();
  const assign = (provider: string, name: unknown) => {
    if (typeof name !== "string") return;
    const set = assigned.get(provider) ?? new Set<string>();
    set.add(name.toLowerCase());
    assigned.set(provider, set);
  };
  for (const body of Object.values(json.resource?.databricks_permission_assignment ?? {})) {
    for (const key of ["group_name", "service_principal_name", "user_name"]) assign(String(body.provider ?? "databricks"), body[key]);
  }
  for (const [provider, names] of Object.entries(notes.assignedPrincipals ?? {})) for (const name of names) assign(provider, name);
  // Only workspaces whose assignments the stack shows: a provider with none is an import whose assignments are not known.
  const problems: PreflightProblem[] = [];
  for (const type of ["databricks_permissions", "databricks_job", "databricks_secret_acl"]) {
    for (const [name, body] of Object.entries(json.resource?.[type] ?? {})) {
      const provider = String(body.provider ?? "databricks");
      const known = assigned.get(provider);
      if (known === undefined) continue;
      const named = type === "databricks_secret_acl" ? (typeof body.principal === "string" && !body.principal.includes("${") ? [{ at: "principal", name: body.principal }] : []) : principalsNamed(body);
      for (const { at, name: principal } of named) {
        if (known.has(principal.toLowerCase()) || admins.some((admin) => same(admin, principal)) || principal === "users" || principal === "admins") continue;
        problems.push({
          kind: "unassigned",
          path: `${constructPathOf(body) ?? `${type}.${name}`} ${at}`,
          value: principal,
          problem: `not assigned to the workspace of provider ${provider}`,
          fix: "assign it (DatabricksWorkspace principals, or assignedPrincipals of an imported workspace); Databricks refuses a principal the workspace does not know",
        });
      }
    }
  }
  return problems;
}
