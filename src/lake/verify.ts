/**
 * `lake verify`: checks what is in the lake.
 *
 * Landed files (any container but curated and features): every blob under the prefix is downloaded
 * and hashed; its MD5 must equal the blob's Content-MD5 property and its SHA-256 must equal the
 * `sha256` metadata that `land` recorded. A blob missing either record fails too.
 *
 * Partitioned areas (the curated Delta table `transactions/`, the features' Parquet export
 * `export/`): the `year=YYYY/quarter=Q`
 * partitions present are compared with the latest successful run record in curated `_runs/`:
 * each quarter the run should have written must exist and hold at least one non-empty `.parquet`
 * file; partitions the run did not write are reported as extra, and fail only with `--strict`
 * (earlier quarters from earlier runs normally stay). The record's row accounting must hold.
 * The ETL's `_staging/` and `_backup/` directories and Spark's `_temporary/` are not partitions.
 * A Delta table (curated `transactions/`, features `quarterly/`) must also have a commit in its
 * `_delta_log/`; its listing may still hold files of earlier versions, which only a Delta reader
 * tells apart, so for the features readers verify and pull the plain-Parquet `export/`.
 */
import { basename } from "node:path";
import type { BlobItem, ContainerClient } from "@azure/storage-blob";
import type { LakeConnection } from "./credentials";
import { ExitCode, LakeError, toLakeError, type ErrorContext } from "./errors";
import { formatBytes, formatTable } from "./format";
import { type ContentHashes, hashStream, md5Base64, sameMd5 } from "./hashing";
import { listFiles } from "./listing";
import { DELTA_LOG, DELTA_TABLES, PARTITIONED_AREAS, RUNS_CONTAINER, RUNS_PREFIX, SHA256_METADATA_KEY, normalisePrefix } from "./layout";
import type { ProgressReporter } from "./progress";
import {
  accountingHolds, compareQuarters, expectedPartitions, latestSuccessfulRun, parseQuarter, parseRunRecord, quarterKey, Quarter, RunRecord,
} from "./run-records";

export interface VerifyOptions {
  readonly container: string;
  readonly prefix: string;
  /** Where run records live. @default RUNS_CONTAINER / RUNS_PREFIX */
  readonly runsContainer?: string;
  readonly runsPrefix?: string;
  /**
   * "files" checks hashes of landed files, "partitions" checks year=/quarter= partitions against
   * the latest run record; "auto" picks partitions for curated and features, files otherwise.
   * @default "auto"
   */
  readonly mode?: VerifyMode;
  /** Fail on partitions the latest run did not write. @default false */
  readonly strict?: boolean;
  readonly abortSignal?: AbortSignal;
  readonly progress?: (label: string, totalBytes: number) => ProgressReporter;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Lines printed before the table (what was checked against what). */
  readonly heading: string[];
  readonly table: string;
  /** One-line outcome. */
  readonly summary: string;
}

export type VerifyMode = "auto" | "files" | "partitions";
export const VERIFY_MODES: readonly VerifyMode[] = ["auto", "files", "partitions"];

export function isPartitionedArea(container: string): boolean {
  return PARTITIONED_AREAS[container] !== undefined;
}

/** Default prefix of verify per container: the area's root for curated/features, the given landing prefix otherwise. */
export function defaultVerifyPrefix(container: string, landingPrefix: string): string {
  return PARTITIONED_AREAS[container] ?? landingPrefix;
}

async function listOrExplain(container: ContainerClient, prefix: string, context: ErrorContext): Promise<BlobItem[]> {
  try {
    return await listFiles(container, prefix);
  } catch (error) {
    throw toLakeError(error, context);
  }
}

/** Downloads a blob as a stream and hashes it (MD5, SHA-256, size) without keeping it; onChunk sees each chunk's size. */
export async function hashBlob(container: ContainerClient, containerName: string, name: string, signal: AbortSignal | undefined, onChunk?: (bytes: number) => void): Promise<ContentHashes> {
  const response = await container.getBlobClient(name).download(0, undefined, { abortSignal: signal, maxRetryRequests: 3 });
  if (!response.readableStreamBody) throw new LakeError(`The service returned no content for ${containerName}/${name}`, ExitCode.transfer);
  return hashStream(response.readableStreamBody as NodeJS.ReadableStream & AsyncIterable<Buffer>, onChunk);
}

export async function verify(connection: LakeConnection, options: VerifyOptions): Promise<VerifyReport> {
  const mode = options.mode ?? "auto";
  const partitioned = mode === "partitions" || (mode === "auto" && isPartitionedArea(options.container));
  return partitioned ? verifyPartitions(connection, options) : verifyLandedFiles(connection, options);
}

