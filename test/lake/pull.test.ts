import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/lake/errors";
import { localPathFor, pull } from "../../src/lake/pull";
import { CapturedProgress, MiB, randomContent, uniqueContainerName, useAzuriteLake } from "./fixtures";

const ctx = useAzuriteLake();

const q3 = "export/year=2022/quarter=3/";

/** A features container with two files in 2022-Q3 and one in 2022-Q2, each with a Content-MD5. */
async function featuresContainer(): Promise<{ container: string; contents: Map<string, Buffer> }> {
  const container = uniqueContainerName("features");
  const client = ctx.lake.service.getContainerClient(container);
  await client.create();
  const contents = new Map<string, Buffer>([
    [`${q3}part-00000.snappy.parquet`, randomContent(3 * MiB)],
    [`${q3}part-00001.snappy.parquet`, randomContent(1000)],
    ["export/year=2022/quarter=2/part-00000.snappy.parquet", randomContent(500)],
  ]);
  for (const [name, body] of contents) {
    await client.getBlockBlobClient(name).upload(body, body.length, { blobHTTPHeaders: { blobContentMD5: createHash("md5").update(body).digest() } });
  }
  return { container, contents };
}

describe("lake pull", () => {
  it("downloads one quarter's partition tree, keeping the blob paths, with progress", async () => {
    const { container, contents } = await featuresContainer();
    const progress = new CapturedProgress();

    const result = await pull(ctx.lake, { container, prefix: q3, to: ctx.temp.path, progress: progress.factory });

    expect(result.downloaded).toEqual([`${q3}part-00000.snappy.parquet`, `${q3}part-00001.snappy.parquet`]);
    for (const name of result.downloaded) {
      expect(readFileSync(join(ctx.temp.path, name)).equals(contents.get(name) as Buffer)).toBe(true);
    }
    expect(existsSync(join(ctx.temp.path, "export/year=2022/quarter=2"))).toBe(false);
    expect(readdirSync(join(ctx.temp.path, q3)).some((name) => name.endsWith(".lake-partial"))).toBe(false);
    expect(progress.lines.at(-1)).toMatch(/^pull .*export\/year=2022\/quarter=3\/: .* \(100%\)/);
  });

  it("skips files already present with the same MD5", async () => {
    const { container } = await featuresContainer();
    await pull(ctx.lake, { container, prefix: q3, to: ctx.temp.path });
    const firstWrite = statSync(join(ctx.temp.path, q3, "part-00000.snappy.parquet")).mtimeMs;

    const again = await pull(ctx.lake, { container, prefix: q3, to: ctx.temp.path });

    expect(again.downloaded).toEqual([]);
    expect(again.skipped).toHaveLength(2);
    expect(statSync(join(ctx.temp.path, q3, "part-00000.snappy.parquet")).mtimeMs).toBe(firstWrite);
  });

  it("downloads again a local file whose content differs", async () => {
    const { container, contents } = await featuresContainer();
    await pull(ctx.lake, { container, prefix: q3, to: ctx.temp.path });
    const local = join(ctx.temp.path, q3, "part-00001.snappy.parquet");
    writeFileSync(local, randomContent(1000));

    const again = await pull(ctx.lake, { container, prefix: q3, to: ctx.temp.path });

    expect(again.downloaded).toEqual([`${q3}part-00001.snappy.parquet`]);
    expect(readFileSync(local).equals(contents.get(`${q3}part-00001.snappy.parquet`) as Buffer)).toBe(true);
  });

  it("fails with a one-line message when the container does not exist", async () => {
    await expect(pull(ctx.lake, { container: "no-such-features", prefix: q3, to: ctx.temp.path })).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: expect.stringMatching(/^Container "no-such-features" does not exist in storage account "devstoreaccount1"/),
    });
  });

  it("fails with a one-line message when nothing is under the prefix", async () => {
    const { container } = await featuresContainer();

    await expect(pull(ctx.lake, { container, prefix: "export/year=1999/", to: ctx.temp.path })).rejects.toMatchObject({
      exitCode: ExitCode.notFound,
      message: `Nothing to pull: no blobs under ${container}/export/year=1999/; check --container and --prefix (e.g. export/year=2022/quarter=3/)`,
    });
  });

  it("refuses blob names that would escape the target directory", () => {
    expect(() => localPathFor("/data/pull", "../../etc/passwd")).toThrow('Refusing to write blob "../../etc/passwd" outside /data/pull');
    expect(localPathFor("/data/pull", "export/year=2022/quarter=3/a.parquet")).toBe("/data/pull/export/year=2022/quarter=3/a.parquet");
  });
});
