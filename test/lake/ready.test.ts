/**
 * `lake ready <quarter>` against Azurite: a lake laid out as the quarterly job leaves it (a quarter
 * manifest, its run record, the export partition and the three Delta tables' commits), then broken
 * one way at a time.
 */
import { createHash } from "node:crypto";
import { ExitCode } from "../../src/lake/errors";
import type { QuarterManifest } from "../../src/lake/manifest";
import { deltaCommitName, ready, type ReadyOptions } from "../../src/lake/ready";
import { buildCli, type BuiltCli } from "./cli-process";
import { uniqueContainerName, useAzuriteLake } from "./fixtures";

const ctx = useAzuriteLake();
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli?.remove());

const RUN_ID = "20261001T020000Z-5f3a1b2c";
const INPUT_SHA256 = createHash("sha256").update("the landed file").digest("hex");
const PARQUET = Buffer.from("PAR1 the quarter's features, as the export writes them PAR1");
const EXPORT_FILE = "part-00000-9b2d4e6f-0c1a-4b8e-9d3f-2a1b0c9d8e7f.c000.snappy.parquet";
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function sampleManifest(changes: Partial<Record<keyof QuarterManifest, unknown>> = {}): Record<string, unknown> {
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

function runRecord(changes: Record<string, unknown> = {}): Record<string, unknown> {
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
function deltaCommit(predicate: string | undefined, adds: [Record<string, string>, number | undefined][]): string {
  const commitInfo = { commitInfo: { timestamp: 1790820401870, operation: "WRITE", operationParameters: { mode: "Overwrite", partitionBy: "[]", ...(predicate ? { predicate: JSON.stringify([predicate]) } : {}) }, userMetadata: RUN_ID } };
  const actions = adds.map(([partitionValues, rows], index) => ({
    add: { path: `part-${index}.snappy.parquet`, partitionValues, size: 1000, modificationTime: 1790820401000, dataChange: true, stats: rows === undefined ? undefined : JSON.stringify({ numRecords: rows, minValues: {}, maxValues: {}, nullCount: {} }) },
  }));
  return [commitInfo, { remove: { path: "old.parquet", deletionTimestamp: 1, dataChange: true } }, ...actions].map((action) => JSON.stringify(action)).join("\n") + "\n";
}

interface FixtureLake {
  readonly features: string;
  readonly curated: string;
  readonly quarantine: string;
  readonly prefix: string;
  readonly options: ReadyOptions;
  upload(container: string, name: string, content: string | Buffer): Promise<void>;
  remove(container: string, name: string): Promise<void>;
}

/** A lake as a successful run of 2022-Q3 leaves it, in containers of its own. */
async function publishedLake(prefix = ""): Promise<FixtureLake> {
  const [features, curated, quarantine] = ["features", "curated", "quarantine"].map(uniqueContainerName);
  for (const name of [features, curated, quarantine]) await ctx.lake.service.createContainer(name as string);
  const lake: FixtureLake = {
    features: features as string,
    curated: curated as string,
    quarantine: quarantine as string,
    prefix,
    options: { quarter: "2022-Q3", featuresContainer: features, curatedContainer: curated, quarantineContainer: quarantine, lakePathPrefix: prefix },
    async upload(container, name, content) {
      const body = typeof content === "string" ? Buffer.from(content) : content;
      await ctx.lake.service.getContainerClient(container).getBlockBlobClient(`${prefix}${name}`).upload(body, body.length);
    },
    async remove(container, name) {
      await ctx.lake.service.getContainerClient(container).deleteBlob(`${prefix}${name}`);
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

const statusOf = (table: string, check: RegExp) => table.split("\n").find((line) => check.test(line))?.trim().split(/\s{2,}/).at(-1);

describe("lake ready", () => {
  it("is ready when the manifest, its run record, the export files and the Delta commits agree", async () => {
    const lake = await publishedLake();

    const report = await ready(ctx.lake, lake.options);

    expect(report.ready).toBe(true);
    expect(report.summary).toBe(`ready: 2022-Q3 verified against the lake (11 checks, run ${RUN_ID})`);
    expect(report.heading[0]).toBe(`ready 2022-Q3: manifest ${lake.features}/export/_manifests/2022Q3.json (run ${RUN_ID}, published 2026-10-01T02:06:41.870123Z, schema_version 1, code cccccccccccc…)`);
    expect(report.table).toMatch(/curated\.transactions version 5 .*240 rows added to year=2022\/quarter=3\s+240 rows in 2 files\s+ok/);
    expect(report.table).toMatch(/ops\.quarantine version 7 .*6 rows added\s+6 rows in 1 file\s+ok/);
    expect(report.table).toMatch(new RegExp(`export export/year=2022/quarter=3/${EXPORT_FILE}\\s+\\S+ B, sha256 [0-9a-f]{12}…\\s+\\S+ B, sha256 [0-9a-f]{12}…\\s+ok`));
    expect(report.table).not.toContain("quarter=2");
  });

  it("says not ready, exit 6, while the quarter has no manifest", async () => {
    const lake = await publishedLake();
    await lake.remove(lake.features, "export/_manifests/2022Q3.json");

    await expect(ready(ctx.lake, lake.options)).rejects.toMatchObject({
      exitCode: ExitCode.notReady,
      message: `Not ready: no manifest for 2022-Q3 at ${lake.features}/export/_manifests/2022Q3.json; the quarterly job publishes it once the quarter's data is committed in PostgreSQL and the lake`,
    });
  });

  it.each([
    ["not JSON", "{ half a manifest", /^Invalid manifest .*: not JSON/],
    ["without its code version", JSON.stringify({ ...sampleManifest(), code_version: undefined }), /: \/: missing "code_version"$/],
    ["of a newer schema version", JSON.stringify(sampleManifest({ schema_version: 2 })), /\/schema_version: must be 1/],
    ["with a local time", JSON.stringify(sampleManifest({ published_at: "2026-10-01T04:06:41+02:00" })), /\/published_at: must be a UTC time/],
    ["of another quarter", JSON.stringify(sampleManifest({ quarter: "2022-Q2" })), /it is the manifest of 2022-Q2, not of 2022-Q3$/],
    ["naming another quarter's partition", JSON.stringify(sampleManifest({ postgres: { "bank.transactions": "bank.transactions_2022_q2" } })), /names partition bank\.transactions_2022_q2, not bank\.transactions_2022_q3$/],
  ])("refuses a manifest %s with exit 7", async (_case, text, message) => {
    const lake = await publishedLake();
    await lake.upload(lake.features, "export/_manifests/2022Q3.json", text);

    await expect(ready(ctx.lake, lake.options)).rejects.toMatchObject({ exitCode: ExitCode.invalidManifest, message: expect.stringMatching(message) });
  });

  it("is not ready when an export file changed after the run, or one is missing or was added", async () => {
    const lake = await publishedLake();
    await lake.upload(lake.features, `export/year=2022/quarter=3/${EXPORT_FILE}`, Buffer.from("PAR1 rewritten by hand, same length as before!!!!!!!!! PAR1"));
    await lake.upload(lake.features, "export/year=2022/quarter=3/part-00001-stray.c000.snappy.parquet", PARQUET);

    const changed = await ready(ctx.lake, lake.options);

    expect(changed.ready).toBe(false);
    expect(statusOf(changed.table, new RegExp(EXPORT_FILE))).toBe("SHA-256 MISMATCH");
    expect(statusOf(changed.table, /part-00001-stray/)).toBe("EXTRA FILE");
    expect(changed.summary).toBe(`NOT READY: 2 of 12 checks failed for 2022-Q3 (run ${RUN_ID})`);

    await lake.remove(lake.features, `export/year=2022/quarter=3/${EXPORT_FILE}`);
    expect(statusOf((await ready(ctx.lake, lake.options)).table, new RegExp(EXPORT_FILE))).toBe("MISSING");
  });

  it("is not ready when the run record is missing, failed or counted otherwise", async () => {
    const lake = await publishedLake();
    await lake.upload(lake.curated, `_runs/${RUN_ID}.json`, JSON.stringify(runRecord({ status: "failed", valid_by_quarter: { "2022-Q3": 239 }, quarantined_by_reason: { ...(runRecord().quarantined_by_reason as object), bad_value: 1 } })));

    const counted = await ready(ctx.lake, lake.options);

    expect(counted.ready).toBe(false);
    expect(statusOf(counted.table, /^run record/)).toBe("NOT SUCCEEDED");
    expect(counted.table).toMatch(/valid rows \(run record\)\s+240\s+239\s+MISMATCH/);
    expect(counted.table).toMatch(/quarantined by reason \(run record\)\s+6 in all\s+bad_value 1 \(manifest 2\)\s+MISMATCH/);

    await lake.remove(lake.curated, `_runs/${RUN_ID}.json`);
    const missing = await ready(ctx.lake, lake.options);
    expect(missing.table).toMatch(new RegExp(`run record ${lake.curated}/_runs/${RUN_ID}\\.json\\s+succeeded\\s+missing\\s+MISSING`));
  });

  it("is not ready when a Delta commit is gone from the log or adds other row counts", async () => {
    const lake = await publishedLake();
    await lake.upload(lake.curated, `transactions/_delta_log/${deltaCommitName(5)}`, deltaCommit("((year = 2022 AND quarter = 3))", [[{ year: "2022", quarter: "3" }, 239]]));
    await lake.remove(lake.features, `quarterly/_delta_log/${deltaCommitName(5)}`);
    await lake.upload(lake.quarantine, `rows/_delta_log/${deltaCommitName(7)}`, deltaCommit("(input_sha256 = 'another input')", [[{}, 6]]));

    const report = await ready(ctx.lake, lake.options);

    expect(report.ready).toBe(false);
    expect(report.table).toMatch(/curated\.transactions version 5 .*240 rows added to year=2022\/quarter=3\s+239 rows in 1 file\s+MISMATCH/);
    expect(statusOf(report.table, /^features\.quarterly/)).toBe("NO SUCH COMMIT");
    expect(statusOf(report.table, /^ops\.quarantine/)).toBe("NOT THE INPUT'S COMMIT");
  });

  it("is not ready when the curated commit has no row statistics to count", async () => {
    const lake = await publishedLake();
    await lake.upload(lake.curated, `transactions/_delta_log/${deltaCommitName(5)}`, deltaCommit("((year = 2022 AND quarter = 3))", [[{ year: "2022", quarter: "3" }, undefined]]));

    const report = await ready(ctx.lake, lake.options);

    expect(statusOf(report.table, /^curated\.transactions/)).toBe("NO ROW STATISTICS");
  });

  it("reads a pipeline's folder in every container with --lake-path-prefix", async () => {
    const lake = await publishedLake("payments/");

    expect((await ready(ctx.lake, lake.options)).ready).toBe(true);
    await expect(ready(ctx.lake, { ...lake.options, lakePathPrefix: "" })).rejects.toMatchObject({ exitCode: ExitCode.notReady });
  });

  it("fails with exit 4 when a container does not exist", async () => {
    const lake = await publishedLake();

    await expect(ready(ctx.lake, { ...lake.options, featuresContainer: "no-such-features" })).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: expect.stringMatching(/^Container "no-such-features" does not exist/),
    });
  });
});

describe("lake ready process", () => {
  const run = (lake: FixtureLake, ...args: string[]) =>
    cli.run(["ready", ...args, "--features-container", lake.features, "--curated-container", lake.curated, "--quarantine-container", lake.quarantine], {
      env: { AZURE_STORAGE_CONNECTION_STRING: ctx.azurite.connectionString },
    });

  it("exits 0 with the checks on stdout when the quarter is ready, and 1 when the lake does not bear it out", async () => {
    const lake = await publishedLake();

    const readyRun = await run(lake, "2022-Q3");
    expect(readyRun.code).toBe(ExitCode.ok);
    expect(readyRun.stderr).toBe("");
    expect(readyRun.stdout.trim().split("\n").at(-1)).toBe(`ready: 2022-Q3 verified against the lake (11 checks, run ${RUN_ID})`);
    expect(readyRun.stdout).toMatch(/^CHECK\s+EXPECTED \(MANIFEST, RUN RECORD\)\s+FOUND IN THE LAKE\s+STATUS$/m);

    await lake.upload(lake.features, `export/year=2022/quarter=3/${EXPORT_FILE}`, Buffer.from("PAR1 tampered PAR1"));
    const mismatch = await run(lake, "2022Q3");
    expect(mismatch.code).toBe(ExitCode.mismatch);
    expect(mismatch.stdout.trim().split("\n").at(-1)).toBe(`NOT READY: 1 of 11 checks failed for 2022-Q3 (run ${RUN_ID})`);
  });

  it("exits 6 before the quarter is published, 7 for an invalid manifest and 2 for a bad quarter, with one line on stderr", async () => {
    const lake = await publishedLake();

    const notPublished = await run(lake, "2022-Q4");
    expect(notPublished.code).toBe(ExitCode.notReady);
    expect(notPublished.stderr).toBe(`lake: Not ready: no manifest for 2022-Q4 at ${lake.features}/export/_manifests/2022Q4.json; the quarterly job publishes it once the quarter's data is committed in PostgreSQL and the lake\n`);
    expect(notPublished.stdout).toBe("");

    await lake.upload(lake.features, "export/_manifests/2022Q3.json", JSON.stringify(sampleManifest({ counts: { valid: -1 } })));
    const invalid = await run(lake, "2022-Q3");
    expect(invalid.code).toBe(ExitCode.invalidManifest);
    expect(invalid.stderr).toMatch(/^lake: Invalid manifest .*2022Q3\.json: \/counts: missing "quarantined"; \/counts: missing "duplicates"; \/counts\/valid: must be a whole number >= 0\n$/);

    const badQuarter = await run(lake, "Q3-2022");
    expect(badQuarter.code).toBe(ExitCode.usage);
    expect(badQuarter.stderr).toBe('lake: "Q3-2022" is not a quarter; use YYYY-Qn, such as 2022-Q3\n');
  });
});
