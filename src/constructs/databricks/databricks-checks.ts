/**
 * Checks shared by the Databricks constructs (DatabricksWorkspace, LakehouseCatalog, BatchJob,
 * SparkBatchPipeline): principals, e-mail addresses and the account-level provider.
 */
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { checkObjectId, IDatabricksPrincipal } from "../core/principal";
import { FORBIDDEN_PRINCIPALS } from "./pipeline-grants";
import { isUnresolved, PropValidator } from "../core/validation";

/** Databricks account group names: letters, digits, spaces and `._@-`, no leading or trailing space. */
export const GROUP_NAME = /^[A-Za-z0-9._@-](?:[A-Za-z0-9 ._@-]{0,253}[A-Za-z0-9._@-])?$/;
/**
 * A plain mailbox, `local@domain`: a dot-atom local part and a dotted host name (RFC 5322 3.4.1,
 * without quoted local parts or display names). Databricks takes each notification address as
 * given and silently sends nothing to one it cannot deliver to.
 */
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?|localhost)$/;

/**
 * Domains reserved for documentation and testing (RFC 2606, RFC 6761): mail to them never arrives,
 * so an address there is a placeholder that was never replaced.
 */
export const RESERVED_EMAIL_DOMAINS = ["example.com", "example.net", "example.org"] as const;
/** Top-level names reserved the same way; any domain under them is refused. */
export const RESERVED_TOP_LEVEL_NAMES = ["example", "invalid", "test", "localhost"] as const;

/** True when an address's domain is reserved (example.com and its subdomains, *.invalid, localhost...). */
export function isReservedEmailDomain(address: string): boolean {
  const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase().replace(/\.$/, "");
  if (RESERVED_EMAIL_DOMAINS.some((reserved) => domain === reserved || domain.endsWith(`.${reserved}`))) return true;
  const top = domain.slice(domain.lastIndexOf(".") + 1);
  return (RESERVED_TOP_LEVEL_NAMES as readonly string[]).includes(top);
}

const ADDRESS_RULE =
  "a deliverable e-mail address such as data-platform@contoso.com, not on a reserved domain (example.com, example.net, example.org, *.example, *.invalid, *.test, localhost)";

/** What is wrong with an address that is not a plain mailbox, when it is a common slip: a mailto: link, a list, a trailing separator. */
function mailboxSlip(address: string): string | undefined {
  if (/^mailto:/i.test(address.trim())) return `the address alone, without "mailto:"`;
  const addresses = address.split(/[\s,;]+/).filter((part) => part.includes("@"));
  if (addresses.length > 1) return `one address per entry: this one holds ${addresses.length} (${addresses.slice(0, 2).join(", ")}${addresses.length > 2 ? ", ..." : ""}); give each its own`;
  const trailing = /([,;\s])+$/.exec(address);
  if (trailing) return `the address without the trailing ${JSON.stringify(trailing[1])}`;
  return undefined;
}

/** Checks one e-mail address: a plain mailbox, not on a reserved domain; a mailto: link, a list or a trailing separator is named. */
export function checkEmailAddress(v: PropValidator, prop: string, address: string | undefined): void {
  v.check(prop, address, (a) => typeof a === "string" && EMAIL.test(a) && !isReservedEmailDomain(a), () => (typeof address === "string" ? mailboxSlip(address) : undefined) ?? ADDRESS_RULE);
}

/** Checks notification addresses: at least one, each deliverable. */
export function checkNotificationAddresses(v: PropValidator, prop: string, addresses: readonly string[] | undefined): void {
  v.required(prop, addresses, "at least one e-mail address that receives the job's failure and long-run warnings");
  if (addresses === undefined || isUnresolved(addresses as string[])) return;
  if (!Array.isArray(addresses) || addresses.length === 0) {
    v.fail(prop, addresses, "at least one e-mail address that receives the job's failure and long-run warnings");
    return;
  }
  addresses.forEach((address, index) => checkEmailAddress(v, `${prop}[${index}]`, address));
}

/**
 * Checks a Databricks principal: a service principal by a real-looking application id (see
 * {@link checkObjectId}), a group by a valid account group name that is not "everyone", or a user
 * by a deliverable e-mail address.
 */
export function checkDatabricksPrincipal(v: PropValidator, prop: string, principal: IDatabricksPrincipal | undefined, required = true): void {
  if (principal === undefined || principal === null) {
    if (required) v.required(prop, principal, "a Databricks principal, such as DatabricksPrincipal.servicePrincipal(applicationId) or DatabricksPrincipal.group(name)");
    return;
  }
  // One bad principal handed to several constructs (a pipeline's groups reach the workspace, the
  // catalog and the job) is reported once, by the first.
  if (typeof principal.name === "string" && principal.name !== "") v.once(`principal:${String(principal.kind)}:${principal.name}`, () => checkPrincipalFields(v, prop, principal));
  else checkPrincipalFields(v, prop, principal);
}