// ---------------------------------------------------------------- landed files

type FileStatus = "ok" | "MD5 MISMATCH" | "SHA-256 MISMATCH" | "MD5+SHA-256 MISMATCH" | "NO RECORDED HASH";

async function verifyLandedFiles(connection: LakeConnection, options: VerifyOptions): Promise<VerifyReport> {
  const context: ErrorContext = { authMode: connection.authMode, accountName: connection.accountName, container: options.container };
  const prefix = normalisePrefix(options.prefix);
  const container = connection.service.getContainerClient(options.container);
  const blobs = await listOrExplain(container, prefix, context);
  const where = `${options.container}/${prefix}`;
  if (blobs.length === 0) throw new LakeError(`Nothing to verify: no blobs under ${where}; land a file first or check --container and --prefix`, ExitCode.notFound);

  const totalBytes = blobs.reduce((sum, blob) => sum + (blob.properties.contentLength ?? 0), 0);
  const progress = options.progress?.(`verify ${where}`, totalBytes);
  const rows: string[][] = [];
  let failures = 0;
  let hashedBytes = 0;
  try {
    for (const blob of blobs) {
      const actual = await hashBlob(container, options.container, blob.name, options.abortSignal, (bytes) => {
        hashedBytes += bytes;
        progress?.update(hashedBytes);
      });
      const recordedMd5 = blob.properties.contentMD5;
      const recordedSha256 = blob.metadata?.[SHA256_METADATA_KEY];
      let status: FileStatus;
      if (recordedMd5 === undefined || recordedSha256 === undefined) status = "NO RECORDED HASH";
      else {
        const md5Ok = sameMd5(recordedMd5, actual.md5);
        const shaOk = recordedSha256 === actual.sha256;
        status = md5Ok && shaOk ? "ok" : !md5Ok && !shaOk ? "MD5+SHA-256 MISMATCH" : md5Ok ? "SHA-256 MISMATCH" : "MD5 MISMATCH";
      }
      if (status !== "ok") failures += 1;
      rows.push([blob.name, formatBytes(actual.size), md5Base64(recordedMd5), recordedSha256 ? `${recordedSha256.slice(0, 12)}…` : "-", status]);
    }
    progress?.stop(true);
  } catch (error) {
    progress?.stop(false);
    throw toLakeError(error, context);
  }
  return {
    ok: failures === 0,
    heading: [`verify ${where}: content hashed and compared with each blob's Content-MD5 and sha256 metadata`],
    table: formatTable(["BLOB", "SIZE", "CONTENT-MD5", "SHA-256", "STATUS"], rows),
    summary: failures === 0 ? `ok: ${blobs.length} blob(s) match their recorded hashes` : `FAILED: ${failures} of ${blobs.length} blob(s) do not match their recorded hashes`,
  };
}

// ---------------------------------------------------------------- partitions

interface PartitionContents {
  readonly quarter: Quarter;
  parquetFiles: number;
  bytes: number;
}

/** Data files only: Spark's markers (_SUCCESS, _committed_*, .crc) and other names are not data. */
function isParquetData(item: BlobItem): boolean {
  const name = basename(item.name);
  return name.endsWith(".parquet") && !name.startsWith("_") && !name.startsWith(".");
}

/**
 * The partition a blob belongs to, or undefined. Paths through a directory whose name starts with
 * "_" or "." are not data: the ETL stages under `_staging/<run_id>/` and keeps backups under
 * `_backup/<run_id>/` during its write-then-swap, and Spark writes `_temporary/`.
 */
function partitionOf(blobName: string): Quarter | undefined {
  const directories = blobName.split("/").slice(0, -1);
  if (directories.some((segment) => segment.startsWith("_") || segment.startsWith("."))) return undefined;
  const yearAt = directories.findIndex((segment) => /^year=\d{4}$/.test(segment));
  if (yearAt < 0 || yearAt + 1 >= directories.length) return undefined;
  return parseQuarter(`${directories[yearAt]}/${directories[yearAt + 1]}/`);
}

/** Groups the blobs under an area by their `year=YYYY/quarter=Q` partition. */
export function partitionsOf(items: readonly BlobItem[]): Map<string, PartitionContents> {
  const partitions = new Map<string, PartitionContents>();
  for (const item of items) {
    const quarter = partitionOf(item.name);
    if (!quarter) continue;
    const key = quarterKey(quarter);
    const contents = partitions.get(key) ?? { quarter, parquetFiles: 0, bytes: 0 };
    const size = item.properties.contentLength ?? 0;
    if (isParquetData(item) && size > 0) {
      contents.parquetFiles += 1;
      contents.bytes += size;
    }
    partitions.set(key, contents);
  }
  return partitions;
}

