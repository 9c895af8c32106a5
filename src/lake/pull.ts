/**
 * `lake pull`: downloads a partition tree (for example one quarter's features) for the ML
 * application. Blob names keep their full path under --to, so `year=/quarter=` directories stay
 * readable by any Parquet reader's partition discovery, and pulls of several quarters compose.
 *
 * A local file with the same MD5 as the blob's Content-MD5 is skipped. Blobs without a Content-MD5
 * (Spark writes through ABFS do not set one) are always downloaded. Each file is written to a
 * `.lake-partial` sibling and renamed when complete and checked, so an interrupted pull never
 * leaves a truncated file under the final name.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash } from "node:crypto";
import type { BlobItem, ContainerClient } from "@azure/storage-blob";
import type { LakeConnection } from "./credentials";
import { ExitCode, LakeError, toLakeError, type ErrorContext } from "./errors";
import { formatBytes, formatDuration, formatRate } from "./format";
import { hashFile, md5Base64, sameMd5 } from "./hashing";
import { listFiles } from "./listing";
import { normalisePrefix } from "./layout";
import type { ProgressReporter } from "./progress";

export const DEFAULT_PULL_CONCURRENCY = 4;
export const PARTIAL_SUFFIX = ".lake-partial";

export interface PullOptions {
  readonly container: string;
  readonly prefix: string;
  readonly to: string;
  /** Files downloaded at once. @default DEFAULT_PULL_CONCURRENCY */
  readonly concurrency?: number;
  readonly abortSignal?: AbortSignal;
  readonly progress?: (label: string, totalBytes: number) => ProgressReporter;
}

export interface PullResult {
  readonly container: string;
  readonly prefix: string;
  readonly to: string;
  readonly downloaded: string[];
  readonly skipped: string[];
  readonly downloadedBytes: number;
  readonly durationMs: number;
}

/** The local path for a blob, refusing names that would escape the target directory. */
export function localPathFor(targetDirectory: string, blobName: string): string {
  const root = resolve(targetDirectory);
  const path = resolve(root, ...blobName.split("/"));
  if (path === root || !path.startsWith(root + sep)) {
    throw new LakeError(`Refusing to write blob "${blobName}" outside ${targetDirectory}`, ExitCode.mismatch);
  }
  return path;
}

async function isUnchangedLocally(path: string, blob: BlobItem): Promise<boolean> {
  if (!blob.properties.contentMD5) return false;
  try {
    const stats = await stat(path);
    if (!stats.isFile() || stats.size !== blob.properties.contentLength) return false;
  } catch {
    return false;
  }
  return sameMd5((await hashFile(path)).md5, blob.properties.contentMD5);
}

async function downloadBlob(container: ContainerClient, blob: BlobItem, path: string, signal: AbortSignal | undefined, onBytes: (bytes: number) => void): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}${PARTIAL_SUFFIX}`;
  const md5 = createHash("md5");
  try {
    const response = await container.getBlobClient(blob.name).download(0, undefined, { abortSignal: signal, maxRetryRequests: 3 });
    if (!response.readableStreamBody) throw new LakeError(`The service returned no content for ${blob.name}`, ExitCode.transfer);
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        onBytes(chunk.length);
        callback(null, chunk);
      },
    });
    await pipeline(response.readableStreamBody, hashing, createWriteStream(partial), { signal });
    const expected = blob.properties.contentMD5;
    if (expected && !sameMd5(md5.digest(), expected)) {
      throw new LakeError(`Downloaded ${blob.name} does not match its Content-MD5 ${md5Base64(expected)}; run pull again`, ExitCode.mismatch);
    }
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
}

/** Runs tasks with at most `limit` in flight; stops starting new ones after the first failure. */
async function runLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
}

export async function pull(connection: LakeConnection, options: PullOptions): Promise<PullResult> {
  const startedAt = Date.now();
  const context: ErrorContext = { authMode: connection.authMode, accountName: connection.accountName, container: options.container };
  const prefix = normalisePrefix(options.prefix);
  const container = connection.service.getContainerClient(options.container);
  let blobs: BlobItem[];
  try {
    blobs = await listFiles(container, prefix);
  } catch (error) {
    throw toLakeError(error, context);
  }
  if (blobs.length === 0) {
    throw new LakeError(`Nothing to pull: no blobs under ${options.container}/${prefix}; check --container and --prefix (e.g. export/year=2022/quarter=3/)`, ExitCode.notFound);
  }
  const planned = blobs.map((blob) => ({ blob, path: localPathFor(options.to, blob.name) }));

  const downloaded: string[] = [];
  const skipped: string[] = [];
  const toDownload: typeof planned = [];
  for (const entry of planned) {
    if (await isUnchangedLocally(entry.path, entry.blob)) skipped.push(entry.blob.name);
    else toDownload.push(entry);
  }
  const totalBytes = toDownload.reduce((sum, { blob }) => sum + (blob.properties.contentLength ?? 0), 0);
  const progress = toDownload.length > 0 ? options.progress?.(`pull ${options.container}/${prefix}`, totalBytes) : undefined;
  let transferred = 0;
  try {
    await runLimited(toDownload, options.concurrency ?? DEFAULT_PULL_CONCURRENCY, async ({ blob, path }) => {
      await downloadBlob(container, blob, path, options.abortSignal, (bytes) => {
        transferred += bytes;
        progress?.update(transferred);
      });
      downloaded.push(blob.name);
    });
    progress?.stop(true);
  } catch (error) {
    progress?.stop(false);
    if (options.abortSignal?.aborted || (error instanceof Error && error.name === "AbortError")) {
      throw new LakeError(`Pull interrupted after ${downloaded.length} of ${toDownload.length} file(s); completed files are in place and no partial file was left; run the same command again to fetch the rest`, ExitCode.interrupted, { cause: error });
    }
    throw toLakeError(error, context);
  }
  return { container: options.container, prefix, to: options.to, downloaded: downloaded.sort(), skipped, downloadedBytes: transferred, durationMs: Date.now() - startedAt };
}

export function describePullResult(result: PullResult): string {
  return `pulled ${result.downloaded.length} file(s) (${formatBytes(result.downloadedBytes)}) from ${result.container}/${result.prefix} to ${result.to}, skipped ${result.skipped.length} unchanged, ${formatDuration(result.durationMs)}${result.downloadedBytes > 0 ? ` at ${formatRate(result.downloadedBytes, result.durationMs)}` : ""}`;
}