function checkPrincipalFields(v: PropValidator, prop: string, principal: IDatabricksPrincipal): void {
  const name = principal.name;
  switch (principal.kind) {
    case "servicePrincipal":
      v.required(`${prop}.name`, name, "the service principal's application (client) id");
      checkObjectId(v, `${prop}.name`, name, "the service principal's application (client) id");
      break;
    case "group":
      v.required(`${prop}.name`, name, "a Databricks account group name");
      v.check(`${prop}.name`, name, (n) => GROUP_NAME.test(n), "a Databricks account group name: 1-255 letters, digits, spaces and . _ @ -, not starting or ending with a space");
      v.check(`${prop}.name`, name, (n) => !FORBIDDEN_PRINCIPALS.includes(n.trim().toLowerCase()), `a specific group, not ${FORBIDDEN_PRINCIPALS.join(" or ")}`);
      break;
    case "user":
      v.required(`${prop}.name`, name, "the user's e-mail address");
      checkEmailAddress(v, `${prop}.name`, name);
      break;
    default:
      v.fail(`${prop}.kind`, (principal as { kind?: unknown }).kind, "servicePrincipal, group or user (use DatabricksPrincipal)");
  }
}

/** The host of the Databricks account console on Azure. */
export const AZURE_ACCOUNTS_HOST = "https://accounts.azuredatabricks.net";

/** Checks an account-level provider: the accounts host and a GUID account id. */
export function checkAccountProvider(v: PropValidator, prop: string, provider: DatabricksProvider | undefined): void {
  v.required(prop, provider, `an account-level DatabricksProvider (host ${AZURE_ACCOUNTS_HOST}, accountId, an alias)`);
  if (!provider) return;
  if (provider.host === undefined) v.fail(`${prop}.host`, undefined, `${AZURE_ACCOUNTS_HOST}, the Azure Databricks account console`);
  v.check(`${prop}.host`, provider.host, (host) => host.replace(/\/+$/, "").toLowerCase() === AZURE_ACCOUNTS_HOST, `${AZURE_ACCOUNTS_HOST}, the Azure Databricks account console`);
  v.required(`${prop}.accountId`, provider.accountId, "the Databricks account id (a GUID, from the account console)");
  checkObjectId(v, `${prop}.accountId`, provider.accountId, "the Databricks account id");
}

/** A stable key of a principal, for de-duplicating. */
export function principalKey(principal: IDatabricksPrincipal): string {
  return `${principal.kind}:${principal.name}`;
}

/** How a principal is named in messages: `group bank-engineers`, `service principal <id>`. */
export function principalLabel(principal: IDatabricksPrincipal): string {
  return `${principal.kind === "servicePrincipal" ? "service principal" : principal.kind} ${principal.name}`;
}

/**
 * Checks that a principal a workspace object names (a job's run-as, a job or folder permission, a
 * secret ACL) is one the workspace assigns: Databricks refuses an unassigned one at apply. Unity
 * Catalog grants are not checked: they go to account-level principals. Only
 * workspaces whose assignments are all known are checked (see `knowsAssignments`); names that are
 * tokens are skipped.
 */
export function checkAssigned(
  v: PropValidator,
  prop: string,
  principal: IDatabricksPrincipal | undefined,
  workspace: { readonly node: { readonly path: string }; readonly assignedPrincipals?: readonly IDatabricksPrincipal[]; readonly permissionAssignments?: unknown } | undefined,
  known: boolean,
): void {
  if (!known || !workspace || !principal || typeof principal.name !== "string" || principal.name === "" || isUnresolved(principal.name)) return;
  const assigned = (workspace.assignedPrincipals ?? []).filter((candidate) => candidate && typeof candidate.name === "string");
  const same = (candidate: IDatabricksPrincipal) => candidate.kind === principal.kind && (isUnresolved(candidate.name) ? candidate.name === principal.name : candidate.name.toLowerCase() === principal.name.toLowerCase());
  if (assigned.some(same) || assigned.some((candidate) => candidate.kind === principal.kind && isUnresolved(candidate.name))) return;
  const list = assigned.length === 0 ? "none" : `${assigned.slice(0, 3).map(principalLabel).join(", ")}${assigned.length > 3 ? ` and ${assigned.length - 3} more` : ""}`;
  const fix = workspace.permissionAssignments !== undefined ? "add it to the DatabricksWorkspace's principals" : "assign it to the workspace and list it in assignedPrincipals";
  v.once(`unassigned:${workspace.node.path}:${principalKey(principal)}`, () =>
    v.fail(prop, principalLabel(principal), `a principal the workspace ${workspace.node.path} assigns (it assigns ${list}); ${fix}: Databricks refuses an unassigned one at apply`),
  );
}
