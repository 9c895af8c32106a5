import { BlockBlobClient } from "@azure/storage-blob";
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import { ExitCode, LakeError } from "../../src/lake/errors";
import { describeLandResult, landFile } from "../../src/lake/land";
import { DEFAULT_LANDING_PREFIX, XLSX_CONTENT_TYPE } from "../../src/lake/layout";
import { bankCsv, CapturedProgress, MiB, randomContent, uniqueContainerName, useAzuriteLake } from "./fixtures";

const ctx = useAzuriteLake();

async function newContainer(): Promise<string> {
  const name = uniqueContainerName("landing");
  await ctx.lake.service.createContainer(name);
  return name;
}

function blob(container: string, name: string): BlockBlobClient {
  return ctx.lake.service.getContainerClient(container).getBlockBlobClient(name);
}

describe("lake land", () => {
  it("uploads a file under the default landing prefix with its content type, Content-MD5 and SHA-256", async () => {
    const container = await newContainer();
    const content = bankCsv(500);
    const file = ctx.temp.file("bankdataset.csv", content);

    const result = await landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX });

    expect(result.status).toBe("uploaded");
    expect(result.blobName).toBe("bank/transactions/bankdataset.csv");
    const properties = await blob(container, result.blobName).getProperties();
    expect(properties.contentType).toBe("text/csv");
    expect(Buffer.from(properties.contentMD5 ?? []).toString("hex")).toBe(createHash("md5").update(content).digest("hex"));
    expect(properties.metadata?.sha256).toBe(createHash("sha256").update(content).digest("hex"));
    expect((await blob(container, result.blobName).downloadToBuffer()).toString()).toBe(content);
  });

  it("sets the XLSX content type for .xlsx files", async () => {
    const container = await newContainer();
    const file = ctx.temp.file("bankdataset.xlsx", randomContent(2048));

    const result = await landFile(ctx.lake, { file, container, prefix: "bank/transactions" });

    expect((await blob(container, "bank/transactions/bankdataset.xlsx").getProperties()).contentType).toBe(XLSX_CONTENT_TYPE);
    expect(result.contentType).toBe(XLSX_CONTENT_TYPE);
  });

  it("skips an unchanged file and says so", async () => {
    const container = await newContainer();
    const file = ctx.temp.file("bankdataset.csv", bankCsv(500));
    await landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX });
    const before = await blob(container, "bank/transactions/bankdataset.csv").getProperties();

    const again = await landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX });

    expect(again.status).toBe("skipped");
    expect(describeLandResult(again, file)).toMatch(/^skipped unchanged bankdataset\.csv: .*nothing uploaded$/);
    const after = await blob(container, "bank/transactions/bankdataset.csv").getProperties();
    expect(after.etag).toBe(before.etag);
  });

  it("uploads a changed file under the same name", async () => {
    const container = await newContainer();
    const path = ctx.temp.file("bankdataset.csv", bankCsv(500, 1));
    await landFile(ctx.lake, { file: path, container, prefix: DEFAULT_LANDING_PREFIX });
    const changed = bankCsv(500, 2);
    ctx.temp.file("bankdataset.csv", changed);

    const result = await landFile(ctx.lake, { file: path, container, prefix: DEFAULT_LANDING_PREFIX });

    expect(result.status).toBe("uploaded");
    const properties = await blob(container, result.blobName).getProperties();
    expect(properties.metadata?.sha256).toBe(createHash("sha256").update(changed).digest("hex"));
    expect((await blob(container, result.blobName).downloadToBuffer()).toString()).toBe(changed);
  });

  it("uploads a large file in several parallel blocks and reports progress", async () => {
    const container = await newContainer();
    const content = randomContent(5 * MiB + 12345);
    const file = ctx.temp.file("large.csv", content);
    const progress = new CapturedProgress();

    const result = await landFile(ctx.lake, { file, container, prefix: "big", blockSizeBytes: 1 * MiB, concurrency: 3, progress: progress.factory });

    expect(result.blocks).toBe(6);
    const blockList = await blob(container, "big/large.csv").getBlockList("committed");
    expect(blockList.committedBlocks).toHaveLength(6);
    expect(progress.lines.length).toBeGreaterThanOrEqual(3);
    expect(progress.lines.every((line) => line.startsWith("upload large.csv: "))).toBe(true);
    expect(progress.lines.at(-1)).toMatch(/5\.0 MiB of 5\.0 MiB \(100%\)/);
    const properties = await blob(container, "big/large.csv").getProperties();
    expect(Buffer.from(properties.contentMD5 ?? []).equals(createHash("md5").update(content).digest())).toBe(true);
  });

  it("leaves no blob under the final name when an upload is interrupted, and a rerun uploads it", async () => {
    const container = await newContainer();
    const file = ctx.temp.file("bankdataset.csv", randomContent(4 * MiB));
    const controller = new AbortController();
    const abortOnFirstBlock = (label: string, totalBytes: number) => {
      const reporter = new CapturedProgress().factory(label, totalBytes);
      return { update: (bytes: number) => { reporter.update(bytes); controller.abort(); }, stop: reporter.stop };
    };

    const interrupted = landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX, blockSizeBytes: 1 * MiB, concurrency: 1, abortSignal: controller.signal, progress: abortOnFirstBlock });

    await expect(interrupted).rejects.toMatchObject({ exitCode: ExitCode.interrupted, message: expect.stringMatching(/^Upload of bankdataset\.csv interrupted after 1\.0 MiB of 4\.0 MiB; nothing was committed, so .*\/bank\/transactions\/bankdataset\.csv is unchanged; run the same command again to restart the upload$/) });
    expect(await blob(container, "bank/transactions/bankdataset.csv").exists()).toBe(false);

    const rerun = await landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX, blockSizeBytes: 1 * MiB });
    expect(rerun.status).toBe("uploaded");
    const blocks = await blob(container, rerun.blobName).getBlockList("all");
    expect(blocks.committedBlocks).toHaveLength(4);
    expect(blocks.uncommittedBlocks ?? []).toHaveLength(0);
  });

  it("keeps the previous version intact when an overwrite is interrupted", async () => {
    const container = await newContainer();
    const original = bankCsv(200, 1);
    const path = ctx.temp.file("bankdataset.csv", original);
    await landFile(ctx.lake, { file: path, container, prefix: DEFAULT_LANDING_PREFIX });
    ctx.temp.file("bankdataset.csv", randomContent(3 * MiB));
    const controller = new AbortController();
    const abortOnFirstBlock = () => ({ update: () => controller.abort(), stop: () => undefined });

    await expect(landFile(ctx.lake, { file: path, container, prefix: DEFAULT_LANDING_PREFIX, blockSizeBytes: 1 * MiB, concurrency: 1, abortSignal: controller.signal, progress: abortOnFirstBlock })).rejects.toBeInstanceOf(LakeError);

    expect((await blob(container, "bank/transactions/bankdataset.csv").downloadToBuffer()).toString()).toBe(original);
  });

  it("fails with a one-line message when the container does not exist", async () => {
    const file = ctx.temp.file("bankdataset.csv", bankCsv(10));

    await expect(landFile(ctx.lake, { file, container: "no-such-container", prefix: DEFAULT_LANDING_PREFIX })).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: 'Container "no-such-container" does not exist in storage account "devstoreaccount1"; check --container (the lake has landing, curated, features and quarantine) or deploy LakeStorage first',
    });
  });

  it("fails when the file changes while it is being uploaded", async () => {
    const container = await newContainer();
    const file = ctx.temp.file("growing.csv", randomContent(3 * MiB));
    let appended = false;
    const appendOnFirstBlock = () => ({
      update: () => {
        if (!appended) appendFileSync(file, "late rows\n");
        appended = true;
      },
      stop: () => undefined,
    });

    await expect(landFile(ctx.lake, { file, container, prefix: "grow", blockSizeBytes: 1 * MiB, concurrency: 1, progress: appendOnFirstBlock })).rejects.toMatchObject({
      exitCode: ExitCode.mismatch,
      message: `${file} changed while it was being landed; ${container}/grow/growing.csv may not match its recorded hashes, so run land again once the file is complete`,
    });
  });

  it("creates a missing container when asked to", async () => {
    const container = uniqueContainerName("created");
    const file = ctx.temp.file("bankdataset.csv", bankCsv(10));

    const result = await landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX, createContainer: true });

    expect(result.status).toBe("uploaded");
    expect(await blob(container, result.blobName).exists()).toBe(true);
  });

  it("fails with a one-line message when the file does not exist", async () => {
    const container = await newContainer();
    const missing = `${ctx.temp.path}/nope.csv`;

    await expect(landFile(ctx.lake, { file: missing, container, prefix: DEFAULT_LANDING_PREFIX })).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: `File not found: ${missing}; check the path (land takes the bank transactions CSV or XLSX export)`,
    });
  });

  it("refuses an empty file", async () => {
    const container = await newContainer();
    const file = ctx.temp.file("empty.csv", "");

    await expect(landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX })).rejects.toMatchObject({ exitCode: ExitCode.usage, message: expect.stringContaining("is empty") });
  });

  it("warns when the file is not a format the quarterly job reads", async () => {
    const container = await newContainer();
    const file = ctx.temp.file("notes.txt", "hello");
    const warnings: string[] = [];

    await landFile(ctx.lake, { file, container, prefix: DEFAULT_LANDING_PREFIX, warn: (message) => warnings.push(message) });

    expect(warnings).toEqual(["warning: notes.txt is not .csv or .xlsx; the quarterly job only reads those"]);
  });
});