async function readRunRecords(connection: LakeConnection, containerName: string, prefix: string, signal: AbortSignal | undefined): Promise<RunRecord[]> {
  const context: ErrorContext = { authMode: connection.authMode, accountName: connection.accountName, container: containerName };
  const container = connection.service.getContainerClient(containerName);
  const items = (await listOrExplain(container, prefix, context)).filter((item) => item.name.endsWith(".json"));
  const records: RunRecord[] = [];
  try {
    for (const item of items) {
      const buffer = await container.getBlobClient(item.name).downloadToBuffer(0, undefined, { abortSignal: signal });
      const record = parseRunRecord(buffer.toString("utf8"));
      if (record) records.push(record);
    }
  } catch (error) {
    throw toLakeError(error, context);
  }
  return records;
}

async function verifyPartitions(connection: LakeConnection, options: VerifyOptions): Promise<VerifyReport> {
  const context: ErrorContext = { authMode: connection.authMode, accountName: connection.accountName, container: options.container };
  const prefix = normalisePrefix(options.prefix);
  const runsContainer = options.runsContainer ?? RUNS_CONTAINER;
  const runsPrefix = normalisePrefix(options.runsPrefix ?? RUNS_PREFIX);
  const where = `${options.container}/${prefix}`;

  const records = await readRunRecords(connection, runsContainer, runsPrefix, options.abortSignal);
  const latest = latestSuccessfulRun(records);
  if (!latest) {
    throw new LakeError(`No successful run record under ${runsContainer}/${runsPrefix} (${records.length} record(s) read); run the quarterly ETL first, or pass --runs-container/--runs-prefix`, ExitCode.notFound);
  }
  const expected = expectedPartitions(latest, options.container);
  const listed = await listOrExplain(connection.service.getContainerClient(options.container), prefix, context);
  const present = partitionsOf(listed);
  const isDeltaTable = (DELTA_TABLES[options.container] ?? []).includes(prefix);
  const deltaCommits = listed.filter((item) => item.name.startsWith(`${prefix}${DELTA_LOG}`) && item.name.endsWith(".json")).length;

  const expectedKeys = new Set((expected.quarters ?? [...present.values()].map((p) => p.quarter)).map(quarterKey));
  const allQuarters = new Map<string, Quarter>();
  for (const q of expected.quarters ?? []) allQuarters.set(quarterKey(q), q);
  for (const [key, contents] of present) allQuarters.set(key, contents.quarter);

  const rows: string[][] = [];
  let failures = 0;
  for (const quarter of [...allQuarters.values()].sort(compareQuarters)) {
    const key = quarterKey(quarter);
    const contents = present.get(key);
    let status: string;
    if (!expectedKeys.has(key)) {
      status = options.strict ? "EXTRA (not written by this run)" : "extra (not written by this run)";
      if (options.strict) failures += 1;
    } else if (!contents) {
      status = "MISSING";
      failures += 1;
    } else if (contents.parquetFiles === 0) {
      status = "EMPTY (no .parquet data)";
      failures += 1;
    } else status = "ok";
    rows.push([`${prefix}${key}/`, String(contents?.parquetFiles ?? 0), formatBytes(contents?.bytes ?? 0), status]);
  }
  if (expectedKeys.size === 0) failures += 1;

  const accounting = accountingHolds(latest);
  if (accounting === false) failures += 1;
  if (isDeltaTable && deltaCommits === 0) failures += 1;
  const heading = [
    `verify ${where}: partitions against run ${latest.run_id} (status ${latest.status}, finished ${latest.finished_at ?? "?"})`,
    `expected quarters from ${expected.source}: ${expected.quarters ? expected.quarters.map((q) => `${q.year}-Q${q.quarter}`).join(", ") : "-"}`,
    `row accounting (rows_read = valid + quarantined + duplicate + out_of_scope): ${accounting === undefined ? "not recorded" : accounting ? "holds" : "DOES NOT HOLD"}`,
    ...(isDeltaTable ? [`Delta table: ${deltaCommits === 0 ? `NO COMMIT under ${prefix}${DELTA_LOG}` : `${deltaCommits} commit(s) in ${prefix}${DELTA_LOG}`}`] : []),
  ];
  const table = rows.length > 0 ? formatTable(["PARTITION", "FILES", "SIZE", "STATUS"], rows) : `(no year=/quarter= partitions under ${where})`;
  return {
    ok: failures === 0,
    heading,
    table,
    summary: failures === 0 ? `ok: ${expectedKeys.size} partition(s) match run ${latest.run_id}` : `FAILED: ${failures} problem(s) against run ${latest.run_id}`,
  };
}
