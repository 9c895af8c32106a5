/**
 * `lake land`: puts a source file into the landing container, where the quarterly job reads it.
 *
 * Why the final blob name is never half-written: the file goes up as a block blob. Files larger
 * than one block are sent as parallel Put Block calls; staged blocks are *uncommitted* and
 * invisible to readers, and the blob under the final name changes only when the single
 * Put Block List call commits them, atomically. A smaller file is one Put Blob call, which is
 * equally all-or-nothing. So an interrupted or failed upload leaves the previous blob (or no blob)
 * untouched, and the quarterly job never reads a partial file. We chose this over "upload to a
 * temporary name, then server-side copy" because it needs no clean-up of temporary blobs, no
 * extra copy of 30 MB per year, and no polling of an asynchronous copy.
 *
 * Restart, not resume: running the command again uploads the file again from the start. The SDK
 * names blocks with a fresh random prefix each time; blocks left over from the interrupted
 * attempt are discarded by the next successful commit (or by the service after seven days).
 */
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { BlobGetPropertiesResponse, BlockBlobClient } from "@azure/storage-blob";
import type { LakeConnection } from "./credentials";
import { ExitCode, LakeError, toLakeError } from "./errors";
import { formatBytes, formatDuration, formatRate } from "./format";
import { ContentHashes, hashFile, md5Base64, sameMd5 } from "./hashing";
import { contentTypeFor, JOB_INPUT_EXTENSIONS, normalisePrefix, SHA256_METADATA_KEY } from "./layout";
import type { ProgressReporter } from "./progress";

export const DEFAULT_BLOCK_SIZE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_UPLOAD_CONCURRENCY = 4;

export interface LandOptions {
  readonly file: string;
  readonly container: string;
  readonly prefix: string;
  /** @default DEFAULT_BLOCK_SIZE_BYTES */
  readonly blockSizeBytes?: number;
  /** Blocks in flight at once. @default DEFAULT_UPLOAD_CONCURRENCY */
  readonly concurrency?: number;
  /** Create the container when it is missing (for Azurite; the real lake's containers come from LakeStorage). @default false */
  readonly createContainer?: boolean;
  /** Cancels the upload (Ctrl-C); nothing is committed. */
  readonly abortSignal?: AbortSignal;
  /** Creates the progress display for the upload. */
  readonly progress?: (label: string, totalBytes: number) => ProgressReporter;
  /** Receives warnings (stderr in the CLI). */
  readonly warn?: (message: string) => void;
}

export interface LandResult {
  readonly status: "uploaded" | "skipped";
  readonly container: string;
  readonly blobName: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Base64 Content-MD5 as the service reports it. */
  readonly contentMd5: string;
  readonly contentType: string;
  /** Number of blocks uploaded (1 for a single Put Blob, 0 when skipped). */
  readonly blocks: number;
  /** Whole command: hashing, checks and upload. */
  readonly durationMs: number;
  /** The upload alone (0 when skipped); the throughput figure uses this. */
  readonly uploadMs: number;
}

/** Size and modification time; compared before and after the upload to catch a file that changed meanwhile. */
interface FileVersion {
  readonly size: number;
  readonly modifiedMs: number;
}

async function localFileVersion(file: string): Promise<FileVersion> {
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new LakeError(`Not a file: ${file}; land takes one CSV or XLSX file`, ExitCode.usage);
    return { size: stats.size, modifiedMs: stats.mtimeMs };
  } catch (error) {
    if (error instanceof LakeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new LakeError(`File not found: ${file}; check the path (land takes the bank transactions CSV or XLSX export)`, ExitCode.usage);
    if (code === "EACCES") throw new LakeError(`Cannot read ${file}: permission denied`, ExitCode.usage);
    throw error;
  }
}

async function existingProperties(blob: BlockBlobClient): Promise<BlobGetPropertiesResponse | undefined> {
  try {
    return await blob.getProperties();
  } catch (error) {
    const restError = error as { statusCode?: number; details?: { errorCode?: string } };
    if (restError.statusCode === 404 && restError.details?.errorCode !== "ContainerNotFound") return undefined;
    throw error;
  }
}

function isUnchanged(properties: BlobGetPropertiesResponse | undefined, hashes: ContentHashes): boolean {
  return (
    properties !== undefined &&
    properties.contentLength === hashes.size &&
    properties.metadata?.[SHA256_METADATA_KEY] === hashes.sha256 &&
    sameMd5(properties.contentMD5, hashes.md5)
  );
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === "AbortError");
}

