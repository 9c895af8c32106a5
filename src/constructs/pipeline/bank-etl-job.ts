import { BatchJobTask } from "../databricks/batch-job";
import { JOB_REQUIREMENTS } from "../databricks/job-code";
import { PACKAGE_SPARK_DIRECTORY, isDefined } from "./quarterly-pipeline";
import { QuarterlyJobContext, QuarterlyJobDefinition, QuarterlyJobTasks } from "./quarterly-job";
import { LAKE_AREAS, MANIFESTS_FOLDER, WRITTEN_CONTAINERS } from "../storage/lake-layout";

/** The bank ETL's code, in the installed package's `spark/` folder. */
export const BANK_ETL_CODE_DIRECTORY = PACKAGE_SPARK_DIRECTORY;
/** The bank ETL's entry scripts: its check, migrate, load and maintain tasks'. */
export const BANK_ETL_ENTRY_POINTS = ["run_check.py", "run_migrate.py", "run_etl.py", "run_maintain.py"] as const;
/** What PostgreSQL gets from a run: every row, or the features only (the rows served from the lake). */
export const PG_DETAIL_MODES = ["rows", "aggregates"] as const;
/** How much of a run PostgreSQL gets (`--pg-detail`; docs/scaling.md says when to choose which). */
export type PgDetail = (typeof PG_DETAIL_MODES)[number];
/** VACUUM's least retention: longer than a failed run's undo needs, and Delta's own default (spark/bank_etl/config.py MIN_RETAIN_HOURS). */
export const MIN_MAINTENANCE_RETAIN_HOURS = 168;
/** What the bank ETL's code is made of, relative to its code directory: its entry files, requirements, package and the guard they call. */
export const BANK_ETL_CODE_PATHS: readonly string[] = [...BANK_ETL_ENTRY_POINTS, JOB_REQUIREMENTS, "bank_etl", "deployment_guard.py", "quarterly_roles.py"];
const QUARTER = /^\d{4}-Q[1-4]$/;
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The command line of the bank ETL's entry files, declared once: each task's options by what
 * they carry. spark/bank_etl/config.py parses them; spark/tests/test_task_contract.py parses
 * the synthesized tasks with those very parsers.
 */
export const BANK_ETL_CONTRACT = {
  check: {
    entryFile: "run_check.py",
    options: { input: "--input", timezone: "--timezone", quarter: "--quarter" },
  },
  load: {
    entryFile: "run_etl.py",
    options: {
      input: "--input",
      lakeRoot: "--lake",
      catalog: "--catalog",
      pgUrl: "--pg-url",
      schema: "--schema",
      secretScope: "--secret-scope",
      userKey: "--pg-user-key",
      passwordKey: "--pg-password-key",
      timezone: "--timezone",
      quarter: "--quarter",
      pgDetail: "--pg-detail",
      publicationCredential: "--publication-credential",
    },
  },
  maintain: {
    entryFile: "run_maintain.py",
    options: { lakeRoot: "--lake", catalog: "--catalog", retainHours: "--retain-hours" },
  },
  migrate: {
    entryFile: "run_migrate.py",
    options: {
      pgUrl: "--pg-url",
      schema: "--schema",
      secretScope: "--secret-scope",
      adminUserKey: "--admin-user-key",
      adminPasswordKey: "--admin-password-key",
      loaderRole: "--etl-role",
      loaderPasswordKey: "--etl-password-key",
      readerRole: "--reader-role",
      readerLogin: "--reader-login",
      readerPasswordKey: "--reader-password-key",
    },
  },
} as const;

type Options<T extends keyof typeof BANK_ETL_CONTRACT> = Partial<Record<keyof (typeof BANK_ETL_CONTRACT)[T]["options"], string | undefined>>;

/** A task's parameters from its option values, in the contract's order; unset options are left out. */
function parametersOf<T extends keyof typeof BANK_ETL_CONTRACT>(task: T, values: Options<T>): string[] {
  const options = BANK_ETL_CONTRACT[task].options as Record<string, string>;
  return Object.entries(options).flatMap(([name, flag]) => {
    const value = (values as Record<string, string | undefined>)[name];
    return value === undefined ? [] : [flag, value];
  });
}

