/**
 * The access matrix of a synthesized stack: every principal and every right it holds, read from
 * the stack itself (Azure role assignments, Unity Catalog grants, workspace assignments, object
 * permissions, secret ACLs, the job's run-as and the PostgreSQL roles its migrate job creates) and
 * from the pipeline definitions (the deploy, plan and drift identities, with the rights their work
 * on this stack needs: pipeline-identities.ts). `npm run access -- <stack> [--json]` prints it; the
 * pull-request comment shows how a change alters it; docs/security.md shows prod's.
 */
import { PIPELINE_IDENTITIES, requiredRights } from "./pipeline-identities";
import { Plane } from "./rights";

type Json = Record<string, unknown>;

/** A synthesized stack, as far as the matrix reads it. */
export interface StackJson {
  readonly resource?: Record<string, Record<string, Json>>;
  readonly data?: Record<string, Record<string, Json>>;
  readonly ephemeral?: Record<string, Record<string, Json>>;
  readonly "//"?: Json;
}

/** One right a principal holds. */
export interface AccessRight {
  readonly plane: Plane;
  /** A role, permission level or privilege. */
  readonly right: string;
  /** What it is held on, by name. */
  readonly on: string;
  /** Where it comes from: a resource address of the stack, or the pipeline (and why). */
  readonly via: string;
}

export type PrincipalKind = "pipeline identity" | "service principal" | "group" | "user" | "managed identity" | "Entra object" | "database role" | "database login";

/** A principal and its rights. */
export interface AccessPrincipal {
  /** Stable id: `<kind>:<name>`. */
  readonly id: string;
  readonly kind: PrincipalKind;
  /** Its name: an application id, a group name, a resource's name, a role name. */
  readonly name: string;
  /** What it is, when the stack or the pipelines say. */
  readonly description?: string;
  readonly rights: readonly AccessRight[];
}

/** The access matrix of one stack (`npm run access -- <stack> --json` prints this shape). */
export interface AccessMatrix {
  readonly stack: string;
  readonly principals: readonly AccessPrincipal[];
}

const REFERENCE = /^\$\{([a-z0-9_]+(?:\.[a-z0-9_]+)?)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_[\].]+)\}$/;

/** Reads a stack's resources and names them. */
class StackReader {
  constructor(readonly stack: StackJson) {}

  body(type: string, name: string): Json | undefined {
    const [kind, resourceType] = type.startsWith("data.") ? (["data", type.slice(5)] as const) : (["resource", type] as const);
    return this.stack[kind]?.[resourceType]?.[name];
  }

  resources(type: string): Array<[string, Json]> {
    return Object.entries(this.stack.resource?.[type] ?? {});
  }

  /** A readable name for a value that may reference other resources (`${...}` anywhere in it). */
  nameOf(value: unknown): string {
    if (typeof value !== "string") return String(value);
    const match = REFERENCE.exec(value);
    if (!match) {
      const named = value.replace(/\$\{[^}]+\}/g, (reference) => this.nameOf(reference));
      const container = /^storage account (\S+)\/blobServices\/default\/containers\/(.+)$/.exec(named);
      return container ? `container ${container[2]} of ${container[1]}` : named;
    }
    const [, type, name, attribute] = match;
    const body = this.body(type, name);
    const literal = (key: string) => (typeof body?.[key] === "string" && !(body[key] as string).includes("${") ? (body[key] as string) : undefined);
    const label = literal("name") ?? literal("path") ?? name;
    switch (type) {
      case "azurerm_key_vault":
        return `vault ${label}`;
      case "azurerm_key_vault_key":
        return `key ${label}`;
      case "azurerm_storage_account":
        return `storage account ${label}`;
      case "azurerm_storage_container":
        return `container ${label} of ${this.nameOf(body?.storage_account_id).replace(/^storage account /, "")}`;
      case "azurerm_databricks_access_connector":
        return attribute.startsWith("identity") ? `access connector ${label}` : `access connector ${label}`;
      case "azurerm_databricks_workspace":
        return attribute.startsWith("storage_account_identity") ? `the storage identity of workspace ${label}` : `workspace ${label}`;
      case "azurerm_user_assigned_identity":
        return `managed identity ${label}`;
      case "data.azurerm_client_config":
        return "the identity that applies the stack";
      case "databricks_job":
        return `job ${label}`;
      case "databricks_cluster_policy":
        return `cluster policy ${label}`;
      case "databricks_directory":
        return `folder ${label}`;
      case "databricks_secret_scope":
        return `secret scope ${label}`;
      case "databricks_catalog":
        return `catalog ${label}`;
      case "databricks_schema":
        return `schema ${this.nameOf(body?.catalog_name).replace(/^catalog /, "")}.${label}`;
      case "databricks_external_location":
        return `external location ${label}`;
      case "databricks_storage_credential":
        return `storage credential ${label}`;
      case "databricks_credential":
        return `service credential ${label}`;
      default:
        return `${type} ${label}`;
    }
  }

  /** What the stack's notes say a principal is. */
  described(name: string): string | undefined {
    const notes = (this.stack["//"]?.["azure-quarterly-batch"] as { principals?: Record<string, string> } | undefined)?.principals;
    return notes?.[name];
  }
}

