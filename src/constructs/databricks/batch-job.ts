import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { Construct } from "constructs";
import { Annotations, Fn, ITerraformDependable, Token } from "cdktf";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { ClusterPolicy } from "@cdktf/provider-databricks/lib/cluster-policy";
import { Directory } from "@cdktf/provider-databricks/lib/directory";
import { Job, JobTask, JobTaskLibrary } from "@cdktf/provider-databricks/lib/job";
import { Permissions, PermissionsAccessControl } from "@cdktf/provider-databricks/lib/permissions";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { SecretAcl } from "@cdktf/provider-databricks/lib/secret-acl";
import { SecretScope } from "@cdktf/provider-databricks/lib/secret-scope";
import { WorkspaceFile } from "@cdktf/provider-databricks/lib/workspace-file";
import { DATA_SECURITY_MODES, DATABRICKS_RUNTIME, DataSecurityMode, jobClusterPolicyDefinition } from "./cluster-policy";
import { checkAssigned, checkDatabricksPrincipal, checkNotificationAddresses, principalKey } from "./databricks-checks";
import { checkWorkspaceProvider, IDatabricksWorkspace, knowsAssignments } from "./databricks-workspace";
import { claimName, useDatabricksProvider } from "../core/consistency";
import { codeVersion, collectJobCode, compareNames, isCodeDirectory, JOB_REQUIREMENTS, JobCodeFile, parseRequirements, readJobFile } from "./job-code";
import { isIanaTimeZone, isQuartzCron, QUARTZ_CRON_RULE, yearAlreadyPast } from "./job-schedule";
import { AZURE_DATABRICKS_NODE_TYPES, AZURE_DATABRICKS_NODE_TYPES_DATE, isAzureDatabricksNodeType } from "./databricks-node-types";
import { checkProviderType } from "../core/provider-setup";
import { checkTags } from "../core/placement";
import { AzurePrincipal, checkObjectId, IDatabricksPrincipal } from "../core/principal";
import { ISecretStore } from "../key-vault/secret-store";
import { checkDerivedName, closestMatches, isUnresolved, PropValidator } from "../core/validation";
import { requireTerraformVersion } from "../core/terraform-requirements";
import { notePrincipal } from "../core/stack-notes";
import { GUARD_FILE } from "../core/package-code";
import { checkOperatorOptions, isSelfGuarded, launcherFile, launcherFileName, OperatorOptionKind, packageGuardFile } from "./task-launcher";

/** The job cluster's size, VM sizes and runtime, which its policy pins. */
export interface JobClusterOptions {
  /**
   * VM sizes the cluster policy allows, such as `Standard_D4ds_v5`; the first is the job's. Each
   * must be an Azure Databricks node type, in its exact case (AZURE_DATABRICKS_NODE_TYPES), or be
   * in `vouchedNodeTypeIds`.
   */
  readonly nodeTypeIds: string[];
  /**
   * Node types you vouch for that the library's list of Azure Databricks node types lacks (a VM
   * size newer than the list); they are accepted in `nodeTypeIds` as they are.
   * @default - none: every node type must be on the list
   */
  readonly vouchedNodeTypeIds?: string[];
  /** Fewest workers the job cluster scales down to (1 or more). */
  readonly minWorkers: number;
  /** Most workers the job cluster scales up to; at least `minWorkers`. */
  readonly maxWorkers: number;
  /**
   * Run the scheduled job on `maxWorkers` workers throughout instead of autoscaling: no worker,
   * and none of the blocks cached on it, is taken away mid-run, as optimized autoscaling does to
   * an underused job cluster (a long COPY bound by PostgreSQL leaves executors idle), which would
   * recompute what they held. The subscription's quota must hold `maxWorkers` + 1 VMs of the
   * first node type for the whole run. The deploy job runs on `minWorkers` either way.
   * @default false - autoscale between `minWorkers` and `maxWorkers`
   */
  readonly fixedSize?: boolean;
  /**
   * Databricks runtime of the policy and the cluster.
   * @default DATABRICKS_RUNTIME ("17.3.x-scala2.13", Spark 4.0.0 like spark/)
   */
  readonly sparkVersion?: string;
  /**
   * Access mode, pinned by the policy: `SINGLE_USER` (dedicated) runs as the job's service
   * principal alone, with the full Spark API and Unity Catalog. It is the only mode offered.
   * @default "SINGLE_USER"
   */
  readonly dataSecurityMode?: DataSecurityMode;
}

/** One task of the job: a Python entry file of the uploaded code, run on the job cluster. */
export interface BatchJobTask {
  /** Task key, unique in the job: 1-100 letters, digits, `_` and `-`. */
  readonly key: string;
  /** Entry file relative to the code directory, such as `run_etl.py`; it must be among the uploaded files. */
  readonly entryFile: string;
  /**
   * Command-line parameters of the entry file.
   * @default - none
   */
  readonly parameters?: string[];
  /**
   * Task keys this task waits for (each must succeed first).
   * @default - none
   */
  readonly dependsOn?: string[];
  /**
   * Retries of a failed attempt (0 to 10). Keep 0 for failures a retry cannot fix.
   * @default 0
   */
  readonly maxRetries?: number;
  /**
   * Wait before a retry, in milliseconds (at least one minute).
   * @default 900000 (15 minutes)
   */
  readonly minRetryIntervalMillis?: number;
  /**
   * Time after which an attempt is stopped, in seconds (600 to 172800).
   * @default 14400 (4 hours)
   */
  readonly timeoutSeconds?: number;
  /**
   * Keys of the secret scope the task's code reads. They are written to `deployment.json` for the
   * entry file, and the job's guard (`deployment_guard.py`) refuses a run whose parameters name
   * any other key. A key of `adminSecretKeys` is allowed in `deployTasks` only.
   * @default - none: the entry file may read no secret
   */
  readonly secretKeys?: string[];
  /**
   * Options an operator may add, change or leave out when starting a run with new parameters, each
   * `"flag"` (alone, such as `--all`) or `"value"` (with its value, such as `--quarter 2024-Q1`).
   * Unless the entry file is one of the package's own (which check their parameters themselves),
   * the task runs through a launcher that refuses a run whose other parameters are not the
   * deployed ones, in order, before the entry file starts (`deployment_guard.run_task`).
   * @default - none: a run of a team's entry file takes exactly the deployed parameters
   */
  readonly operatorOptions?: Readonly<Record<string, OperatorOptionKind>>;
}

