import { createHash } from "node:crypto";
import { ExitCode } from "../../src/lake/errors";
import { landFile } from "../../src/lake/land";
import { DEFAULT_LANDING_PREFIX } from "../../src/lake/layout";
import { verify } from "../../src/lake/verify";
import { bankCsv, uniqueContainerName, useAzuriteLake } from "./fixtures";

const ctx = useAzuriteLake();

async function upload(container: string, name: string, content: string | Buffer, metadata?: Record<string, string>): Promise<void> {
  const body = typeof content === "string" ? Buffer.from(content) : content;
  await ctx.lake.service.getContainerClient(container).getBlockBlobClient(name).upload(body, body.length, { metadata });
}

describe("lake verify on landed files", () => {
  async function landedContainer(): Promise<{ container: string; blobName: string }> {
    const container = uniqueContainerName("landing");
    await ctx.lake.service.createContainer(container);
    const result = await landFile(ctx.lake, { file: ctx.temp.file("bankdataset.csv", bankCsv(300)), container, prefix: DEFAULT_LANDING_PREFIX });
    return { container, blobName: result.blobName };
  }

  it("passes when every blob matches its Content-MD5 and sha256 metadata", async () => {
    const { container } = await landedContainer();

    const report = await verify(ctx.lake, { container, prefix: DEFAULT_LANDING_PREFIX });

    expect(report.ok).toBe(true);
    expect(report.table).toMatch(/bank\/transactions\/bankdataset\.csv\s+\S+ KiB\s+\S+==\s+[0-9a-f]{12}…\s+ok/);
    expect(report.summary).toBe("ok: 1 blob(s) match their recorded hashes");
  });

  it("fails after a blob's content is replaced behind the recorded hashes", async () => {
    const { container, blobName } = await landedContainer();
    const blob = ctx.lake.service.getContainerClient(container).getBlockBlobClient(blobName);
    const original = await blob.getProperties();
    // Tamper the way a careless writer would: new bytes committed with the old headers and metadata.
    const tampered = Buffer.from(bankCsv(300, 9));
    const blockId = Buffer.from("tampered-block-000").toString("base64");
    await blob.stageBlock(blockId, tampered, tampered.length);
    await blob.commitBlockList([blockId], { blobHTTPHeaders: { blobContentMD5: original.contentMD5, blobContentType: "text/csv" }, metadata: original.metadata });

    const report = await verify(ctx.lake, { container, prefix: DEFAULT_LANDING_PREFIX });

    expect(report.ok).toBe(false);
    expect(report.table).toContain("MD5+SHA-256 MISMATCH");
    expect(report.summary).toBe("FAILED: 1 of 1 blob(s) do not match their recorded hashes");
  });

  it("fails for a blob that has no recorded SHA-256", async () => {
    const { container } = await landedContainer();
    await upload(container, `${DEFAULT_LANDING_PREFIX}dropped-by-hand.csv`, bankCsv(10));

    const report = await verify(ctx.lake, { container, prefix: DEFAULT_LANDING_PREFIX });

    expect(report.ok).toBe(false);
    expect(report.table).toMatch(/dropped-by-hand\.csv.*NO RECORDED HASH/);
  });

  it("fails with a one-line message when there is nothing under the prefix", async () => {
    const container = uniqueContainerName("landing");
    await ctx.lake.service.createContainer(container);

    await expect(verify(ctx.lake, { container, prefix: DEFAULT_LANDING_PREFIX })).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: `Nothing to verify: no blobs under ${container}/bank/transactions/; land a file first or check --container and --prefix`,
    });
  });

  it("fails with a one-line message when the container does not exist", async () => {
    await expect(verify(ctx.lake, { container: "no-such-landing", prefix: "" })).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: expect.stringMatching(/^Container "no-such-landing" does not exist/),
    });
  });
});