/** Collects principals and their rights, keeping each right once. */
class Matrix {
  private readonly principals = new Map<string, { kind: PrincipalKind; name: string; description?: string; rights: Map<string, AccessRight> }>();

  /** `pipelineIdentities`: the application ids the stack notes for the deploy and drift identities. */
  constructor(private readonly pipelineIdentities: Readonly<Record<string, string>> = {}) {}

  add(kind: PrincipalKind, name: string, right: AccessRight, description?: string): void {
    // A principal the stack names by the application id of a pipeline identity is that identity.
    const identity = kind === "service principal" ? Object.entries(this.pipelineIdentities).find(([, id]) => id.toLowerCase() === name.toLowerCase())?.[0] : undefined;
    if (identity !== undefined && (kind !== "pipeline identity" || name !== identity)) {
      this.add("pipeline identity", identity, right);
      return;
    }
    const id = `${kind}:${name}`;
    const principal = this.principals.get(id) ?? { kind, name, description, rights: new Map() };
    principal.description ??= description;
    principal.rights.set(`${right.plane}|${right.right}|${right.on}|${right.via}`, right);
    this.principals.set(id, principal);
  }

  /** A principal that holds no right here, named so that the matrix says so. */
  name(kind: PrincipalKind, name: string, description: string): void {
    const id = `${kind}:${name}`;
    if (!this.principals.has(id)) this.principals.set(id, { kind, name, description, rights: new Map() });
  }

