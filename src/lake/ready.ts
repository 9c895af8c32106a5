/**
 * `lake ready <quarter>`: whether a quarter is ready for retraining, so that a pipeline can gate on it.
 *
 * Ready means: the quarter's manifest (`export/_manifests/<YYYY>Q<n>.json` in the features
 * container, DATA_CONTRACT.md "The quarter manifest") exists, matches its JSON Schema, and what it
 * says is borne out by the lake:
 * - the run record `_runs/<run_id>.json` (curated) of the run that published it succeeded and has
 *   the same input checksum, row counts (input rows, the quarter's valid rows and duplicates, the
 *   quarantined rows by reason) and quarter;
 * - the quarter's export partition `export/year=YYYY/quarter=Q/` holds exactly the Parquet files
 *   the run record lists, each of the recorded size and SHA-256 (downloaded and hashed);
 * - each Delta version the manifest names is a commit in the table's `_delta_log/`; the commit of
 *   curated `transactions/` adds exactly the quarter's valid rows to its partition (the commit's
 *   row statistics), the one of quarantine `rows/` the input's quarantined rows, and the one of
 *   features `quarterly/` files to the quarter's partition.
 * Exit codes: 0 ready; 6 no manifest yet; 7 a manifest that is not valid; 1 a manifest the lake
 * does not bear out; the CLI's other codes (2 usage, 3 access, 4 container missing, 5 transfer).
 */
import type { BlobItem, ContainerClient } from "@azure/storage-blob";
import type { LakeConnection } from "./credentials";
import { ExitCode, isBlobNotFound, LakeError, toLakeError, type ErrorContext } from "./errors";
import { formatBytes, formatTable } from "./format";
import { listFiles } from "./listing";
import { CURATED_CONTAINER, DELTA_LOG, EXPORT_PREFIX, FEATURES_CONTAINER, MANIFEST_DELTA_TABLES, normalisePrefix, QUARANTINE_CONTAINER, RUNS_PREFIX } from "./layout";
import { manifestBlobName, manifestProblems, MANIFEST_DELTA_TABLE_NAMES, QUARANTINE_REASONS, quarterLabel, type ManifestDeltaTable, type QuarterManifest } from "./manifest";
import { isSuccessful, parseQuarter, parseRunRecord, quarterKey, type Quarter, type RunRecord } from "./run-records";
import { hashBlob } from "./verify";

export interface ReadyOptions {
  /** "2022-Q3" (also "2022Q3"). */
  readonly quarter: string;
  /** The pipeline's folder in every container (its lakePathPrefix), e.g. "payments/". @default "" */
  readonly lakePathPrefix?: string;
  /** @default "features" */
  readonly featuresContainer?: string;
  /** @default "curated" */
  readonly curatedContainer?: string;
  /** @default "quarantine" */
  readonly quarantineContainer?: string;
  /** Where run records live. @default the curated container, `<lakePathPrefix>_runs/` */
  readonly runsContainer?: string;
  readonly runsPrefix?: string;
  readonly abortSignal?: AbortSignal;
}

export interface ReadyReport {
  readonly ready: boolean;
  readonly quarter: string;
  readonly manifest: QuarterManifest;
  /** Lines printed before the table. */
  readonly heading: string[];
  readonly table: string;
  readonly summary: string;
}

interface Check {
  readonly check: string;
  readonly expected: string;
  readonly found: string;
  readonly ok: boolean;
  /** The status shown when the check fails. @default "MISMATCH" */
  readonly failure?: string;
}

/** One action of a Delta commit file (newline-delimited JSON), the parts `ready` reads. */
interface DeltaAction {
  readonly add?: { readonly path?: string; readonly partitionValues?: Record<string, string | null>; readonly stats?: string | null };
  readonly commitInfo?: { readonly operation?: string; readonly operationParameters?: Record<string, unknown>; readonly userMetadata?: string };
}

/** A Delta commit's file name: the version, zero-padded to 20 digits. */
export function deltaCommitName(version: number): string {
  return `${String(version).padStart(20, "0")}.json`;
}

export function parseDeltaCommit(text: string): DeltaAction[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as DeltaAction);
}

/** Rows added by a commit's `add` actions (from their statistics), optionally only in one partition; undefined when an add has no row count. */
export function addedRows(actions: readonly DeltaAction[], partition?: Quarter): { files: number; rows: number | undefined } {
  let files = 0;
  let rows: number | undefined = 0;
  for (const { add } of actions) {
    if (!add) continue;
    if (partition && (add.partitionValues?.year !== String(partition.year) || add.partitionValues?.quarter !== String(partition.quarter))) continue;
    files += 1;
    let records: unknown;
    try {
      records = add.stats ? (JSON.parse(add.stats) as { numRecords?: unknown }).numRecords : undefined;
    } catch {
      records = undefined;
    }
    rows = typeof records === "number" && rows !== undefined ? rows + records : undefined;
  }
  return { files, rows };
}

