import type { BatchJobTask } from "../databricks/batch-job";
import type { DatabaseCredential } from "../postgres/relational-sink";
import type { LakeContainerName } from "../storage/lake-storage";
import type { LakeArea } from "../storage/lake-layout";

/** The database a pipeline's job loads: its own database on the sink, and the logins it holds. */
export interface QuarterlyJobDatabase {
  /** Host name of the server. */
  readonly host: string;
  /** Port of the server. */
  readonly port: number;
  /** The pipeline's own database. */
  readonly name: string;
  /**
   * libpq URI of the database without credentials, verifying the server's certificate against the
   * CA bundle of the cluster (`sslmode=verify-full&sslrootcert=...`).
   */
  readonly url: string;
  /** The login the job loads as: it owns the job's schema and nothing else. */
  readonly loader: DatabaseCredential;
  /** The application's read-only login, a member of `readerRole`, when there is one. */
  readonly reader?: DatabaseCredential;
  /** The role with USAGE and SELECT only on the job's schema. */
  readonly readerRole: string;
  /** The server administrator's credential: deploy tasks only (BatchJob refuses it elsewhere). */
  readonly admin: DatabaseCredential;
}

/** What a pipeline made for its job, for the job definition to build its tasks from. */
export interface QuarterlyJobContext {
  /** The pipeline's name suffix, such as `cards-prod`. */
  readonly nameSuffix: string;
  /** Name of the scheduled job. */
  readonly jobName: string;
  /** IANA time zone of the schedule, in which the job should compute its quarter. */
  readonly timezone: string;
  /** The `abfss://` folder the pipeline's files are landed in (`QuarterlyPipeline.landingUri`). */
  readonly landingUri: string;
  /**
   * The pipeline's folder on the lake with `{container}` in place of the container, such as
   * `abfss://{container}@stlake.dfs.core.windows.net/cards/`.
   */
  readonly lakeRoot: string;
  /** The `abfss://` URI of a path under the pipeline's folder of a lake container. */
  lakeUri(container: LakeContainerName, path?: string): string;
  /** The pipeline's Unity Catalog catalog. */
  readonly catalogName: string;
  /** The Key Vault-backed secret scope the job reads its credentials from. */
  readonly secretScopeName: string;
  /** The pipeline's database, when the job definition asks for one. */
  readonly database?: QuarterlyJobDatabase;
  /**
   * Name of the Unity Catalog service credential whose identity may write the job's `publishes`
   * folder, when the definition has one: the job takes its token with
   * `dbutils.credentials.getServiceCredentialsProvider(name)`.
   */
  readonly publicationCredentialName?: string;
  /**
   * The deploy task that creates the pipeline's database roles as the server administrator (the
   * loader login, owner of `schema`; the reader role; the application's login) with the passwords
   * the vault holds, for a job that has no migration of its own that does it. Its entry file,
   * `quarterly_provision.py`, is the package's, uploaded beside the job's code.
   */
  provisionTask(schema: string): BatchJobTask;
}

/** A job's tasks: the scheduled job's, and those the deploy runs after each apply. */
export interface QuarterlyJobTasks {
  /** Tasks of the scheduled job, which its operators may start. */
  readonly quarterly: BatchJobTask[];
  /**
   * Tasks that hold an administrator's credential (migrations, roles): a job of their own, never
   * scheduled, that only its owner and workspace admins may start.
   * @default - none
   */
  readonly deploy?: BatchJobTask[];
}

/**
 * A quarterly job a pipeline runs: its code, what it needs from the estate, and its tasks. The
 * bank ETL is one ({@link bankEtlJob}); a team brings its own the same way.
 */
export interface QuarterlyJobDefinition {
  /**
   * Short name of the job's data, such as `cards`: the default name of the pipeline's database
   * and of its logins (`<name>_etl`, `<name>_app`, `<name>_reader`). 1-30 lowercase letters,
   * digits and underscores, starting with a letter.
   */
  readonly name: string;
  /** Local directory of the job's code, uploaded to the workspace. */
  readonly codeDirectory: string;
  /**
   * Files and folders of `codeDirectory` to upload.
   * @default - the whole directory (without tests, caches and virtual environments)
   */
  readonly codePaths?: string[];
  /**
   * Requirements file, relative to `codeDirectory`, whose `==`-pinned lines become the cluster's libraries.
   * @default "requirements.txt"
   */
  readonly requirementsFile?: string;
  /**
   * What the job does, as the job's description.
   * @default - none
   */
  readonly description?: string;
  /**
   * Folder of the landing container, under the pipeline's `lakePathPrefix`, where its files are
   * landed (the pipeline's `landingPrefix` overrides it).
   * @default "" - the pipeline's folder of the landing container
   */
  readonly landingFolder?: string;
  /**
   * Whether the job loads PostgreSQL: the pipeline then gives it a database of its own on the
   * sink and its loader and reader logins, and refuses a pipeline without a sink.
   * @default true
   */
  readonly usesDatabase?: boolean;
  /**
   * Lake containers the job writes by their data area's name (it puts the area in place of
   * `{container}` in `lakeRoot`): the pipeline refuses a lake whose container of that area has
   * another name.
   * @default - none
   */
  readonly writesAreasByName?: readonly LakeContainerName[];
  /**
   * A folder of one lake container, under the pipeline's `lakePathPrefix`, whose files the job
   * replaces whole in one request (Put Blob), which dbutils.fs cannot: the pipeline gives it a
   * Unity Catalog service credential (`PublicationCredential`) whose identity may write that
   * folder and nothing else (`context.publicationCredentialName`). The bank ETL's is the quarter
   * manifests' folder.
   * @default - none: no service credential
   */
  readonly publishes?: LakeArea;
  /** The job's tasks, built from what the pipeline made. */
  tasks(context: QuarterlyJobContext): QuarterlyJobTasks;
  /**
   * Problems with the definition's own options, which the pipeline reports at synth with its
   * other problems, each as `job.<option>` (or as `prop`, an option the pipeline took from one of its own props).
   * @default - none
   */
  problems?(): ReadonlyArray<{ readonly option: string; readonly value: unknown; readonly allowed: string; readonly prop?: string }>;
}
