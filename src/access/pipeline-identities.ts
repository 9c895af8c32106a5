/**
 * The three identities the Azure DevOps pipelines sign in as, per environment, and what each must
 * be able to do: its rights are derived from what it runs (a plan that refreshes, one that does
 * not, an apply) and from the resource types of the stack it runs on (resource-rights.ts), so a
 * stack that gains a type gains the rights its identities need, in docs/estate/cicd.md and in the access
 * matrix alike.
 */
import { blockTypesOf, RESOURCE_RIGHTS } from "./resource-rights";
import { IMPLIED_RIGHTS, Right, rightKey, RIGHTS as R } from "./rights";

export type PipelineIdentityName = "deploy" | "plan" | "drift";

/** One pipeline identity: where it runs, on what code, and what it does there. */
export interface PipelineIdentity {
  readonly name: PipelineIdentityName;
  /** The service connection, per environment (`estate-dev-plan`, ...). */
  serviceConnection(environment: string): string;
  /** The pipelines that sign in as it. */
  readonly pipelines: readonly string[];
  /** The environments it exists for. */
  readonly environments: readonly string[];
  /** What it runs, in a sentence. */
  readonly runs: string;
  /** Whether it runs code nobody has reviewed yet (a pull request's). */
  readonly runsUnreviewedCode: boolean;
  /** Whether its plans refresh (read every resource), or run with `-refresh=false`. */
  readonly refreshes: boolean;
  /** Whether it applies. */
  readonly applies: boolean;
  /** Whether it opens the ephemeral reads of vault secrets (a plan without secrets does not). */
  readonly readsVaultSecrets: boolean;
  /** What it needs whatever the stack holds, with why. */
  readonly baseline: ReadonlyArray<readonly [Right, string]>;
}

const ALL = ["dev", "test", "prod"] as const;

export const PIPELINE_IDENTITIES: Readonly<Record<PipelineIdentityName, PipelineIdentity>> = {
  deploy: {
    name: "deploy",
    serviceConnection: (environment) => `estate-${environment}`,
    pipelines: ["deploy.yml"],
    environments: ALL,
    runs: "from main, after the environment's approvals: preflight (with az vm list-usage), a plan that refreshes, the apply of that saved plan, the approval of the NCC's endpoints on the lake, and the run of the migrate job",
    runsUnreviewedCode: false,
    refreshes: true,
    applies: true,
    readsVaultSecrets: true,
    baseline: [
      [R.stateContributor, "reads and writes the state, and takes its lease"],
      [R.reader, "preflight's az vm list-usage; the provider lists the subscription's resource providers"],
      [R.contributor, "registers the resource providers on the first deploy; approves the NCC's private endpoint connections on the lake"],
      [R.workspaceAdmin, "runs the migrate job after each apply (it creates the job, so it owns it)"],
    ],
  },
  plan: {
    name: "plan",
    serviceConnection: (environment) => `estate-${environment}-plan`,
    pipelines: ["pr-plan.yml"],
    environments: ["dev", "test"],
    runs: "a pull request's code, not reviewed yet: preflight and terraform plan -refresh=false of dev and test, synthesized with azure-quarterly-batch:planWithoutSecrets; never prod",
    runsUnreviewedCode: true,
    refreshes: false,
    applies: false,
    readsVaultSecrets: false,
    baseline: [
      [R.stateReader, "reads the state the plan compares with (without the lease: -lock=false)"],
      [R.reader, "the provider lists the subscription's resource providers when it starts"],
    ],
  },
  drift: {
    name: "drift",
    serviceConnection: (environment) => `estate-${environment}-drift`,
    pipelines: ["drift.yml"],
    environments: ALL,
    runs: "main's code, weekly: preflight and terraform plan -detailed-exitcode that refreshes every resource; never applies",
    runsUnreviewedCode: false,
    refreshes: true,
    applies: false,
    readsVaultSecrets: true,
    baseline: [
      [R.stateReader, "reads the state (without the lease: -lock=false)"],
      [R.reader, "the provider lists the subscription's resource providers when it starts"],
    ],
  },
};

/** A right an identity needs, with every reason for it. */
export interface RequiredRight {
  readonly right: Right;
  /** Why: the baseline's reason, or the resource types (`resource:azurerm_key_vault_key (refresh)`) that need it. */
  readonly because: readonly string[];
}

/**
 * The rights an identity needs to do its work on a synthesized stack: its baseline, every data
 * source and ephemeral resource (read in every plan), each resource's refresh when it refreshes,
 * and each resource's apply when it applies.
 */
export function requiredRights(identity: PipelineIdentity, stack: { readonly resource?: object; readonly data?: object; readonly ephemeral?: object }): RequiredRight[] {
  const needed = new Map<string, { right: Right; because: string[] }>();
  const need = (right: Right, reason: string) => {
    const entry = needed.get(rightKey(right)) ?? { right, because: [] };
    if (!entry.because.includes(reason)) entry.because.push(reason);
    needed.set(rightKey(right), entry);
  };
  for (const [right, reason] of identity.baseline) need(right, reason);
  for (const key of blockTypesOf(stack)) {
    const rights = RESOURCE_RIGHTS[key];
    if (!rights) throw new Error(`the access model has no entry for ${key}: add it to src/access/resource-rights.ts`);
    if (key === "ephemeral:azurerm_key_vault_secret" && !identity.readsVaultSecrets) continue;
    const readEveryPlan = rights.kind !== "resource";
    const ownsIt = identity.applies && rights.creatorRefreshes === true;
    if (readEveryPlan || (identity.refreshes && !ownsIt)) for (const right of rights.refresh.needs) need(right, `${key} (${readEveryPlan ? "read in every plan" : "refresh"})`);
    if (identity.applies) for (const right of rights.apply?.needs ?? []) need(right, `${key} (apply)`);
  }
  // A right another one held includes is not listed twice (its reasons go to the including one).
  for (const [including, included] of IMPLIED_RIGHTS) {
    const covered = needed.get(rightKey(included));
    const by = needed.get(rightKey(including));
    if (!covered || !by) continue;
    for (const reason of covered.because) if (!by.because.includes(reason)) by.because.push(reason);
    needed.delete(rightKey(included));
  }
  return [...needed.values()].sort((a, b) => rightKey(a.right).localeCompare(rightKey(b.right)));
}
