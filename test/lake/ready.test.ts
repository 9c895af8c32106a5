/**
 * `ready` (what `lake ready <quarter>` runs) against Azurite: a lake laid out as the quarterly job
 * leaves it (test/lake/published-lake.ts), then broken one way at a time. The process itself, its
 * exit codes and output, is tested in test/lake/cli.test.ts.
 */
import { ExitCode } from "../../src/lake/errors";
import { deltaCommitName, ready } from "../../src/lake/ready";
import { useAzuriteLake } from "./fixtures";
import { deltaCommit, EXPORT_FILE, PARQUET, publishedLake as publishedLakeIn, RUN_ID, runRecord, sampleManifest } from "./published-lake";

const ctx = useAzuriteLake();
const publishedLake = (prefix?: string) => publishedLakeIn(ctx.lake.service, prefix);

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

  it("says not ready, exit 6, while the job is rewriting the manifest (the file is empty)", async () => {
    const lake = await publishedLake();
    await lake.upload(lake.features, "export/_manifests/2022Q3.json", "");

    await expect(ready(ctx.lake, lake.options)).rejects.toMatchObject({
      exitCode: ExitCode.notReady,
      message: `Not ready: the manifest of 2022-Q3 at ${lake.features}/export/_manifests/2022Q3.json is empty: the quarterly job is writing it; ask again`,
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