  build(stack: string): AccessMatrix {
    const principals = [...this.principals.entries()]
      .map(([id, principal]) => ({
        id,
        kind: principal.kind,
        name: principal.name,
        ...(principal.description ? { description: principal.description } : {}),
        rights: withoutSetupTheStackGrants([...principal.rights.values()]).sort((a, b) => `${a.plane}|${a.on}|${a.right}`.localeCompare(`${b.plane}|${b.on}|${b.right}`)),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    return { stack, principals };
  }
}

/** A right of the one-time setup that the stack itself grants (the same right, on the same plane) is listed once, as the stack's. */
function withoutSetupTheStackGrants(rights: AccessRight[]): AccessRight[] {
  const fromStack = rights.filter((right) => fromTheStack(right));
  return rights.filter((right) => fromTheStack(right) || !fromStack.some((granted) => granted.plane === right.plane && granted.right === right.right));
}

const fromTheStack = (right: AccessRight) => /^(azurerm|databricks)_[a-z_]+\./.test(right.via);

const asList = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : value && typeof value === "object" ? [value as Json] : []);

/** Who a principal id of a role assignment is. */
function azurePrincipal(reader: StackReader, principalId: unknown): { kind: PrincipalKind; name: string; description?: string } {
  const name = reader.nameOf(principalId);
  if (name === "the identity that applies the stack") return { kind: "pipeline identity", name: "deploy", description: PIPELINE_IDENTITIES.deploy.runs };
  if (name.startsWith("access connector ") || name.startsWith("managed identity ") || name.startsWith("the storage identity")) return { kind: "managed identity", name };
  return { kind: "Entra object", name, description: reader.described(name) };
}

/** A Databricks access-control entry's principal. */
function databricksPrincipal(reader: StackReader, entry: Json, field = ""): { kind: PrincipalKind; name: string; description?: string } | undefined {
  const pick = (key: string) => (typeof entry[key] === "string" ? (entry[key] as string) : undefined);
  const servicePrincipal = pick(`${field}service_principal_name`);
  const group = pick(`${field}group_name`);
  const user = pick(`${field}user_name`);
  const name = servicePrincipal ?? group ?? user;
  if (!name) return undefined;
  return { kind: servicePrincipal ? "service principal" : group ? "group" : "user", name, description: reader.described(name) };
}

/** The principal of a grant or ACL that names it without saying its kind. */
function namedPrincipal(reader: StackReader, name: string): { kind: PrincipalKind; name: string; description?: string } {
  const kind: PrincipalKind = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name) ? "service principal" : name.includes("@") ? "user" : "group";
  return { kind, name, description: reader.described(name) };
}

function roleAssignments(reader: StackReader, matrix: Matrix): void {
  for (const [name, body] of reader.resources("azurerm_role_assignment")) {
    const principal = azurePrincipal(reader, body.principal_id);
    const role = String(body.role_definition_name ?? body.role_definition_id);
    const keyVault = /^Key Vault /.test(role);
    const on = `${reader.nameOf(body.scope)}${typeof body.condition === "string" ? ` (where ${summariseCondition(body.condition)})` : ""}`;
    matrix.add(principal.kind, principal.name, { plane: keyVault ? "key-vault" : "azure", right: role, on, via: `azurerm_role_assignment.${name}` }, principal.description);
  }
}

/** The paths an ABAC condition allows, in a few words. */
function summariseCondition(condition: string): string {
  const paths = [...condition.matchAll(/StringStartsWith\s+'([^']+)'/g)].map((match) => match[1]);
  if (paths.length > 0) return `blob paths start with ${[...new Set(paths)].join(" or ")}`;
  const files = /StringLike\s+'([^']+)\/\*'\s+AND\s+\S+\s+StringNotLike\s+'\1\/\*\/\*'/.exec(condition);
  return files ? `it may only write the files directly in ${files[1]}/` : "a condition applies";
}

function unityCatalog(reader: StackReader, matrix: Matrix): void {
  for (const [name, body] of reader.resources("databricks_grants")) {
    const securable = reader.nameOf(body.catalog ?? body.schema ?? body.external_location ?? body.storage_credential ?? body.credential ?? body.metastore ?? body.table ?? body.volume);
    for (const grant of asList(body.grant)) {
      const principal = namedPrincipal(reader, String(grant.principal));
      for (const privilege of (grant.privileges as string[] | undefined) ?? []) {
        matrix.add(principal.kind, principal.name, { plane: "unity-catalog", right: privilege, on: securable, via: `databricks_grants.${name}` }, principal.description);
      }
    }
  }
  for (const [name, body] of reader.resources("databricks_grant")) {
    const securable = body.metastore !== undefined ? "the metastore" : reader.nameOf(body.catalog ?? body.schema ?? body.external_location);
    const principal = namedPrincipal(reader, String(body.principal));
    for (const privilege of (body.privileges as string[] | undefined) ?? []) {
      matrix.add(principal.kind, principal.name, { plane: "unity-catalog", right: privilege, on: securable, via: `databricks_grant.${name}` }, principal.description);
    }
  }
}

