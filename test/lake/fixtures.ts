/** Shared helpers for the lake CLI tests: temp files, captured progress, lake connections. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { connectToLake, LakeConnection } from "../../src/lake/credentials";
import { startProgress } from "../../src/lake/progress";
import { RunningAzurite, startAzurite } from "./azurite";

export const MiB = 1024 * 1024;

export function connectWith(connectionString: string): Promise<LakeConnection> {
  return connectToLake({ env: { AZURE_STORAGE_CONNECTION_STRING: connectionString } });
}

export class TempDirectory {
  readonly path = mkdtempSync(join(tmpdir(), "lake-test-"));
  file(name: string, content: string | Buffer): string {
    const path = join(this.path, name);
    writeFileSync(path, content);
    return path;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A CSV in the bank export's shape, `rows` data rows long; `seed` changes the values. */
export function bankCsv(rows: number, seed = 1): string {
  const domains = ["RESTRAUNT", "INVESTMENTS", "RETAIL", "INTERNATIONAL", "PUBLIC", "MEDICAL", "EDUCATION"];
  const lines = ["Date,Domain,Location,Value,Transaction_count"];
  for (let i = 0; i < rows; i++) {
    lines.push(`1/${(i % 28) + 1}/2022,${domains[(i + seed) % domains.length]},Bhuj,${(i * 7919 + seed) % 1000000},${(i % 2000) + 1}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Random bytes that do not compress or repeat, for multi-block uploads. */
export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** Collects the plain-text progress lines a transfer prints. */
export class CapturedProgress {
  readonly lines: string[] = [];
  private readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      this.lines.push(...chunk.toString().split("\n").filter((line) => line !== ""));
      callback();
    },
  });
  readonly factory = (label: string, totalBytes: number) => startProgress({ label, totalBytes, stream: this.stream, interactive: false });
}

/** Unique, valid container names so tests sharing one Azurite do not see each other's blobs. */
let containerCounter = 0;
export function uniqueContainerName(purpose: string): string {
  containerCounter += 1;
  return `${purpose}-${process.pid}-${containerCounter}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63);
}

/** What a suite against Azurite works with; filled by the hooks of {@link useAzuriteLake}. */
export interface AzuriteLake {
  azurite: RunningAzurite;
  lake: LakeConnection;
  /** A fresh temporary directory per test. */
  temp: TempDirectory;
}

/** Starts Azurite for the suite and a temporary directory for each test, and cleans both up. */
export function useAzuriteLake(): AzuriteLake {
  const context = {} as AzuriteLake;
  beforeAll(async () => {
    context.azurite = await startAzurite();
    context.lake = await connectWith(context.azurite.connectionString);
  });
  afterAll(async () => {
    await context.azurite?.stop();
  });
  beforeEach(() => {
    context.temp = new TempDirectory();
  });
  afterEach(() => context.temp.remove());
  return context;
}