/** Lands one file; see the module comment for the guarantees. */
export async function landFile(connection: LakeConnection, options: LandOptions): Promise<LandResult> {
  const startedAt = Date.now();
  const container = options.container;
  const context = { authMode: connection.authMode, accountName: connection.accountName, container, writes: true };
  const blockSize = options.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES;
  const before = await localFileVersion(options.file);
  const sizeBytes = before.size;
  if (sizeBytes === 0) throw new LakeError(`${options.file} is empty; the quarterly job needs a header row and data`, ExitCode.usage);
  if (!JOB_INPUT_EXTENSIONS.includes(extname(options.file).toLowerCase())) {
    options.warn?.(`warning: ${basename(options.file)} is not .csv or .xlsx; the quarterly job only reads those`);
  }

  const blobName = `${normalisePrefix(options.prefix)}${basename(options.file)}`;
  const contentType = contentTypeFor(options.file);
  const containerClient = connection.service.getContainerClient(container);
  const blob = containerClient.getBlockBlobClient(blobName);
  const hashes = await hashFile(options.file);

  let existing: BlobGetPropertiesResponse | undefined;
  try {
    if (options.createContainer) await containerClient.createIfNotExists();
    existing = await existingProperties(blob);
  } catch (error) {
    throw toLakeError(error, context);
  }
  if (isUnchanged(existing, hashes)) {
    return { status: "skipped", container, blobName, sizeBytes, sha256: hashes.sha256, contentMd5: md5Base64(hashes.md5), contentType, blocks: 0, durationMs: Date.now() - startedAt, uploadMs: 0 };
  }

  const blocks = Math.max(1, Math.ceil(sizeBytes / blockSize));
  const progress = options.progress?.(`upload ${basename(options.file)}`, sizeBytes);
  let uploadedBytes = 0;
  const uploadStartedAt = Date.now();
  try {
    await blob.uploadFile(options.file, {
      blockSize,
      // Anything larger than one block goes up as parallel blocks (the SDK default would send
      // files up to 256 MiB in a single request, without parallelism or per-block retries).
      maxSingleShotSize: blockSize,
      concurrency: options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
      blobHTTPHeaders: { blobContentType: contentType, blobContentMD5: hashes.md5 },
      metadata: { [SHA256_METADATA_KEY]: hashes.sha256 },
      abortSignal: options.abortSignal,
      onProgress: (event) => {
        uploadedBytes = event.loadedBytes;
        progress?.update(event.loadedBytes);
      },
    });
    progress?.stop(true);
  } catch (error) {
    progress?.stop(false);
    const target = `${container}/${blobName}`;
    if (isAbort(error, options.abortSignal)) {
      throw new LakeError(
        `Upload of ${basename(options.file)} interrupted after ${formatBytes(uploadedBytes)} of ${formatBytes(sizeBytes)}; nothing was committed, so ${target} is unchanged; run the same command again to restart the upload`,
        ExitCode.interrupted,
        { cause: error },
      );
    }
    const lakeError = toLakeError(error, context);
    if (lakeError.exitCode !== ExitCode.transfer) throw lakeError;
    throw new LakeError(`${lakeError.message}; the upload was not committed, so ${target} is unchanged; run the same command again to restart it`, lakeError.exitCode, { cause: error });
  }

  const uploadMs = Date.now() - uploadStartedAt;
  const after = await localFileVersion(options.file);
  if (after.size !== before.size || after.modifiedMs !== before.modifiedMs) {
    throw new LakeError(`${options.file} changed while it was being landed; ${container}/${blobName} may not match its recorded hashes, so run land again once the file is complete`, ExitCode.mismatch);
  }
  // The service's view of the committed blob must match the local file.
  let committed: BlobGetPropertiesResponse;
  try {
    committed = await blob.getProperties();
  } catch (error) {
    throw toLakeError(error, context);
  }
  if (!sameMd5(committed.contentMD5, hashes.md5) || committed.contentLength !== sizeBytes || committed.metadata?.[SHA256_METADATA_KEY] !== hashes.sha256) {
    throw new LakeError(
      `After upload, ${container}/${blobName} reports Content-MD5 ${md5Base64(committed.contentMD5)} and ${committed.contentLength ?? "?"} bytes, but the local file has ${md5Base64(hashes.md5)} and ${sizeBytes} bytes; did the file change during the upload? Run land again`,
      ExitCode.mismatch,
    );
  }
  return { status: "uploaded", container, blobName, sizeBytes, sha256: hashes.sha256, contentMd5: md5Base64(committed.contentMD5), contentType, blocks, durationMs: Date.now() - startedAt, uploadMs };
}

/** The one-line summary the CLI prints for a land result. */
export function describeLandResult(result: LandResult, file: string): string {
  const target = `${result.container}/${result.blobName}`;
  if (result.status === "skipped") {
    return `skipped unchanged ${basename(file)}: ${target} already has sha256 ${result.sha256} (${formatBytes(result.sizeBytes)}); nothing uploaded`;
  }
  const blocks = result.blocks === 1 ? "1 request" : `${result.blocks} blocks`;
  return `uploaded ${basename(file)} to ${target} (${formatBytes(result.sizeBytes)} in ${blocks}, upload ${formatDuration(result.uploadMs)} at ${formatRate(result.sizeBytes, result.uploadMs)}); Content-MD5 ${result.contentMd5} verified, sha256 ${result.sha256}`;
}
