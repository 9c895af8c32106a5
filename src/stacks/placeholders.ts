/**
 * Stand-in values the shipped configs carry, and the environment variables that replace them.
 *
 * The shipped configs synthesize on a fresh clone (Quick start, tests) with placeholder identities
 * and addresses; `npm run preflight -- <stack>` refuses them before a plan. Each config wraps every
 * stand-in in {@link placeholder}: the value of the named environment variable when it is set,
 * else the stand-in, which is recorded so preflight names it by registration and not only by
 * pattern.
 */
import type { EnvironmentName } from "./config";

/** One stand-in a config carries. */
export interface Placeholder {
  /** The stand-in value. */
  readonly value: string;
  /** What it stands for, as preflight names it. */
  readonly what: string;
  /** The environment variable that supplies the real value. */
  readonly envVar: string;
  /** The source file that registered it (`src/stacks/shared.ts`), when known. */
  readonly file?: string;
}

const registered = new Map<string, Placeholder[]>();

/** Where the caller of `placeholder()` lives, as a repository path under src/. */
function callerFile(): string | undefined {
  const lines = (new Error().stack ?? "").split("\n").slice(3);
  for (const line of lines) {
    const match = /[\\/](?:src|lib|\.app)[\\/](stacks[\\/][\w-]+)\.(?:ts|js)/.exec(line);
    if (match && !match[1].endsWith("placeholders")) return `src/${match[1].replace(/\\/g, "/")}.ts`;
  }
  return undefined;
}

/**
 * The real value from `envVar` when it is set (and not blank), else `value`, recorded as a
 * placeholder for preflight.
 */
export function placeholder(value: string, what: string, envVar: string): string {
  const fromEnvironment = process.env[envVar]?.trim();
  if (fromEnvironment) return fromEnvironment;
  const entry: Placeholder = { value, what, envVar, file: callerFile() };
  const list = registered.get(value) ?? [];
  if (!list.some((existing) => existing.what === what && existing.envVar === envVar)) list.push(entry);
  registered.set(value, list);
  return value;
}

/** Every placeholder registered so far (those whose environment variable was not set). */
export function registeredPlaceholders(): Placeholder[] {
  return [...registered.values()].flat();
}

/** The placeholders registered for a value, if it is one. */
export function placeholdersFor(value: string): Placeholder[] {
  return registered.get(value) ?? [];
}

/** The environment variable of a per-environment value, such as `ESTATE_PROD_JOB_SP_APPLICATION_ID`. */
export function perEnvironment(environment: EnvironmentName, suffix: string): string {
  return `ESTATE_${environment.toUpperCase()}_${suffix}`;
}

/** Shared across environments. */
export const ESTATE_ENV_VARS = {
  metastoreId: "ESTATE_METASTORE_ID",
  databricksAccountId: "ESTATE_DATABRICKS_ACCOUNT_ID",
  azureDatabricksObjectId: "ESTATE_AZURE_DATABRICKS_OBJECT_ID",
  notificationEmail: "ESTATE_NOTIFICATION_EMAIL",
  owner: "ESTATE_OWNER",
  costCentre: "ESTATE_COST_CENTRE",
} as const;

/** Per environment: `ESTATE_<ENV>_<suffix>`. */
export const ESTATE_PER_ENVIRONMENT_SUFFIXES = {
  jobServicePrincipalApplicationId: "JOB_SP_APPLICATION_ID",
  deployerApplicationId: "DEPLOYER_APPLICATION_ID",
  driftApplicationId: "DRIFT_APPLICATION_ID",
  agentVnetId: "AGENT_VNET_ID",
  agentVnetCidr: "AGENT_VNET_CIDR",
} as const;

/** Every environment variable the configs read, for docs and tests to check against. */
export function estateEnvironmentVariables(environments: readonly EnvironmentName[] = ["dev", "test", "prod"]): string[] {
  return [
    ...Object.values(ESTATE_ENV_VARS),
    ...environments.flatMap((environment) => Object.values(ESTATE_PER_ENVIRONMENT_SUFFIXES).map((suffix) => perEnvironment(environment, suffix))),
  ];
}

/** The job's service principal of an environment (application id). */
export function jobServicePrincipalApplicationId(environment: EnvironmentName, stand_in: string): string {
  return placeholder(stand_in, `application id of the ${environment} job's service principal`, perEnvironment(environment, ESTATE_PER_ENVIRONMENT_SUFFIXES.jobServicePrincipalApplicationId));
}

/** The principal the environment's deploy pipeline signs in as (its service connection's application id). */
export function deployerApplicationId(environment: EnvironmentName, standIn: string): string {
  return placeholder(standIn, `application id of the ${environment} deploy pipeline's service connection`, perEnvironment(environment, ESTATE_PER_ENVIRONMENT_SUFFIXES.deployerApplicationId));
}

/** The principal the environment's weekly drift check signs in as (its service connection's application id). */
export function driftApplicationId(environment: EnvironmentName, standIn: string): string {
  return placeholder(standIn, `application id of the ${environment} drift check's service connection`, perEnvironment(environment, ESTATE_PER_ENVIRONMENT_SUFFIXES.driftApplicationId));
}

/** The Databricks account id (the account console's id), for the account-level provider. */
export function databricksAccountId(): string {
  return placeholder("00000000-0000-4000-8000-00000000a003", "Databricks account id", ESTATE_ENV_VARS.databricksAccountId);
}

/** The address that receives the job's failure and long-run e-mails. */
export function notificationEmail(): string {
  return placeholder("data-platform@contoso.com", "notification e-mail address", ESTATE_ENV_VARS.notificationEmail);
}

/**
 * The agents' VNet of an environment, peered with the estate's VNet and linked to its private DNS
 * zones (SecureNetwork `peeredNetworks`).
 */
export function agentNetwork(environment: EnvironmentName, standInCidr: string): { name: string; virtualNetworkId: string; addressSpaces: string[] } {
  const virtualNetworkId = placeholder(
    `/subscriptions/00000000-0000-4000-8000-0000000000c1/resourceGroups/rg-agents/providers/Microsoft.Network/virtualNetworks/vnet-agents-${environment}`,
    `resource id of the ${environment} agents' VNet`,
    perEnvironment(environment, ESTATE_PER_ENVIRONMENT_SUFFIXES.agentVnetId),
  );
  const cidrs = placeholder(standInCidr, `address space of the ${environment} agents' VNet`, perEnvironment(environment, ESTATE_PER_ENVIRONMENT_SUFFIXES.agentVnetCidr));
  return {
    name: "agents",
    virtualNetworkId,
    addressSpaces: cidrs.split(",").map((cidr) => cidr.trim()).filter((cidr) => cidr !== ""),
  };
}