/** Options of the bank ETL preset. */
export interface BankEtlJobOptions {
  /**
   * Quarter the job loads, such as `2022-Q3`.
   * @default - none; the ETL loads the last quarter that ended before the run date in the schedule's time zone
   */
  readonly quarter?: string;
  /**
   * PostgreSQL schema the job loads.
   * @default "bank"
   */
  readonly databaseSchema?: string;
  /**
   * Folder of the landing container, under the pipeline's `lakePathPrefix`, whose newest CSV/XLSX file the job reads.
   * @default "bank/transactions/"
   */
  readonly landingFolder?: string;
  /**
   * Retries of the migrate and load tasks (0 to 10); the check task is never retried.
   * @default 2
   */
  readonly maxRetries?: number;
  /**
   * Wait before a retry, in milliseconds (at least one minute).
   * @default 900000 (15 minutes)
   */
  readonly minRetryIntervalMillis?: number;
  /**
   * Time after which a load attempt is stopped, in seconds.
   * @default 14400 (4 hours)
   */
  readonly timeoutSeconds?: number;
  /**
   * How much of a run PostgreSQL gets: `rows`, every valid and quarantined row and the features;
   * `aggregates`, the features only, the row-level detail served from the lake's Delta tables
   * (which get every row either way). Choose `aggregates` where PostgreSQL's disk or the load's
   * time would not hold a quarter's rows (docs/scaling.md gives the sizes).
   * @default "rows"
   */
  readonly pgDetail?: PgDetail;
  /**
   * Hours of history VACUUM keeps in the maintain task that follows each successful load
   * (at least 168: a failed run's undo restores versions that old).
   * @default 168
   */
  readonly maintenanceRetainHours?: number;
  /**
   * Local directory holding the job's code (`run_check.py`, `run_migrate.py`, `run_etl.py`,
   * `run_maintain.py`, `bank_etl/`, `requirements.txt`).
   * @default - the `spark/` folder of this package, wherever it is installed
   */
  readonly codeDirectory?: string;
}

/**
 * The bank ETL (spark/): a quarterly job that checks the landed transactions file, then
 * validates, quarantines, transforms, writes the lake's Delta tables and loads PostgreSQL
 * (`check`, then `load`, then `maintain`: OPTIMIZE and VACUUM of the lake's
 * Delta tables), and a deploy job whose `migrate` task, as the server administrator,
 * migrates the schema and creates the loader and reader roles. Its database, logins and roles
 * are `bank`, `bank_etl`, `bank_app` and `bank_reader` unless the pipeline names another database.
 */
export function bankEtlJob(options: BankEtlJobOptions = {}): QuarterlyJobDefinition {
  return {
    name: "bank",
    codeDirectory: options.codeDirectory ?? BANK_ETL_CODE_DIRECTORY,
    codePaths: [...BANK_ETL_CODE_PATHS],
    description: "Quarterly batch: check the landed file, then validate, quarantine, transform, write the lake and load PostgreSQL (PostgreSQL's schema and roles are migrated by the deploy).",
    landingFolder: options.landingFolder ?? "bank/transactions/",
    // The ETL puts each data area's name in place of {container}: curated/<folder>transactions,
    // features/<folder>quarterly, quarantine/<folder>rows.
    writesAreasByName: WRITTEN_CONTAINERS,
    // The quarter manifests, replaced whole so that a reader never finds one empty (spark/bank_etl/blob.py).
    publishes: { container: LAKE_AREAS.export.container, folder: `${LAKE_AREAS.export.folder}/${MANIFESTS_FOLDER}` },
    tasks: (context) => bankEtlTasks(context, options),
    problems: () => bankEtlJobProblems(options),
  };
}

function isTaskTimeout(seconds: number | undefined): seconds is number {
  return Number.isInteger(seconds) && (seconds as number) >= 600 && (seconds as number) <= 172_800;
}

/** What is wrong with the preset's options, named as the options are. */
export function bankEtlJobProblems(options: BankEtlJobOptions): Array<{ option: string; value: unknown; allowed: string }> {
  const problems: Array<{ option: string; value: unknown; allowed: string }> = [];
  if (options.quarter !== undefined && !QUARTER.test(options.quarter)) problems.push({ option: "quarter", value: options.quarter, allowed: "a quarter such as 2022-Q3, or unset for the last finished quarter" });
  if (options.databaseSchema !== undefined && !SQL_NAME.test(options.databaseSchema)) {
    problems.push({ option: "databaseSchema", value: options.databaseSchema, allowed: "1-63 lowercase letters, digits and underscores, not starting with a digit" });
  }
  if (options.pgDetail !== undefined && !(PG_DETAIL_MODES as readonly unknown[]).includes(options.pgDetail)) {
    problems.push({ option: "pgDetail", value: options.pgDetail, allowed: PG_DETAIL_MODES.map((mode) => `"${mode}"`).join(" or ") });
  }
  const hours = options.maintenanceRetainHours;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < MIN_MAINTENANCE_RETAIN_HOURS || hours > 87_600)) {
    problems.push({ option: "maintenanceRetainHours", value: hours, allowed: `whole hours from ${MIN_MAINTENANCE_RETAIN_HOURS} (a failed run's undo needs that much history) to 87600` });
  }
  return problems;
}