function short(hash: string | undefined): string {
  return hash ? `${hash.slice(0, 12)}…` : "-";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function download(container: ContainerClient, name: string, signal: AbortSignal | undefined): Promise<Buffer | undefined> {
  try {
    return await container.getBlobClient(name).downloadToBuffer(0, undefined, { abortSignal: signal });
  } catch (error) {
    if (isBlobNotFound(error)) return undefined;
    throw error;
  }
}

export async function ready(connection: LakeConnection, options: ReadyOptions): Promise<ReadyReport> {
  const quarter = parseQuarter(options.quarter);
  if (!quarter) throw new LakeError(`"${options.quarter}" is not a quarter; use YYYY-Qn, such as 2022-Q3`, ExitCode.usage);
  const label = quarterLabel(quarter);
  const folder = normalisePrefix(options.lakePathPrefix ?? "");
  const containers: Record<string, string> = {
    [FEATURES_CONTAINER]: options.featuresContainer ?? FEATURES_CONTAINER,
    [CURATED_CONTAINER]: options.curatedContainer ?? CURATED_CONTAINER,
    [QUARANTINE_CONTAINER]: options.quarantineContainer ?? QUARANTINE_CONTAINER,
  };
  const runsContainer = options.runsContainer ?? containers[CURATED_CONTAINER] ?? CURATED_CONTAINER;
  const runsPrefix = normalisePrefix(options.runsPrefix ?? `${folder}${RUNS_PREFIX}`);
  const signal = options.abortSignal;
  const contextOf = (container: string): ErrorContext => ({ authMode: connection.authMode, accountName: connection.accountName, container });
  const client = (container: string) => connection.service.getContainerClient(container);
  const guarded = async <T>(container: string, step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      throw toLakeError(error, contextOf(container));
    }
  };

  // The manifest: its absence means "not published yet", a bad one is its own failure.
  const featuresContainer = containers[FEATURES_CONTAINER] as string;
  const manifestName = manifestBlobName(quarter, folder);
  const where = `${featuresContainer}/${manifestName}`;
  const manifestBytes = await guarded(featuresContainer, () => download(client(featuresContainer), manifestName, signal));
  if (!manifestBytes) {
    throw new LakeError(`Not ready: no manifest for ${label} at ${where}; the quarterly job publishes it once the quarter's data is committed in PostgreSQL and the lake`, ExitCode.notReady);
  }
  // ABFS cannot replace a file in one step: the job rewrites the manifest in place, and for that one
  // request (create, then flush) the file is empty (docs/DATA_CONTRACT.md, "Where, in the lake").
  if (manifestBytes.length === 0) {
    throw new LakeError(`Not ready: the manifest of ${label} at ${where} is empty: the quarterly job is writing it; ask again`, ExitCode.notReady);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestBytes.toString("utf8"));
  } catch (error) {
    throw new LakeError(`Invalid manifest ${where}: not JSON (${error instanceof Error ? error.message : String(error)})`, ExitCode.invalidManifest, { cause: error });
  }
  const problems = manifestProblems(parsed);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join("; ");
    throw new LakeError(`Invalid manifest ${where}: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""}`, ExitCode.invalidManifest);
  }
  const manifest = parsed as QuarterManifest;
  if (manifest.quarter !== label) throw new LakeError(`Invalid manifest ${where}: it is the manifest of ${manifest.quarter}, not of ${label}`, ExitCode.invalidManifest);
  const partitionSuffix = `_${quarter.year}_q${quarter.quarter}`;
  const strayPartition = Object.entries(manifest.postgres).find(([table, partition]) => partition !== `${table}${partitionSuffix}`);
  if (strayPartition) throw new LakeError(`Invalid manifest ${where}: postgres ${strayPartition[0]} names partition ${strayPartition[1]}, not ${strayPartition[0]}${partitionSuffix}`, ExitCode.invalidManifest);

  const checks: Check[] = [];
  const add = (check: string, expected: unknown, found: unknown, failure?: string) =>
    checks.push({ check, expected: String(expected), found: found === undefined ? "-" : String(found), ok: found !== undefined && String(expected) === String(found), failure });

  // The run record of the run that published the manifest.
  const runName = `${runsPrefix}${manifest.run_id}.json`;
  const runBytes = await guarded(runsContainer, () => download(client(runsContainer), runName, signal));
  const record: RunRecord | undefined = runBytes ? parseRunRecord(runBytes.toString("utf8")) : undefined;
  if (!record) {
    checks.push({ check: `run record ${runsContainer}/${runName}`, expected: "succeeded", found: runBytes ? "unreadable" : "missing", ok: false, failure: runBytes ? "UNREADABLE" : "MISSING" });
  } else {
    const quarterMap = (key: string): Record<string, unknown> => (record[key] !== null && typeof record[key] === "object" ? (record[key] as Record<string, unknown>) : {});
    checks.push({ check: `run record ${runsContainer}/${runName}`, expected: "succeeded", found: String(record.status ?? "-"), ok: isSuccessful(record), failure: "NOT SUCCEEDED" });
    add("run's quarters include the quarter", label, Array.isArray(record.quarters) && record.quarters.includes(label) ? label : `not in ${JSON.stringify(record.quarters ?? [])}`);
    const recordedSha256 = typeof record.input_sha256 === "string" ? record.input_sha256 : undefined;
    checks.push({ check: "input sha256 (run record)", expected: short(manifest.input.sha256), found: short(recordedSha256), ok: recordedSha256 === manifest.input.sha256 });
    add("input rows (run record rows_read)", manifest.input.rows, record.rows_read);
    add("valid rows (run record)", manifest.counts.valid, quarterMap("valid_by_quarter")[label]);
    add("duplicates (run record)", manifest.counts.duplicates, quarterMap("duplicates_by_quarter")[label]);
    const recorded = quarterMap("quarantined_by_reason");
    const differing = QUARANTINE_REASONS.filter((reason) => recorded[reason] !== manifest.counts.quarantined[reason]);
    const total = QUARANTINE_REASONS.reduce((sum, reason) => sum + manifest.counts.quarantined[reason], 0);
    checks.push({
      check: "quarantined by reason (run record)",
      expected: `${total} in all`,
      found: differing.length === 0 ? `${total} in all` : differing.map((reason) => `${reason} ${String(recorded[reason] ?? "-")} (manifest ${manifest.counts.quarantined[reason]})`).join(", "),
      ok: differing.length === 0,
    });
  }

  // The export partition: exactly the files the run record lists, each with its size and SHA-256.
  const exportPrefix = `${folder}${EXPORT_PREFIX}${quarterKey(quarter)}/`;
  const exportWhere = `${featuresContainer}/${exportPrefix}`;
  const listed = await guarded(featuresContainer, () => listFiles(client(featuresContainer), exportPrefix));
  const dataFiles = new Map<string, BlobItem>();
  for (const item of listed) {
    const name = item.name.slice(exportPrefix.length);
    if (!name.includes("/") && name.endsWith(".parquet") && !name.startsWith("_") && !name.startsWith(".")) dataFiles.set(name, item);
  }
  const exportsByQuarter = record && record.exports !== null && typeof record.exports === "object" ? (record.exports as Record<string, unknown>) : undefined;
  const recordedFiles = Array.isArray(exportsByQuarter?.[label]) ? (exportsByQuarter?.[label] as { file?: unknown; bytes?: unknown; sha256?: unknown }[]) : undefined;
  if (record && !recordedFiles) {
    checks.push({ check: `export ${exportWhere}`, expected: "files listed in the run record", found: "the run record lists none", ok: false, failure: "NOT RECORDED" });
  }
  for (const entry of recordedFiles ?? []) {
    const name = typeof entry.file === "string" ? entry.file : "?";
    const blob = dataFiles.get(name);
    dataFiles.delete(name);
    const expected = `${formatBytes(Number(entry.bytes))}, sha256 ${short(typeof entry.sha256 === "string" ? entry.sha256 : undefined)}`;
    if (!blob) {
      checks.push({ check: `export ${exportPrefix}${name}`, expected, found: "missing", ok: false, failure: "MISSING" });
      continue;
    }
    const actual = await guarded(featuresContainer, () => hashBlob(client(featuresContainer), featuresContainer, blob.name, signal));
    const same = actual.size === entry.bytes && actual.sha256 === entry.sha256;
    checks.push({ check: `export ${exportPrefix}${name}`, expected, found: `${formatBytes(actual.size)}, sha256 ${short(actual.sha256)}`, ok: same, failure: actual.sha256 === entry.sha256 ? "SIZE MISMATCH" : "SHA-256 MISMATCH" });
  }
  for (const name of [...dataFiles.keys()].sort()) {
    checks.push({ check: `export ${exportPrefix}${name}`, expected: "not there (the run did not write it)", found: "present", ok: false, failure: "EXTRA FILE" });
  }

  // The Delta commits the manifest names.
  const totalQuarantined = QUARANTINE_REASONS.reduce((sum, reason) => sum + manifest.counts.quarantined[reason], 0);
  for (const table of MANIFEST_DELTA_TABLE_NAMES) {
    const version = manifest.delta[table];
    const place = MANIFEST_DELTA_TABLES[table] as { container: string; folder: string };
    const container = containers[place.container] ?? place.container;
    const logPrefix = `${folder}${place.folder}${DELTA_LOG}`;
    const commitName = `${logPrefix}${deltaCommitName(version)}`;
    const bytes = await guarded(container, () => download(client(container), commitName, signal));
    const label = `${table} version ${version} (${container}/${folder}${place.folder})`;
    if (!bytes) {
      checks.push({ check: label, expected: `commit ${deltaCommitName(version)}`, found: "not in the log", ok: false, failure: "NO SUCH COMMIT" });
      continue;
    }
    let actions: DeltaAction[];
    try {
      actions = parseDeltaCommit(bytes.toString("utf8"));
    } catch {
      checks.push({ check: label, expected: "a Delta commit", found: "unreadable", ok: false, failure: "UNREADABLE" });
      continue;
    }
    checks.push(deltaCheck(table, label, actions, version, quarter, manifest, totalQuarantined));
  }

  const failed = checks.filter((check) => !check.ok);
  const rows = checks.map((check) => [check.check, check.expected, check.found, check.ok ? "ok" : (check.failure ?? "MISMATCH")]);
  return {
    ready: failed.length === 0,
    quarter: label,
    manifest,
    heading: [
      `ready ${label}: manifest ${where} (run ${manifest.run_id}, published ${manifest.published_at}, schema_version ${manifest.schema_version}, code ${short(manifest.code_version)})`,
      `input ${manifest.input.path} (sha256 ${short(manifest.input.sha256)}); valid ${manifest.counts.valid}, quarantined ${totalQuarantined}, duplicates ${manifest.counts.duplicates}; PostgreSQL ${Object.values(manifest.postgres).join(", ")}`,
    ],
    table: formatTable(["CHECK", "EXPECTED (MANIFEST, RUN RECORD)", "FOUND IN THE LAKE", "STATUS"], rows),
    summary:
      failed.length === 0
        ? `ready: ${label} verified against the lake (${plural(checks.length, "check")}, run ${manifest.run_id})`
        : `NOT READY: ${failed.length} of ${plural(checks.length, "check")} failed for ${label} (run ${manifest.run_id})`,
  };
}

