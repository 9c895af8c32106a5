/**
 * A lake laid out as a successful quarterly run of 2022-Q3 leaves it: the quarter manifest, its run
 * record, the export partition and the three Delta tables' commits, in containers of its own. Used
 * by the in-process `ready` tests and by the `lake ready` process tests.
 */
import type { BlobServiceClient } from "@azure/storage-blob";
import { createHash } from "node:crypto";
import type { QuarterManifest } from "../../src/lake/manifest";
import { deltaCommitName, type ReadyOptions } from "../../src/lake/ready";
import { uniqueContainerName } from "./fixtures";

export const RUN_ID = "20261001T020000Z-5f3a1b2c";
export const INPUT_SHA256 = createHash("sha256").update("the landed file").digest("hex");
export const PARQUET = Buffer.from("PAR1 the quarter's features, as the export writes them PAR1");
export const EXPORT_FILE = "part-00000-9b2d4e6f-0c1a-4b8e-9d3f-2a1b0c9d8e7f.c000.snappy.parquet";
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

export function sampleManifest(changes: Partial<Record<keyof QuarterManifest, unknown>> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    quarter: "2022-Q3",
    run_id: RUN_ID,
    published_at: "2026-10-01T02:06:41.870123Z",
    input: { path: "abfss://landing@stbankprod.dfs.core.windows.net/bank/transactions/bankdataset.csv", sha256: INPUT_SHA256, rows: 1000 },
    counts: { valid: 240, quarantined: { malformed: 1, bad_date: 3, bad_domain: 0, bad_location: 0, bad_value: 2, bad_transaction_count: 0 }, duplicates: 4 },
    delta: { "curated.transactions": 5, "features.quarterly": 5, "ops.quarantine": 7 },
    postgres: { "bank.transactions": "bank.transactions_2022_q3" },
    code_version: "c".repeat(64),
    ...changes,
  };
}

export function runRecord(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    run_id: RUN_ID,
    scope: "2022-Q3",
    status: "succeeded",
    started_at: "2026-10-01T02:00:00+00:00",
    finished_at: "2026-10-01T02:06:41.870123+00:00",
    input_uri: "abfss://landing@stbankprod.dfs.core.windows.net/bank/transactions/bankdataset.csv",
    input_sha256: INPUT_SHA256,
    rows_read: 1000,
    rows_valid: 240,
    rows_quarantined: 6,
    rows_duplicate: 4,
    rows_out_of_scope: 750,
    quarters: ["2022-Q3"],
    quarantined_by_reason: { malformed: 1, bad_date: 3, bad_domain: 0, bad_location: 0, bad_value: 2, bad_transaction_count: 0 },
    valid_by_quarter: { "2022-Q3": 240 },
    duplicates_by_quarter: { "2022-Q3": 4 },
    exports: { "2022-Q3": [{ file: EXPORT_FILE, bytes: PARQUET.length, sha256: sha256(PARQUET) }] },
    ...changes,
  };
}

/** A Delta commit as newline-delimited actions: commitInfo, then one add per [partition, rows]. */
export function deltaCommit(predicate: string | undefined, adds: [Record<string, string>, number | undefined][]): string {
  const commitInfo = { commitInfo: { timestamp: 1790820401870, operation: "WRITE", operationParameters: { mode: "Overwrite", partitionBy: "[]", ...(predicate ? { predicate: JSON.stringify([predicate]) } : {}) }, userMetadata: RUN_ID } };
  const actions = adds.map(([partitionValues, rows], index) => ({
    add: { path: `part-${index}.snappy.parquet`, partitionValues, size: 1000, modificationTime: 1790820401000, dataChange: true, stats: rows === undefined ? undefined : JSON.stringify({ numRecords: rows, minValues: {}, maxValues: {}, nullCount: {} }) },
  }));
  return [commitInfo, { remove: { path: "old.parquet", deletionTimestamp: 1, dataChange: true } }, ...actions].map((action) => JSON.stringify(action)).join("\n") + "\n";
}

export interface FixtureLake {
  readonly features: string;
  readonly curated: string;
  readonly quarantine: string;
  readonly prefix: string;
  readonly options: ReadyOptions;
  upload(container: string, name: string, content: string | Buffer): Promise<void>;
  remove(container: string, name: string): Promise<void>;
}

/** A lake as a successful run of 2022-Q3 leaves it, in containers of its own. */
export async function publishedLake(service: BlobServiceClient, prefix = ""): Promise<FixtureLake> {
  const [features, curated, quarantine] = ["features", "curated", "quarantine"].map(uniqueContainerName);
  for (const name of [features, curated, quarantine]) await service.createContainer(name as string);
  const lake: FixtureLake = {
    features: features as string,
    curated: curated as string,
    quarantine: quarantine as string,
    prefix,
    options: { quarter: "2022-Q3", featuresContainer: features, curatedContainer: curated, quarantineContainer: quarantine, lakePathPrefix: prefix },
    async upload(container, name, content) {
      const body = typeof content === "string" ? Buffer.from(content) : content;
      await service.getContainerClient(container).getBlockBlobClient(`${prefix}${name}`).upload(body, body.length);
    },
    async remove(container, name) {
      await service.getContainerClient(container).deleteBlob(`${prefix}${name}`);
    },
  };
  const q3 = { year: "2022", quarter: "3" };
  await lake.upload(lake.features, "export/_manifests/2022Q3.json", JSON.stringify(sampleManifest(), null, 2));
  await lake.upload(lake.features, `export/year=2022/quarter=3/${EXPORT_FILE}`, PARQUET);
  await lake.upload(lake.features, `export/year=2022/quarter=3/.${EXPORT_FILE}.crc`, "crc");
  await lake.upload(lake.features, "export/year=2022/quarter=2/part-00000-older.c000.snappy.parquet", PARQUET);
  await lake.upload(lake.features, `quarterly/_delta_log/${deltaCommitName(5)}`, deltaCommit("((year = 2022 AND quarter = 3))", [[q3, 70]]));
  await lake.upload(lake.curated, `_runs/${RUN_ID}.json`, JSON.stringify(runRecord()));
  await lake.upload(lake.curated, `transactions/_delta_log/${deltaCommitName(4)}`, deltaCommit(undefined, [[q3, 1]]));
  await lake.upload(lake.curated, `transactions/_delta_log/${deltaCommitName(5)}`, deltaCommit("((year = 2022 AND quarter = 3))", [[q3, 200], [q3, 40]]));
  await lake.upload(lake.quarantine, `rows/_delta_log/${deltaCommitName(7)}`, deltaCommit(`(input_sha256 = '${INPUT_SHA256}')`, [[{}, 6]]));
  return lake;
}
