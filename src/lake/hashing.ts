/** Streaming MD5 and SHA-256 of files and streams, computed in one pass. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export interface ContentHashes {
  /** Raw 16-byte MD5, as Azure's Content-MD5 property holds it. */
  readonly md5: Buffer;
  /** Lower-case hex SHA-256. */
  readonly sha256: string;
  readonly size: number;
}

/** Hashes everything the stream yields; onChunk sees each chunk's size (for progress). */
export async function hashStream(stream: AsyncIterable<Buffer | string>, onChunk?: (bytes: number) => void): Promise<ContentHashes> {
  const md5 = createHash("md5");
  const sha256 = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    md5.update(buffer);
    sha256.update(buffer);
    size += buffer.length;
    onChunk?.(buffer.length);
  }
  return { md5: md5.digest(), sha256: sha256.digest("hex"), size };
}

export async function hashFile(path: string): Promise<ContentHashes> {
  return hashStream(createReadStream(path, { highWaterMark: 1024 * 1024 }));
}

/** Base64 form of an MD5 as `az storage blob show` prints it; for tables and messages. */
export function md5Base64(md5: Uint8Array | undefined): string {
  return md5 ? Buffer.from(md5).toString("base64") : "-";
}

export function sameMd5(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}