function deltaCheck(table: ManifestDeltaTable, label: string, actions: readonly DeltaAction[], version: number, quarter: Quarter, manifest: QuarterManifest, totalQuarantined: number): Check {
  if (table === "curated.transactions") {
    const { files, rows } = addedRows(actions, quarter);
    if (rows === undefined) return { check: label, expected: `${manifest.counts.valid} rows added to ${quarterKey(quarter)}`, found: `${plural(files, "file")} without row statistics`, ok: false, failure: "NO ROW STATISTICS" };
    return { check: label, expected: `${manifest.counts.valid} rows added to ${quarterKey(quarter)}`, found: `${rows} rows in ${plural(files, "file")}`, ok: rows === manifest.counts.valid };
  }
  if (table === "features.quarterly") {
    const { files } = addedRows(actions, quarter);
    return { check: label, expected: `files added to ${quarterKey(quarter)}`, found: plural(files, "file"), ok: files > 0, failure: "NO FILES FOR THE QUARTER" };
  }
  // ops.quarantine: the commit that replaced the input's rows (its predicate names the input's
  // checksum), or the one that created the table with them.
  const predicate = actions.map((action) => action.commitInfo?.operationParameters?.predicate).find((p) => p !== undefined);
  const replacesInput = typeof predicate === "string" && predicate.includes(manifest.input.sha256);
  if (!replacesInput && version !== 0) {
    return { check: label, expected: `the commit that wrote input ${short(manifest.input.sha256)}'s rows`, found: `a commit for ${typeof predicate === "string" ? predicate.slice(0, 40) : "another operation"}`, ok: false, failure: "NOT THE INPUT'S COMMIT" };
  }
  const { files, rows } = addedRows(actions);
  if (rows === undefined) return { check: label, expected: `${totalQuarantined} rows added`, found: `${plural(files, "file")} without row statistics`, ok: false, failure: "NO ROW STATISTICS" };
  return { check: label, expected: `${totalQuarantined} rows added`, found: `${rows} rows in ${plural(files, "file")}`, ok: rows === totalQuarantined };
}