describe("lake verify on curated and features partitions", () => {
  const parquet = Buffer.from("PAR1 fake parquet body PAR1");
  let runsContainer: string;

  function runRecord(fields: Record<string, unknown>): string {
    return JSON.stringify({
      run_id: "run-2022q3",
      scope: "2022-Q3",
      started_at: "2026-10-01T02:00:00Z",
      finished_at: "2026-10-01T02:10:00Z",
      status: "succeeded",
      rows_read: 100,
      rows_valid: 90,
      rows_quarantined: 4,
      rows_duplicate: 1,
      rows_out_of_scope: 5,
      input_uri: "abfss://landing@ctx.lake.dfs.core.windows.net/bank/transactions/bankdataset.csv",
      input_sha256: createHash("sha256").update("input").digest("hex"),
      ...fields,
    });
  }

  async function writeRuns(...records: string[]): Promise<void> {
    runsContainer = uniqueContainerName("curated-runs");
    await ctx.lake.service.createContainer(runsContainer);
    for (const [index, record] of records.entries()) await upload(runsContainer, `_runs/run-${index}.json`, record);
  }

  let featuresContainer: string;

  /** A features container holding the given quarters' partitions (empty ones with only a _SUCCESS marker). */
  async function featuresWith(quarters: { key: string; empty?: boolean }[]): Promise<void> {
    featuresContainer = uniqueContainerName("features");
    await ctx.lake.service.createContainer(featuresContainer);
    for (const { key, empty } of quarters) {
      await upload(featuresContainer, `export/${key}/_SUCCESS`, "");
      if (!empty) await upload(featuresContainer, `export/${key}/part-00000-abc.c000.snappy.parquet`, parquet);
    }
  }

  const verifyFeatures = (strict = false) =>
    verify(ctx.lake, { container: featuresContainer, mode: "partitions", prefix: "export/", runsContainer, runsPrefix: "_runs/", strict });

  it("passes when the quarter of the latest successful run is present and non-empty", async () => {
    await writeRuns(runRecord({}));
    await featuresWith([{ key: "year=2022/quarter=3" }]);

    const report = await verifyFeatures();

    expect(report.ok).toBe(true);
    expect(report.heading[0]).toContain("run run-2022q3");
    expect(report.table).toMatch(/export\/year=2022\/quarter=3\/\s+1\s+\S+ B\s+ok/);
  });

  it("fails when the run's quarter partition is missing", async () => {
    await writeRuns(runRecord({}));
    await featuresWith([{ key: "year=2022/quarter=2" }]);

    const report = await verifyFeatures();

    expect(report.ok).toBe(false);
    expect(report.table).toMatch(/year=2022\/quarter=3\/\s+0\s+0 B\s+MISSING/);
    expect(report.table).toMatch(/year=2022\/quarter=2\/.*extra \(not written by this run\)/);
  });

  it("fails when the run's quarter partition holds no parquet data", async () => {
    await writeRuns(runRecord({}));
    await featuresWith([{ key: "year=2022/quarter=3", empty: true }]);

    const report = await verifyFeatures();

    expect(report.ok).toBe(false);
    expect(report.table).toContain("EMPTY (no .parquet data)");
  });

  it("reports earlier quarters as extra without failing, and fails on them with --strict", async () => {
    await writeRuns(runRecord({}));
    await featuresWith([{ key: "year=2022/quarter=2" }, { key: "year=2022/quarter=3" }]);

    expect((await verifyFeatures()).ok).toBe(true);
    const strict = await verifyFeatures(true);
    expect(strict.ok).toBe(false);
    expect(strict.table).toContain("EXTRA (not written by this run)");
  });

  it("checks against the newest successful run, ignoring failed and older runs", async () => {
    await writeRuns(
      runRecord({ run_id: "old", scope: "2022-Q1", finished_at: "2026-04-01T02:00:00Z" }),
      runRecord({ run_id: "newest-but-failed", scope: "2022-Q4", finished_at: "2027-01-01T02:00:00Z", status: "failed" }),
      runRecord({ run_id: "latest", scope: "2022-Q3", finished_at: "2026-10-01T02:00:00Z", status: "success" }),
    );
    await featuresWith([{ key: "year=2022/quarter=3" }]);

    const report = await verifyFeatures();

    expect(report.ok).toBe(true);
    expect(report.heading[0]).toContain("run latest");
  });

  it("uses the quarters the run record lists for scope all", async () => {
    await writeRuns(runRecord({ scope: "all", quarters: ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"] }));
    await featuresWith([{ key: "year=2022/quarter=1" }, { key: "year=2022/quarter=2" }, { key: "year=2022/quarter=4" }]);

    const report = await verifyFeatures();

    expect(report.ok).toBe(false);
    expect(report.table).toMatch(/year=2022\/quarter=3\/.*MISSING/);
    expect(report.heading[1]).toBe("expected quarters from partitions listed in the run record: 2022-Q1, 2022-Q2, 2022-Q3, 2022-Q4");
  });

  it("does not count the ETL's staging and backup directories as partitions", async () => {
    await writeRuns(runRecord({}));
    await featuresWith([]);
    await upload(featuresContainer, "export/_staging/run-2022q3/year=2022/quarter=3/part-00000.snappy.parquet", parquet);
    await upload(featuresContainer, "export/_backup/run-2022q2/year=2022/quarter=2/part-00000.snappy.parquet", parquet);

    const report = await verifyFeatures();

    expect(report.ok).toBe(false);
    expect(report.table).toMatch(/^export\/year=2022\/quarter=3\/\s+0\s+0 B\s+MISSING$/m);
    expect(report.table).not.toContain("quarter=2");
  });

  it("fails when the run record's row accounting does not add up", async () => {
    await writeRuns(runRecord({ rows_read: 101 }));
    await featuresWith([{ key: "year=2022/quarter=3" }]);

    const report = await verifyFeatures();

    expect(report.ok).toBe(false);
    expect(report.heading[2]).toContain("DOES NOT HOLD");
  });

  it("fails with a one-line message when there is no successful run record", async () => {
    await writeRuns(runRecord({ status: "failed" }), "not json");
    await featuresWith([{ key: "year=2022/quarter=3" }]);

    await expect(verifyFeatures()).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: `No successful run record under ${runsContainer}/_runs/ (1 record(s) read); run the quarterly ETL first, or pass --runs-container/--runs-prefix`,
    });
  });

  it("checks curated transactions/ against curated _runs/ by default", async () => {
    const curated = ctx.lake.service.getContainerClient("curated");
    await curated.createIfNotExists();
    await upload("curated", "_runs/run-2022q3.json", runRecord({ partitions: { curated: ["2022-Q3"], features: ["2022-Q3"] } }));
    await upload("curated", "transactions/year=2022/quarter=3/part-00000.snappy.parquet", parquet);
    await upload("curated", "transactions/_delta_log/00000000000000000000.json", "{}");

    const report = await verify(ctx.lake, { container: "curated", prefix: "transactions/" });

    expect(report.ok).toBe(true);
    expect(report.heading[0]).toBe("verify curated/transactions/: partitions against run run-2022q3 (status succeeded, finished 2026-10-01T02:10:00Z)");
    expect(report.heading).toContain("Delta table: 1 commit(s) in transactions/_delta_log/");
    expect(report.table).toMatch(/transactions\/year=2022\/quarter=3\/\s+1\s+\S+ B\s+ok/);
  });

  it("fails the curated Delta table when its _delta_log has no commit", async () => {
    const curated = ctx.lake.service.getContainerClient("curated");
    await curated.createIfNotExists();
    await upload("curated", "_runs/run-2022q3.json", runRecord({ partitions: { curated: ["2022-Q3"], features: ["2022-Q3"] } }));
    await upload("curated", "transactions/year=2022/quarter=3/part-00000.snappy.parquet", parquet);
    await curated.deleteBlob("transactions/_delta_log/00000000000000000000.json", { deleteSnapshots: "include" }).catch(() => undefined);

    const report = await verify(ctx.lake, { container: "curated", prefix: "transactions/" });

    expect(report.ok).toBe(false);
    expect(report.heading).toContain("Delta table: NO COMMIT under transactions/_delta_log/");
  });
});