/**
 * The bank ETL's tasks: the quarterly job checks and loads; migrate, which signs in as the
 * server's administrator, is the deploy job's alone, which the deploy runs after each apply and no
 * data engineer may start.
 */
function bankEtlTasks(context: QuarterlyJobContext, options: BankEtlJobOptions): QuarterlyJobTasks {
  const database = context.database;
  const loader = database?.loader;
  const reader = database?.reader;
  const schema = options.databaseSchema ?? "bank";
  const retried = { maxRetries: options.maxRetries ?? 2, minRetryIntervalMillis: options.minRetryIntervalMillis ?? 900_000 };
  const defined = (task: BatchJobTask): BatchJobTask => ({ ...task, parameters: (task.parameters ?? []).map((parameter) => parameter ?? "") });
  const quarterly: BatchJobTask[] = [
    {
      // Failures a retry cannot fix (no file, a missing column, no rows in scope) fail here, at once.
      key: "check",
      entryFile: BANK_ETL_CONTRACT.check.entryFile,
      parameters: parametersOf("check", { input: context.landingUri, timezone: context.timezone, quarter: options.quarter }),
      maxRetries: 0,
      timeoutSeconds: 3600,
    },
    {
      key: "load",
      entryFile: BANK_ETL_CONTRACT.load.entryFile,
      dependsOn: ["check"],
      parameters: parametersOf("load", {
        input: context.landingUri,
        lakeRoot: context.lakeRoot,
        catalog: context.catalogName,
        pgUrl: database?.url,
        schema,
        secretScope: context.secretScopeName,
        userKey: loader?.userSecretName ?? "",
        passwordKey: loader?.passwordSecretName ?? "",
        timezone: context.timezone,
        quarter: options.quarter,
        pgDetail: options.pgDetail,
        publicationCredential: context.publicationCredentialName,
      }),
      secretKeys: [loader?.userSecretName, loader?.passwordSecretName].filter(isDefined),
      ...retried,
      timeoutSeconds: options.timeoutSeconds ?? 14_400,
    },
    {
      // Only after a load that succeeded (the default run_if, ALL_SUCCESS): that load has undone any
      // abandoned run first, whose files VACUUM must not take away.
      key: "maintain",
      entryFile: BANK_ETL_CONTRACT.maintain.entryFile,
      dependsOn: ["load"],
      parameters: parametersOf("maintain", {
        lakeRoot: context.lakeRoot,
        catalog: context.catalogName,
        retainHours: String(options.maintenanceRetainHours ?? MIN_MAINTENANCE_RETAIN_HOURS),
      }),
      ...retried,
      // As long as the load may take; a bad timeout is the load's mistake, reported once, there.
      timeoutSeconds: isTaskTimeout(options.timeoutSeconds) ? options.timeoutSeconds : 14_400,
    },
  ];
  const deploy: BatchJobTask[] = [
    {
      key: "migrate",
      entryFile: BANK_ETL_CONTRACT.migrate.entryFile,
      parameters: parametersOf("migrate", {
        pgUrl: database?.url,
        schema,
        secretScope: context.secretScopeName,
        adminUserKey: database?.admin.userSecretName ?? "",
        adminPasswordKey: database?.admin.passwordSecretName ?? "",
        loaderRole: loader?.login ?? "bank_etl",
        loaderPasswordKey: loader?.passwordSecretName ?? "",
        readerRole: database?.readerRole ?? "bank_reader",
        readerLogin: reader?.login,
        readerPasswordKey: reader?.passwordSecretName,
      }),
      secretKeys: [database?.admin.userSecretName, database?.admin.passwordSecretName, loader?.passwordSecretName, reader?.passwordSecretName].filter(isDefined),
      ...retried,
      timeoutSeconds: 3600,
    },
  ];
  return { quarterly: quarterly.map(defined), deploy: deploy.map(defined) };
}