/** When the job runs. */
export interface BatchJobSchedule {
  /** Quartz cron expression, such as `0 0 2 1 1,4,7,10 ?`. */
  readonly quartzCronExpression: string;
  /**
   * IANA time zone of the cron expression, such as `Europe/Amsterdam`.
   * @default "UTC"
   */
  readonly timezoneId?: string;
  /**
   * Create the schedule paused, so the job only runs when started by hand.
   * @default false
   */
  readonly paused?: boolean;
}

/** A Key Vault-backed secret scope the job reads its credentials from. */
export interface BatchJobSecretScope {
  /** Name of the scope: 1-128 letters, digits, `-`, `_` and `.`. */
  readonly name: string;
  /** Vault behind the scope. */
  readonly secretStore: ISecretStore;
  /**
   * Object id, in this tenant, of the AzureDatabricks first-party service principal (application
   * id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d), which reads the vault for the scope. Find it with
   * `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv`.
   */
  readonly azureDatabricksObjectId: string;
}

export interface BatchJobProps {
  /** Workspace-level Databricks provider of `workspace`. */
  readonly provider: DatabricksProvider;
  /** Workspace the code, scope, policy and job go to; they wait for its `ready`. */
  readonly workspace: IDatabricksWorkspace;
  /** Name of the job (and stem of the policy's), such as `bank-prod-quarterly-etl`. */
  readonly jobName: string;
  /**
   * Description of the job.
   * @default - none
   */
  readonly description?: string;
  /** Local directory holding the code; it must exist. */
  readonly codeDirectory: string;
  /**
   * Files and folders of `codeDirectory` to upload: files as they are, folders as their `.py` and
   * `.sql` files (no tests, caches or virtual environments).
   * @default - every `.py` and `.sql` file of the directory, and its requirements file
   */
  readonly codePaths?: string[];
  /**
   * Files from another directory, uploaded beside the code under their own names (such as the
   * package's `deployment_guard.py` beside a team's job); a file of the code of the same name wins.
   * @default - none
   */
  readonly extraFiles?: Array<{ readonly directory: string; readonly path: string }>;
  /**
   * Workspace folder the code is uploaded to, outside `/Shared` (where every user can change
   * files, and the job runs them with the service principal's rights).
   * @default `/jobs/${jobName}`
   */
  readonly codeFolder?: string;
  /**
   * Requirements file, relative to `codeDirectory`, whose `==`-pinned lines become the cluster's
   * PyPI libraries (other lines are left out with a warning).
   * @default "requirements.txt" (no libraries when it is absent)
   */
  readonly requirementsFile?: string;
  /** The job's tasks, run on one job cluster in dependency order. */
  readonly tasks: BatchJobTask[];
  /**
   * Tasks that hold an administrator's credential, such as a database migration: they go to a job
   * of their own, never scheduled and with no operator (only the owner and workspace admins may
   * start it), which the deploy runs after each apply. No task of `tasks` may start it.
   * @default - none: no second job
   */
  readonly deployTasks?: BatchJobTask[];
  /**
   * Name of the job of `deployTasks`.
   * @default `${jobName}-deploy`
   */
  readonly deployJobName?: string;
  /**
   * Keys of the secret scope that hold an administrator's credential (a database server's
   * administrator, say). Only `deployTasks` may name them in `secretKeys`: synth refuses a task of
   * `tasks`, the job operators may start, that does.
   * @default - none
   */
  readonly adminSecretKeys?: string[];
  /**
   * What the deploy decided about where the job's credentials may go (its database's host, port and
   * name, its lake account, its input), written with the secret scope and each entry file's
   * `secretKeys` to `deployment.json` beside the code, where only admins can write it. The job's
   * guard (`deployment_guard.py`, uploaded beside it) refuses a run whose parameters point
   * elsewhere before any secret is read: a run-now replaces a task's parameters wholesale, never
   * this file.
   * @default - `deployment.json` holds the secret scope and the secret keys only, when a task names any
   */
  readonly deploymentSettings?: Record<string, unknown>;
  /** When the job runs. */
  readonly schedule: BatchJobSchedule;
  /** The job cluster and its policy. */
  readonly cluster: JobClusterOptions;
  /** Service principal the job runs as (and the dedicated cluster's single user). */
  readonly runAs: IDatabricksPrincipal;
  /** Addresses that receive failure and long-run warnings. */
  readonly notificationAddresses: string[];
  /**
   * Principals that may run the job ("run now") and read its code; they cannot change either.
   * @default - none
   */
  readonly operators?: IDatabricksPrincipal[];
  /**
   * Level of `operators` on the job: `CAN_MANAGE_RUN` (run now, cancel) or `CAN_VIEW` (see runs and
   * their logs only), such as in production.
   * @default "CAN_MANAGE_RUN"
   */
  readonly operatorPermission?: OperatorPermission;
  /**
   * The principal that applies the stack, named as the job's owner (IS_OWNER). Databricks makes the
   * job's creator its owner, and the provider's refresh shows that entry to any identity other than
   * the applier (permissions/permission_definitions.go, prepareResponse): named here, a plan by
   * another identity (the drift check) sees the permissions it expects.
   * @default - unnamed: the owner entry shows as drift to identities other than the applier
   */
  readonly owner?: IDatabricksPrincipal;
  /**
   * A Key Vault-backed secret scope that `runAs` may read.
   * @default - no secret scope
   */
  readonly secretScope?: BatchJobSecretScope;
  /**
   * Run duration that triggers the health warning e-mail, in seconds; less than the longest task timeout.
   * @default 7200 (2 hours)
   */
  readonly runDurationWarningSeconds?: number;
  /**
   * Tags every job cluster must carry (the policy pins them), such as environment and cost centre.
   * @default - none
   */
  readonly clusterTags?: Record<string, string>;
  /**
   * Tags of the job.
   * @default - none
   */
  readonly tags?: Record<string, string>;
  /**
   * Name of the job's cluster policy (1-100 characters).
   * @default `${jobName}-job`
   */
  readonly clusterPolicyName?: string;
}

/** What operators may do with a job. */
export const OPERATOR_PERMISSIONS = ["CAN_MANAGE_RUN", "CAN_VIEW"] as const;
export type OperatorPermission = (typeof OPERATOR_PERMISSIONS)[number];