function workspaceObjects(reader: StackReader, matrix: Matrix): void {
  for (const [name, body] of reader.resources("databricks_permission_assignment")) {
    const principal = databricksPrincipal(reader, body);
    if (!principal) continue;
    for (const permission of (body.permissions as string[] | undefined) ?? []) {
      matrix.add(principal.kind, principal.name, { plane: "databricks-workspace", right: permission === "ADMIN" ? "workspace admin" : "workspace user", on: "the workspace", via: `databricks_permission_assignment.${name}` }, principal.description);
    }
  }
  for (const [name, body] of reader.resources("databricks_permissions")) {
    const object = reader.nameOf(body.job_id ?? body.cluster_policy_id ?? body.directory_path ?? body.workspace_file_path ?? body.notebook_path);
    for (const entry of asList(body.access_control)) {
      const principal = databricksPrincipal(reader, entry);
      if (principal) matrix.add(principal.kind, principal.name, { plane: "databricks-workspace", right: String(entry.permission_level), on: object, via: `databricks_permissions.${name}` }, principal.description);
    }
  }
  for (const [name, body] of reader.resources("databricks_secret_acl")) {
    const scopeRef = String(body.scope);
    const scopeMatch = REFERENCE.exec(scopeRef);
    const scopeBody = scopeMatch ? reader.body(scopeMatch[1], scopeMatch[2]) : undefined;
    const vault = asList(scopeBody?.keyvault_metadata)[0]?.resource_id;
    const on = `${reader.nameOf(scopeRef)}${vault ? ` (every secret of ${reader.nameOf(vault)})` : ""}`;
    const principal = namedPrincipal(reader, String(body.principal));
    matrix.add(principal.kind, principal.name, { plane: "databricks-workspace", right: String(body.permission), on, via: `databricks_secret_acl.${name}` }, principal.description);
  }
  for (const [name, body] of reader.resources("databricks_job")) {
    const job = typeof body.name === "string" ? body.name : name;
    for (const runAs of asList(body.run_as)) {
      const principal = databricksPrincipal(reader, runAs);
      if (principal) matrix.add(principal.kind, principal.name, { plane: "databricks-workspace", right: "runs as", on: `job ${job}`, via: `databricks_job.${name}` }, principal.description);
    }
    postgresRoles(job, name, body, matrix);
  }
}

/** The value after a flag in a task's parameters. */
function flag(parameters: readonly string[], name: string): string | undefined {
  const index = parameters.indexOf(name);
  return index >= 0 ? parameters[index + 1] : undefined;
}

/** The PostgreSQL roles a job's migrate task creates, and what each may do. */
function postgresRoles(job: string, address: string, body: Json, matrix: Matrix): void {
  for (const task of asList(body.task)) {
    const parameters = ((asList(task.spark_python_task)[0]?.parameters as string[] | undefined) ?? []).map(String);
    const etlRole = flag(parameters, "--etl-role");
    if (etlRole === undefined) continue;
    const schema = flag(parameters, "--schema") ?? "bank";
    const via = `databricks_job.${address} (task ${String(task.task_key)}, job ${job})`;
    const admin = flag(parameters, "--admin-user-key");
    if (admin) matrix.add("database login", `server administrator (vault secret ${admin})`, { plane: "postgres", right: "azure_pg_admin: CREATEROLE, CREATEDB", on: "the server", via }, "creates the schema and the roles below; used by the migrate task only");
    matrix.add("database role", etlRole, { plane: "postgres", right: "owns every table", on: `schema ${schema}`, via }, "the loader: the job's load task signs in as it");
    const readerRole = flag(parameters, "--reader-role");
    if (readerRole) matrix.add("database role", readerRole, { plane: "postgres", right: "USAGE, SELECT; LISTEN quarter_ready", on: `schema ${schema}`, via }, "read-only role of the applications");
    const readerLogin = flag(parameters, "--reader-login");
    if (readerLogin && readerRole) matrix.add("database login", readerLogin, { plane: "postgres", right: `member of ${readerRole}`, on: `schema ${schema}`, via }, "the machine-learning application's login");
  }
}