const TASK_KEY = /^[A-Za-z0-9_-]{1,100}$/;
/** The file, beside the job's code, that holds what the deploy decided about where its credentials may go. */
export const DEPLOYMENT_SETTINGS_FILE = "deployment.json";
const CODE_FOLDER = /^\/(?!Workspace\/)(?!Shared(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const JOB_CLUSTER_KEY = "job";
const DEFAULT_TIMEOUT_SECONDS = 14_400;

/** Which of an entry file's uploads a task runs, normalised to `/` separators. */
function normaliseEntry(entryFile: string): string {
  return entryFile.replace(/\\/g, "/").replace(/^\.\//, "");
}

/** The requirements file, relative to the code directory. */
function requirementsFileOf(props: BatchJobProps): string {
  return normaliseEntry(props.requirementsFile ?? JOB_REQUIREMENTS);
}

/** The cluster spec; a JavaScript caller may leave it out (reported by validateProps). */
function clusterOf(props: BatchJobProps): JobClusterOptions {
  return props.cluster ?? { nodeTypeIds: [], minWorkers: 1, maxWorkers: 1 };
}

/**
 * A generic scheduled batch job on a Databricks workspace: its code uploaded from a local folder
 * (each file a `databricks_workspace_file`, the content hash in the job's tags), an optional Key
 * Vault-backed secret scope, a job-only cluster policy (pinned runtime, dedicated access mode
 * for the run-as principal, allow-listed VM sizes, bounded autoscale, required tags), the job
 * (one job cluster, its tasks in dependency order, run as a service principal) and its
 * permissions. It never runs a file it does not upload: each task's entry file must be uploaded.
 */
export class BatchJob extends Construct {
  readonly clusterPolicy: ClusterPolicy;
  readonly secretScope?: SecretScope;
  /** Name of the secret scope, when there is one. */
  readonly secretScopeName?: string;
  /** Uploaded files, by path relative to the code directory. */
  readonly codeFiles: Readonly<Record<string, WorkspaceFile>>;
  /** Workspace folder of the code. */
  readonly codeFolder: string;
  /** Hash of every uploaded file; changes whenever the code changes. */
  readonly codeVersion: string;
  /** PyPI packages installed on the job cluster. */
  readonly libraries: string[];
  /** Workspace paths of the entry files, by task key. */
  readonly entryPointPaths: Readonly<Record<string, string>>;
  readonly job: Job;
  /** Id of the job (for `databricks jobs run-now --job-id`). */
  readonly jobId: string;
  /** The job of `deployTasks`, when there are any. */
  readonly deployJob?: Job;
  /** Id of the job of `deployTasks` (the deploy pipeline runs it after each apply). */
  readonly deployJobId?: string;
  /** The uploaded `deployment.json`, when `deploymentSettings` is set or a task names `secretKeys`. */
  readonly deploymentFile?: WorkspaceFile;

  constructor(scope: Construct, id: string, props: BatchJobProps) {
    super(scope, id);
    // The library is tested with, and its write-only arguments need, Terraform 1.11 or later.
    requireTerraformVersion(this);
    const v = new PropValidator("BatchJob", this.node.path);
    validateProps(this, v, props);
    const ready = [...(props.workspace?.ready ?? [])];
    this.codeFolder = props.codeFolder ?? `/jobs/${props.jobName}`;
    const files = this.jobFiles(v, props);
    const launched = this.addLaunchers(v, props, files);
    v.report(this);
    if (props.provider) useDatabricksProvider(this, { provider: props.provider, role: "workspace", construct: "BatchJob", prop: "provider" });
    this.claimWorkspaceNames(props);

    this.codeVersion = codeVersion(files);
    this.codeFiles = this.uploadCode(props, files, ready);
    this.libraries = this.readLibraries(props.codeDirectory ?? "", requirementsFileOf(props), files);
    if (props.secretScope) {
      this.secretScopeName = props.secretScope.name;
      this.secretScope = this.createSecretScope(props, props.secretScope, ready);
    }
    this.clusterPolicy = this.createClusterPolicy(props, ready);
    const deployment = deploymentOf(props, launched);
    if (deployment) this.deploymentFile = this.uploadDeploymentSettings(props, deployment);
    const tasks = this.jobTasks(props.tasks ?? [], launched);
    const deployTasks = this.jobTasks(props.deployTasks ?? [], launched);
    this.entryPointPaths = Object.fromEntries([...tasks, ...deployTasks].map((task) => [task.taskKey, task.sparkPythonTask?.pythonFile ?? ""]));
    this.job = this.createJob(props, tasks, ready, { id: "job", name: props.jobName, scheduled: true });
    this.jobId = this.job.id;
    if (deployTasks.length > 0) {
      this.deployJob = this.createJob(props, deployTasks, ready, { id: "deploy-job", name: props.deployJobName ?? `${props.jobName}-deploy`, scheduled: false });
      this.deployJobId = this.deployJob.id;
      // Its owner and the workspace admins only: no operator may start a job that holds an admin credential.
      if (props.owner) {
        new Permissions(this, "deploy-job-permissions", { provider: props.provider, jobId: this.deployJobId, accessControl: [accessControl(props.owner, "IS_OWNER")], dependsOn: ready });
      }
    }
    new Permissions(this, "job-permissions", {
      provider: props.provider,
      jobId: this.jobId,
      accessControl: [
        ...(props.owner ? [accessControl(props.owner, "IS_OWNER")] : []),
        ...uniquePrincipals(props.operators ?? []).map((principal) => accessControl(principal, props.operatorPermission ?? "CAN_MANAGE_RUN")),
      ],
      dependsOn: ready,
    });
  }

  /** The files to upload; refuses a missing code folder and any task whose entry file is not among them. */
  private jobFiles(v: PropValidator, props: BatchJobProps): JobCodeFile[] {
    const codeDirectory = props.codeDirectory ?? "";
    if (props.codeDirectory !== undefined && !isCodeDirectory(codeDirectory)) {
      v.fail("codeDirectory", codeDirectory, "an existing local directory that holds the job's code");
    }
    const files = collectJobCode(codeDirectory, props.codePaths ?? ["", requirementsFileOf(props)]);
    const uploaded = new Set(files.map((file) => file.relativePath));
    (props.extraFiles ?? []).forEach((extra, index) => {
      const name = path.basename(extra?.path ?? "");
      if (uploaded.has(name)) return;
      if (!existsSync(path.join(extra?.directory ?? "", extra?.path ?? ""))) {
        v.fail(`extraFiles[${index}]`, path.join(extra?.directory ?? "", extra?.path ?? ""), "an existing file to upload beside the code");
        return;
      }
      files.push({ ...readJobFile(extra.directory, extra.path), relativePath: name });
      uploaded.add(name);
    });
    files.sort((a, b) => compareNames(a.relativePath, b.relativePath));
    for (const name of ["tasks", "deployTasks"] as const) {
      (props[name] ?? []).forEach((task, index) => {
        if (task?.entryFile === undefined || !isCodeDirectory(codeDirectory)) return;
        if (!uploaded.has(normaliseEntry(task.entryFile))) {
          v.fail(`${name}[${index}].entryFile`, task.entryFile, `a file the job uploads from ${codeDirectory} (uploaded: ${[...uploaded].join(", ") || "none"}); the job must never run a file it does not upload`);
        }
      });
    }
    return files;
  }

  /**
   * A launcher beside the code for each task whose entry file is not one of the package's own
   * (task-launcher.ts), and the package's guard the launchers call. Returns the launched tasks'
   * keys with their entry files.
   */
  private addLaunchers(v: PropValidator, props: BatchJobProps, files: JobCodeFile[]): Map<string, string> {
    const launched = new Map<string, string>();
    for (const name of ["tasks", "deployTasks"] as const) {
      (props[name] ?? []).forEach((task, index) => {
        checkOperatorOptions(v, `${name}[${index}].operatorOptions`, task?.operatorOptions);
        const entry = normaliseEntry(task?.entryFile ?? "");
        const file = files.find((candidate) => candidate.relativePath === entry);
        if (file === undefined || typeof task.key !== "string" || !TASK_KEY.test(task.key) || isSelfGuarded(entry, file)) return;
        launched.set(task.key, entry);
      });
    }
    if (launched.size === 0) return launched;
    const guard = packageGuardFile();
    const own = files.find((file) => file.relativePath === GUARD_FILE);
    if (own === undefined) files.push(guard);
    else if (own.sha256 !== guard.sha256) {
      v.fail("codeDirectory", props.codeDirectory, `code without a ${GUARD_FILE} of its own: the package uploads its guard under that name for the launchers of the job's tasks`);
    }
    for (const [key, entry] of launched) files.push(launcherFile(key, entry));
    files.sort((a, b) => compareNames(a.relativePath, b.relativePath));
    return launched;
  }

  /** Names a workspace holds once: each job of a shared workspace needs its own (the stack-wide pass compares them). */
  private claimWorkspaceNames(props: BatchJobProps): void {
    const within = props.workspace?.node.path;
    if (within === undefined) return;
    const claim = (kind: "job" | "clusterPolicy" | "secretScope" | "workspaceFolder", name: string | undefined, prop: string) =>
      claimName(this, { kind, name: name ?? "", within, construct: "BatchJob", prop, value: name });
    claim("job", props.jobName, "jobName");
    if (props.deployTasks !== undefined) claim("job", props.deployJobName ?? `${props.jobName}-deploy`, "deployJobName");
    claim("clusterPolicy", props.clusterPolicyName ?? `${props.jobName}-job`, props.clusterPolicyName === undefined ? "jobName" : "clusterPolicyName");
    claim("secretScope", props.secretScope?.name, "secretScope.name");
    claim("workspaceFolder", this.codeFolder, props.codeFolder === undefined ? "jobName" : "codeFolder");
  }

  /** The code folder, its files and who may read them (the run-as principal and the operators). */
  private uploadCode(props: BatchJobProps, files: readonly JobCodeFile[], ready: ITerraformDependable[]): Record<string, WorkspaceFile> {
    const provider = props.provider;
    const folder = new Directory(this, "code-folder", { provider, path: this.codeFolder, dependsOn: ready });
    const codeFiles: Record<string, WorkspaceFile> = {};
    for (const file of files) {
      codeFiles[file.relativePath] = new WorkspaceFile(this, `code-${file.relativePath.replace(/[^A-Za-z0-9_]/g, "-")}`, {
        provider,
        path: `${this.codeFolder}/${file.relativePath}`,
        contentBase64: file.contentBase64,
        dependsOn: [folder],
      });
    }
    new Permissions(this, "code-folder-permissions", {
      provider,
      directoryPath: folder.path,
      accessControl: uniquePrincipals([props.runAs, ...(props.operators ?? [])]).map((principal) => accessControl(principal, "CAN_READ")),
      dependsOn: ready,
    });
    return codeFiles;
  }

  /** The Key Vault-backed scope, the Databricks service's read role on the vault, and the run-as principal's READ. */
  private createSecretScope(props: BatchJobProps, secretScope: BatchJobSecretScope, ready: ITerraformDependable[]): SecretScope {
    notePrincipal(this, secretScope.azureDatabricksObjectId, "the AzureDatabricks application, which reads the vault behind Key Vault-backed secret scopes");
    // The Databricks service reads the vault on behalf of the scope; one role assignment per vault.
    const vaultRole = grantOnce(this, secretScope.secretStore, secretScope.azureDatabricksObjectId);
    const scope = new SecretScope(this, "secret-scope", {
      provider: props.provider,
      name: secretScope.name,
      keyvaultMetadata: { resourceId: secretScope.secretStore?.vaultId, dnsName: secretScope.secretStore?.vaultUri },
      dependsOn: [...(vaultRole ? [vaultRole] : []), ...ready],
    });
    if (props.runAs) {
      new SecretAcl(this, "secret-scope-run-as-read", { provider: props.provider, scope: scope.name, principal: props.runAs.name, permission: "READ", dependsOn: ready });
    }
    return scope;
  }

  /** The job-only policy (pinned runtime and access mode, allow-listed VM sizes, bounded autoscale, tags) and who may use it. */
  private createClusterPolicy(props: BatchJobProps, ready: ITerraformDependable[]): ClusterPolicy {
    const cluster = clusterOf(props);
    const policy = new ClusterPolicy(this, "cluster-policy", {
      provider: props.provider,
      name: props.clusterPolicyName ?? `${props.jobName}-job`,
      description: `Job clusters of ${props.jobName}: pinned runtime, dedicated access mode and tags; allow-listed VM sizes; bounded autoscale.`,
      definition: JSON.stringify(
        jobClusterPolicyDefinition({
          sparkVersion: cluster.sparkVersion ?? DATABRICKS_RUNTIME,
          nodeTypeIds: cluster.nodeTypeIds ?? [],
          minWorkers: cluster.minWorkers,
          maxWorkers: cluster.maxWorkers,
          fixedSize: cluster.fixedSize ?? false,
          dataSecurityMode: cluster.dataSecurityMode ?? "SINGLE_USER",
          requiredTags: props.clusterTags ?? {},
          singleUserName: props.runAs?.name,
        }),
      ),
      dependsOn: ready,
    });
    new Permissions(this, "cluster-policy-permissions", {
      provider: props.provider,
      clusterPolicyId: policy.id,
      accessControl: props.runAs ? [accessControl(props.runAs, "CAN_USE")] : [],
      dependsOn: ready,
    });
    return policy;
  }

  /** `deployment.json` in the code folder: where the deploy decided the job's credentials may go. */
  private uploadDeploymentSettings(props: BatchJobProps, settings: Record<string, unknown>): WorkspaceFile {
    return new WorkspaceFile(this, "deployment-settings", {
      provider: props.provider,
      path: `${this.codeFolder}/${DEPLOYMENT_SETTINGS_FILE}`,
      contentBase64: Fn.base64encode(Fn.jsonencode(forJsonencode(settings))),
      dependsOn: Object.values(this.codeFiles).slice(0, 1),
    });
  }

  /** Tasks on the one job cluster, each running its uploaded entry file (or its launcher) with the pinned libraries. */
  private jobTasks(batchTasks: readonly BatchJobTask[], launched: ReadonlyMap<string, string>): JobTask[] {
    const libraries: JobTaskLibrary[] = this.libraries.map((requirement) => ({ pypi: { package: requirement } }));
    return batchTasks.map((task) => {
      const entry = launched.has(task.key) ? launcherFileName(task.key) : normaliseEntry(task.entryFile ?? "");
      const file = this.codeFiles[entry];
      return {
        taskKey: task.key,
        dependsOn: task.dependsOn && task.dependsOn.length > 0 ? task.dependsOn.map((taskKey) => ({ taskKey })) : undefined,
        jobClusterKey: JOB_CLUSTER_KEY,
        sparkPythonTask: { pythonFile: file ? file.workspacePath : `/Workspace${this.codeFolder}/${entry}`, source: "WORKSPACE", parameters: task.parameters ?? [] },
        library: libraries.length > 0 ? libraries : undefined,
        maxRetries: task.maxRetries ?? 0,
        minRetryIntervalMillis: (task.maxRetries ?? 0) > 0 ? (task.minRetryIntervalMillis ?? 900_000) : undefined,
        retryOnTimeout: false,
        timeoutSeconds: task.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      };
    });
  }

  /** A job (scheduled, or run only on demand), run as the service principal on a policy-bound job cluster, with its alerts. */
  private createJob(props: BatchJobProps, tasks: JobTask[], ready: ITerraformDependable[], job: { readonly id: string; readonly name: string; readonly scheduled: boolean }): Job {
    const cluster = clusterOf(props);
    const clusterTags = props.clusterTags ?? {};
    const schedule = props.schedule ?? { quartzCronExpression: "" };
    return new Job(this, job.id, {
      provider: props.provider,
      name: job.name,
      description: job.scheduled ? props.description : `Run by the deploy after each apply (${props.jobName}): tasks that hold an administrator's credential.`,
      maxConcurrentRuns: 1,
      schedule: job.scheduled
        ? {
            quartzCronExpression: schedule.quartzCronExpression,
            timezoneId: schedule.timezoneId ?? "UTC",
            pauseStatus: (schedule.paused ?? false) ? "PAUSED" : "UNPAUSED",
          }
        : undefined,
      runAs: props.runAs ? runAsOf(props.runAs) : undefined,
      emailNotifications: {
        onFailure: props.notificationAddresses,
        onDurationWarningThresholdExceeded: props.notificationAddresses,
        noAlertForSkippedRuns: true,
      },
      health: { rules: [{ metric: "RUN_DURATION_SECONDS", op: "GREATER_THAN", value: props.runDurationWarningSeconds ?? 7200 }] },
      jobCluster: [
        {
          jobClusterKey: JOB_CLUSTER_KEY,
          newCluster: {
            policyId: this.clusterPolicy.id,
            applyPolicyDefaultValues: true,
            sparkVersion: cluster.sparkVersion ?? DATABRICKS_RUNTIME,
            nodeTypeId: (cluster.nodeTypeIds ?? [])[0],
            driverNodeTypeId: (cluster.nodeTypeIds ?? [])[0],
            dataSecurityMode: cluster.dataSecurityMode ?? "SINGLE_USER",
            singleUserName: props.runAs?.name,
            // The deploy job's tasks (a migration) need no more than the cluster's smallest size.
            ...((cluster.fixedSize ?? false)
              ? { numWorkers: job.scheduled ? cluster.maxWorkers : cluster.minWorkers }
              : { autoscale: { minWorkers: cluster.minWorkers, maxWorkers: job.scheduled ? cluster.maxWorkers : cluster.minWorkers } }),
            customTags: clusterTags,
          },
        },
      ],
      task: tasks,
      // The code version shows in the job's tags which code a run used.
      tags: { ...props.tags, ...clusterTags, "code-version": this.codeVersion.slice(0, 12) },
      dependsOn: [...Object.values(this.codeFiles), ...(this.deploymentFile ? [this.deploymentFile] : []), ...ready],
    });
  }

  private readLibraries(codeDirectory: string, requirementsFile: string, files: readonly JobCodeFile[]): string[] {
    const fullPath = path.join(codeDirectory, ...requirementsFile.split("/"));
    if (!files.some((file) => file.relativePath === requirementsFile)) {
      if (isCodeDirectory(codeDirectory)) Annotations.of(this).addWarning(`BatchJob: ${fullPath} not found; the job cluster gets no extra libraries.`);
      return [];
    }
    const requirements = parseRequirements(readFileSync(fullPath, "utf8"));
    for (const line of requirements.skipped) {
      Annotations.of(this).addWarning(`BatchJob: requirement "${line}" in ${fullPath} is not pinned with == and is not installed.`);
    }
    return requirements.pinned;
  }
}

const VAULT_ROLES = new WeakMap<ISecretStore, Map<string, RoleAssignment>>();

/**
 * "Key Vault Secrets User" for the AzureDatabricks application on a vault, created once however
 * many jobs share the vault (a second identical assignment fails with RoleAssignmentExists).
 */
function grantOnce(scope: Construct, secretStore: ISecretStore | undefined, objectId: string | undefined): RoleAssignment | undefined {
  if (!secretStore || !objectId) return undefined;
  let byPrincipal = VAULT_ROLES.get(secretStore);
  if (!byPrincipal) VAULT_ROLES.set(secretStore, (byPrincipal = new Map()));
  let role = byPrincipal.get(objectId);
  if (!role) {
    role = secretStore.grant(scope, "azure-databricks-secrets-user", AzurePrincipal.servicePrincipal(objectId), "Key Vault Secrets User");
    byPrincipal.set(objectId, role);
  }
  return role;
}

function runAsOf(principal: IDatabricksPrincipal): { servicePrincipalName?: string; userName?: string } {
  return principal.kind === "user" ? { userName: principal.name } : { servicePrincipalName: principal.name };
}

/** A workspace access control entry for a principal. */
export function accessControl(principal: IDatabricksPrincipal, permissionLevel: string): PermissionsAccessControl {
  if (principal.kind === "servicePrincipal") return { servicePrincipalName: principal.name, permissionLevel };
  if (principal.kind === "group") return { groupName: principal.name, permissionLevel };
  return { userName: principal.name, permissionLevel };
}

function uniquePrincipals(principals: ReadonlyArray<IDatabricksPrincipal | undefined>): IDatabricksPrincipal[] {
  const seen = new Set<string>();
  return principals.filter((principal): principal is IDatabricksPrincipal => {
    if (!principal) return false;
    const key = principalKey(principal);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when the tasks' dependencies form no cycle. */
function isAcyclic(tasks: readonly BatchJobTask[]): boolean {
  const byKey = new Map<string, { dependsOn: string[] }>();
  for (const task of tasks) byKey.set(task.key, { dependsOn: [...(byKey.get(task.key)?.dependsOn ?? []), ...(task.dependsOn ?? [])] });
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string): boolean => {
    if (state.get(key) === "done") return true;
    if (state.get(key) === "visiting") return false;
    state.set(key, "visiting");
    const ok = (byKey.get(key)?.dependsOn ?? []).every((dependency) => !byKey.has(dependency) || visit(dependency));
    state.set(key, "done");
    return ok;
  };
  return tasks.every((task) => visit(task.key));
}

/**
 * Databricks' limit on a job's tags ("A maximum of 25 tags can be added to the job", Jobs API
 * `tags`, https://docs.databricks.com/api/azure/workspace/jobs/create), which counts the tags the
 * job carries beyond the user's: the cluster tags and `code-version`.
 */
export const MAX_JOB_TAGS = 25;

/** The tag names BatchJob adds to a job's own: its cluster tags and the code version. */
export function addedJobTagNames(clusterTags: Record<string, string> | undefined): string[] {
  return [...Object.keys(clusterTags ?? {}), "code-version"];
}

function validateProps(scope: Construct, v: PropValidator, props: BatchJobProps): void {
  v.required("provider", props.provider, "the workspace-level DatabricksProvider of the workspace");
  checkProviderType(v, scope, "provider", props.provider, "databricks");
  v.required("workspace", props.workspace, "an IDatabricksWorkspace");
  checkWorkspaceProvider(v, props.provider, props.workspace);
  v.required("jobName", props.jobName, "1-100 letters, digits, spaces, '.', '_' and '-'");
  v.matches("jobName", props.jobName, /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, "1-100 letters, digits, spaces, '.', '_' and '-', starting with a letter or digit");
  if (props.clusterPolicyName === undefined && typeof props.jobName === "string" && !isUnresolved(props.jobName)) {
    checkDerivedName(v, "jobName", `${props.jobName}-job`, "the cluster policy", 100, { value: props.jobName, override: "clusterPolicyName" });
  }
  v.matches("clusterPolicyName", props.clusterPolicyName, /^.{1,100}$/, "1-100 characters");
  v.required("codeDirectory", props.codeDirectory, "the local directory that holds the job's code");
  v.matches("codeFolder", props.codeFolder, CODE_FOLDER, "an absolute workspace folder outside /Shared without the /Workspace prefix, such as /jobs/bank-prod");
  v.required("runAs", props.runAs, "the service principal the job runs as, DatabricksPrincipal.servicePrincipal(applicationId)");
  checkDatabricksPrincipal(v, "runAs", props.runAs, false);
  const runAs = props.runAs;
  if (runAs && runAs.kind === "group") v.once(`run-as-group:${runAs.name}`, () => v.fail("runAs", `group ${runAs.name}`, "a service principal (or user): a job cannot run as a group"));
  (props.operators ?? []).forEach((principal, index) => checkDatabricksPrincipal(v, `operators[${index}]`, principal));
  v.oneOf("operatorPermission", props.operatorPermission, OPERATOR_PERMISSIONS);
  if (props.owner !== undefined) checkDatabricksPrincipal(v, "owner", props.owner);
  const owner = props.owner;
  if (owner?.kind === "group") v.fail("owner", `group ${owner.name}`, "the service principal (or user) that applies the stack: a group cannot own a job");
  // Everything the job names (run as, single user, permissions) must be assigned to the workspace.
  const known = knowsAssignments(props.workspace);
  checkAssigned(v, "runAs", props.runAs, props.workspace, known);
  (props.operators ?? []).forEach((principal, index) => checkAssigned(v, `operators[${index}]`, principal, props.workspace, known));
  checkNotificationAddresses(v, "notificationAddresses", props.notificationAddresses);
  checkTags(v, "tags", props.tags, { maxTags: MAX_JOB_TAGS, added: addedJobTagNames(props.clusterTags), holder: "the job" });
  checkTags(v, "clusterTags", props.clusterTags, { maxTags: MAX_JOB_TAGS - 1, added: ["code-version"], holder: "the job" });

  const schedule = props.schedule;
  v.required("schedule", schedule, "the job's schedule: a Quartz cron expression and its time zone");
  v.required("schedule.quartzCronExpression", schedule?.quartzCronExpression, QUARTZ_CRON_RULE);
  const cron = schedule?.quartzCronExpression;
  // One expression, one problem: a composite that checked it first (SparkBatchPipeline) speaks for it.
  v.once(`cron:${String(cron)}`, () => {
    v.check("schedule.quartzCronExpression", cron, isQuartzCron, QUARTZ_CRON_RULE);
    v.check("schedule.quartzCronExpression", cron, (expression) => !isQuartzCron(expression) || yearAlreadyPast(expression) === undefined, () => neverFiresRule(cron as string));
  });
  v.check("schedule.timezoneId", schedule?.timezoneId, isIanaTimeZone, "an IANA time zone such as Europe/Amsterdam or UTC");

  const secretScope = props.secretScope;
  if (secretScope) {
    v.required("secretScope.name", secretScope.name, "1-128 letters, digits, dashes, underscores and periods");
    v.matches("secretScope.name", secretScope.name, /^[A-Za-z0-9._-]{1,128}$/, "1-128 letters, digits, dashes, underscores and periods");
    v.required("secretScope.secretStore", secretScope.secretStore, "the ISecretStore behind the scope");
    v.required("secretScope.azureDatabricksObjectId", secretScope.azureDatabricksObjectId, "the AzureDatabricks application's object id in this tenant");
    checkObjectId(v, "secretScope.azureDatabricksObjectId", secretScope.azureDatabricksObjectId, "the object id of the AzureDatabricks enterprise application in this tenant");
  }

  const cluster = props.cluster;
  v.required("cluster", cluster, "the job cluster's VM sizes and autoscale bounds, such as { nodeTypeIds: [\"Standard_D4ds_v5\"], minWorkers: 1, maxWorkers: 4 }");
  if (cluster) {
    v.check("cluster.nodeTypeIds", cluster.nodeTypeIds, (ids) => Array.isArray(ids) && ids.length > 0, "at least one VM size, such as Standard_D4ds_v5");
    if (cluster.nodeTypeIds === undefined) v.fail("cluster.nodeTypeIds", undefined, "at least one VM size, such as Standard_D4ds_v5");
    const vouched = Array.isArray(cluster.vouchedNodeTypeIds) ? cluster.vouchedNodeTypeIds : [];
    (cluster.nodeTypeIds ?? []).forEach((nodeType, index) => checkNodeType(v, `cluster.nodeTypeIds[${index}]`, nodeType, vouched));
    vouched.forEach((nodeType, index) => v.matches(`cluster.vouchedNodeTypeIds[${index}]`, nodeType, /^Standard_[A-Za-z0-9_]+$/, "an Azure VM size such as Standard_D4ds_v5"));
    v.required("cluster.minWorkers", cluster.minWorkers, "a whole number from 1 to 1000");
    v.required("cluster.maxWorkers", cluster.maxWorkers, "a whole number from 1 to 1000");
    v.range("cluster.minWorkers", cluster.minWorkers, 1, 1000);
    v.range("cluster.maxWorkers", cluster.maxWorkers, 1, 1000);
    if (!isUnresolved(cluster.minWorkers) && !isUnresolved(cluster.maxWorkers) && cluster.minWorkers > cluster.maxWorkers) {
      v.fail("cluster.maxWorkers", cluster.maxWorkers, `at least cluster.minWorkers (${cluster.minWorkers})`);
    }
    v.check("cluster.fixedSize", cluster.fixedSize, (fixed) => fixed === undefined || typeof fixed === "boolean", "true or false");
    v.matches("cluster.sparkVersion", cluster.sparkVersion, /^\d+\.\d+\.x-(?:[a-z0-9-]+-)?scala\d+\.\d+$/, "a Databricks runtime key such as 17.3.x-scala2.13");
    v.oneOf("cluster.dataSecurityMode", cluster.dataSecurityMode, DATA_SECURITY_MODES);
  }

  const tasks = props.tasks;
  v.required("tasks", tasks, "one or more tasks, each with a key and an entry file");
  if (tasks !== undefined && (!Array.isArray(tasks) || tasks.length === 0)) v.fail("tasks", tasks, "one or more tasks, each with a key and an entry file");
  checkTasks(v, "tasks", tasks);
  if (props.deployTasks !== undefined && (!Array.isArray(props.deployTasks) || props.deployTasks.length === 0)) v.fail("deployTasks", props.deployTasks, "one or more tasks, or unset");
  checkTasks(v, "deployTasks", props.deployTasks);
  checkAdminSecrets(v, props);
  v.matches("deployJobName", props.deployJobName, /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, "1-100 letters, digits, spaces, '.', '_' and '-', starting with a letter or digit");

  v.range("runDurationWarningSeconds", props.runDurationWarningSeconds, 60, 172_800);
  // Compared only when every timeout and the warning are valid: a bad one is its own problem, not the warning's.
  const timeouts = (Array.isArray(tasks) ? tasks : []).map((task) => task?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  const valid = (seconds: unknown, min: number) => typeof seconds === "number" && Number.isInteger(seconds) && seconds >= min && seconds <= 172_800;
  const longest = Math.max(0, ...timeouts);
  const warning = props.runDurationWarningSeconds ?? 7200;
  if (Array.isArray(tasks) && tasks.length > 0 && !isUnresolved(warning) && timeouts.every((seconds) => valid(seconds, 600)) && valid(warning, 60) && warning >= longest) {
    v.fail("runDurationWarningSeconds", warning, `fewer seconds than the longest task timeout (${longest}), so the warning comes before a run is stopped`);
  }
}

/**
 * A value for Terraform's jsonencode: each string that holds deploy-time values among literal text
 * (`abfss://{container}@${account}.dfs...`) becomes a join of its parts, which cdktf renders as a
 * function call rather than a template inside another expression.
 */
function forJsonencode(value: unknown): unknown {
  if (typeof value === "string") {
    if (!Token.isUnresolved(value) || TOKEN_ONLY.test(value)) return value;
    return Fn.join("", value.split(TOKEN_PART).filter((part) => part !== ""));
  }
  if (Array.isArray(value)) return value.map(forJsonencode);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, forJsonencode(item)]));
  return value;
}

/**
 * `deployment.json`: the deploy's settings, the secret scope and the keys each entry file may
 * read (an entry file run by two tasks may read what either names).
 */
function deploymentOf(props: BatchJobProps, launched: ReadonlyMap<string, string>): Record<string, unknown> | undefined {
  const tasks = [...(props.tasks ?? []), ...(props.deployTasks ?? [])];
  if (props.deploymentSettings === undefined && launched.size === 0 && !tasks.some((task) => (task?.secretKeys ?? []).length > 0)) return undefined;
  const secretKeys: Record<string, string[]> = {};
  for (const task of tasks) {
    const entry = normaliseEntry(task?.entryFile ?? "");
    secretKeys[entry] = [...new Set([...(secretKeys[entry] ?? []), ...(task?.secretKeys ?? [])])];
  }
  // Each launched task's deployed parameters, which its launcher holds a run's to.
  const launchedTasks = Object.fromEntries(
    tasks
      .filter((task) => launched.has(task.key))
      .map((task) => [task.key, { entry: launched.get(task.key), parameters: task.parameters ?? [], operator_options: { ...task.operatorOptions } }]),
  );
  return {
    schema_version: 1,
    ...props.deploymentSettings,
    secret_scope: props.secretScope?.name ?? null,
    secret_keys: secretKeys,
    ...(launched.size > 0 ? { tasks: launchedTasks } : {}),
  };
}

/** No task an operator may start can read an administrator's credential, and no task names a secret without a scope to read it from. */
function checkAdminSecrets(v: PropValidator, props: BatchJobProps): void {
  const admin = new Set((props.adminSecretKeys ?? []).filter((key) => !isUnresolved(key)));
  // deployment.json allows keys per entry file, so an entry file shared with a deploy task that reads an admin key would allow it too.
  const adminEntries = new Set(
    (props.deployTasks ?? []).filter((task) => (task?.secretKeys ?? []).some((key) => admin.has(key))).map((task) => normaliseEntry(task?.entryFile ?? "")),
  );
  (Array.isArray(props.tasks) ? props.tasks : []).forEach((task, index) => {
    (task?.secretKeys ?? []).forEach((key, position) => {
      if (admin.has(key)) v.fail(`tasks[${index}].secretKeys[${position}]`, key, "a key not in adminSecretKeys: an administrator's credential is read only by deployTasks, which no operator may start");
    });
    if (task?.entryFile !== undefined && adminEntries.has(normaliseEntry(task.entryFile))) {
      v.fail(`tasks[${index}].entryFile`, task.entryFile, "an entry file no deploy task that reads an admin key runs: the keys in deployment.json are per entry file");
    }
  });
  for (const name of ["tasks", "deployTasks"] as const) {
    (props[name] ?? []).forEach((task, index) => {
      if ((task?.secretKeys ?? []).length > 0 && props.secretScope === undefined) v.fail(`${name}[${index}].secretKeys`, task.secretKeys, "keys of the job's secretScope, which is not set: set secretScope or leave secretKeys out");
    });
  }
}

/** A cdktf string token, and a string that is nothing else. */
const TOKEN_PART = /(\$\{TfToken\[[^\]]*\]\})/;
const TOKEN_ONLY = /^\$\{TfToken\[[^\]]*\]\}$/;

/** One job's tasks: keys unique in the job, entry files inside the code, retries and timeouts in range, dependencies on its own tasks without a cycle. */
function checkTasks(v: PropValidator, name: "tasks" | "deployTasks", tasks: readonly BatchJobTask[] | undefined): void {
  const list = Array.isArray(tasks) ? tasks : [];
  const keys = new Set<string>();
  list.forEach((task, index) => {
    const prop = `${name}[${index}]`;
    v.required(`${prop}.key`, task?.key, "1-100 letters, digits, '_' and '-', unique in the job");
    v.matches(`${prop}.key`, task?.key, TASK_KEY, "1-100 letters, digits, '_' and '-', unique in the job");
    if (task?.key !== undefined && keys.has(task.key)) v.fail(`${prop}.key`, task.key, "a task key not used by another task of the job");
    v.required(`${prop}.entryFile`, task?.entryFile, "an entry file relative to the code directory, such as run_etl.py");
    v.check(`${prop}.entryFile`, task?.entryFile, (file) => !path.isAbsolute(file) && !normaliseEntry(file).split("/").includes(".."), "a path relative to the code directory, inside it");
    v.range(`${prop}.maxRetries`, task?.maxRetries, 0, 10);
    v.range(`${prop}.minRetryIntervalMillis`, task?.minRetryIntervalMillis, 60_000, 86_400_000);
    v.range(`${prop}.timeoutSeconds`, task?.timeoutSeconds, 600, 172_800);
    if (task?.key !== undefined) keys.add(task.key);
  });
  list.forEach((task, index) => {
    (task?.dependsOn ?? []).forEach((dependency: string, position: number) => {
      if (!keys.has(dependency)) v.fail(`${name}[${index}].dependsOn[${position}]`, dependency, `the key of another task of the job (${[...keys].join(", ")})`);
      else if (dependency === task.key) v.fail(`${name}[${index}].dependsOn[${position}]`, dependency, "another task than itself");
    });
  });
  if (list.length > 0 && !isAcyclic(list.filter((task) => task?.key !== undefined))) v.fail(name, list.map((task) => task?.key), "tasks whose dependencies form no cycle");
}

/**
 * Checks a node type: one Azure Databricks runs clusters on, in its exact case, or one the job
 * vouches for; an unknown one is refused with the nearest names on the list (the clusters API
 * refuses it at apply, "Node type ... is not supported").
 */
function checkNodeType(v: PropValidator, prop: string, nodeType: string | undefined, vouched: readonly string[]): void {
  if (typeof nodeType === "string" && vouched.includes(nodeType)) {
    v.matches(prop, nodeType, /^Standard_[A-Za-z0-9_]+$/, "an Azure VM size such as Standard_D4ds_v5");
    return;
  }
  v.check(prop, nodeType, (type) => typeof type === "string" && isAzureDatabricksNodeType(type), () => {
    const nearest = closestMatches(String(nodeType), AZURE_DATABRICKS_NODE_TYPES);
    return `an Azure Databricks node type in its exact case${nearest.length > 0 ? ` (nearest: ${nearest.join(", ")})` : ""}, or add it to cluster.vouchedNodeTypeIds if it is newer than the library's list of ${AZURE_DATABRICKS_NODE_TYPES_DATE}`;
  });
}

/** Why an expression whose year field has passed is refused. */
function neverFiresRule(expression: string): string {
  return `an expression that fires again: its year field ends in ${yearAlreadyPast(expression)}, so the job would never run (Databricks accepts it and stays silent)`;
}