/** The pipeline identities' rights on this stack (what their work on it needs). */
function pipelineIdentities(stack: StackJson, stackName: string, matrix: Matrix): void {
  const environment = /^estate-(dev|test|prod)$/.exec(stackName)?.[1];
  for (const identity of Object.values(PIPELINE_IDENTITIES)) {
    if (environment !== undefined && !identity.environments.includes(environment)) {
      matrix.name("pipeline identity", identity.name, `not used for ${stackName}: it exists for ${identity.environments.join(" and ")} only (${identity.runs})`);
      continue;
    }
    const connection = identity.serviceConnection(environment ?? "<environment>");
    for (const { right, because } of requiredRights(identity, stack)) {
      matrix.add("pipeline identity", identity.name, { ...right, via: `${identity.pipelines.join(", ")} as ${connection}: ${because.join("; ")}` }, identity.runs);
    }
  }
}

/** The access matrix of a synthesized stack. */
export function accessMatrix(stackName: string, stack: StackJson): AccessMatrix {
  const reader = new StackReader(stack);
  const notes = stack["//"]?.["azure-quarterly-batch"] as { pipelineIdentities?: Record<string, string> } | undefined;
  const matrix = new Matrix(notes?.pipelineIdentities);
  pipelineIdentities(stack, stackName, matrix);
  roleAssignments(reader, matrix);
  unityCatalog(reader, matrix);
  workspaceObjects(reader, matrix);
  return matrix.build(stackName);
}

/** One line per right, for comparing two matrices. */
export function accessLines(matrix: AccessMatrix): string[] {
  return matrix.principals.flatMap((principal) => principal.rights.map((right) => `${principal.kind} ${principal.name}: ${right.right} on ${right.on}`));
}

/** How a change alters a stack's matrix: the rights it adds and removes. */
export interface AccessChanges {
  readonly stack: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export function accessChanges(before: AccessMatrix | undefined, after: AccessMatrix): AccessChanges {
  const old = new Set(before ? accessLines(before) : []);
  const now = new Set(accessLines(after));
  return { stack: after.stack, added: [...now].filter((line) => !old.has(line)).sort(), removed: [...old].filter((line) => !now.has(line)).sort() };
}

const escape = (text: string) => text.replace(/\|/g, "\\|");

/** Where a right comes from, in a word: a resource of the stack, or the pipelines' one-time setup. */
function origin(right: AccessRight): string {
  if (fromTheStack(right)) return `the stack (\`${right.via.split(".")[0]}\`)`;
  return "one-time setup";
}

/** The matrix as Markdown: a table per principal. */
export function renderAccessMatrix(matrix: AccessMatrix): string {
  const lines = [
    `Access matrix of \`${matrix.stack}\`: ${matrix.principals.length} principals. "The stack" rights are resources of the stack; "one-time setup" rights are granted to the pipelines' identities outside it (in the repository: docs/estate/cicd.md, "Identities and service connections").`,
    "",
  ];
  for (const principal of matrix.principals) {
    lines.push(`**${principal.kind} \`${escape(principal.name)}\`**${principal.description ? `: ${escape(principal.description)}` : ""}`, "", "| right | on | plane | from |", "|---|---|---|---|");
    const unique = new Map(principal.rights.map((right) => [`${right.right}|${right.on}|${right.plane}`, right]));
    for (const right of unique.values()) lines.push(`| ${escape(right.right)} | ${escape(right.on)} | ${right.plane} | ${origin(right)} |`);
    lines.push("");
  }
  return lines.join("\n").trimEnd();
}

/** The "access changes" section of the pull-request comment; empty when nothing changes. */
export function renderAccessChanges(changes: readonly AccessChanges[]): string {
  const changed = changes.filter((change) => change.added.length + change.removed.length > 0);
  if (changed.length === 0) return "";
  const lines = ["### Access changes", "", "Rights this pull request grants (+) or takes away (-), from the synthesized stacks (`npm run access -- <stack>`):", ""];
  for (const change of changed) {
    lines.push(`**${change.stack}**`, "", "```diff", ...change.added.map((line) => `+ ${line}`), ...change.removed.map((line) => `- ${line}`), "```", "");
  }
  return lines.join("\n").trimEnd();
}
