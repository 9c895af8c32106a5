/**
 * The real `lake` process: exit codes, stdout/stderr and messages, against Azurite. It starts a
 * process per command, so `npx jest` leaves it to `npm test` (JEST_SLOW=1, see jest.config.js).
 */
import { BlobServiceClient, ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from "@azure/storage-blob";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/lake/errors";
import { RunningAzurite, startAzurite } from "./azurite";
import { buildCli, BuiltCli } from "./cli-process";
import { bankCsv, MiB, randomContent, TempDirectory } from "./fixtures";
import { EXPORT_FILE, type FixtureLake, publishedLake, RUN_ID, sampleManifest } from "./published-lake";

let azurite: RunningAzurite;
let cli: BuiltCli;
let temp: TempDirectory;
let service: BlobServiceClient;

const withLake = () => ({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
const singleLine = (text: string) => text.trim().split("\n");

beforeAll(async () => {
  [azurite, cli] = await Promise.all([startAzurite(), Promise.resolve(buildCli())]);
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  for (const name of ["landing", "landing-tamper", "features"]) await service.createContainer(name);
});
afterAll(async () => {
  cli?.remove();
  await azurite?.stop();
});
beforeEach(() => {
  temp = new TempDirectory();
});
afterEach(() => temp.remove());

describe("lake CLI process", () => {
  it("lands a file once, skips it the second time, and verify passes", async () => {
    const file = temp.file("bankdataset.csv", bankCsv(2000));

    const first = await cli.run(["land", file, "--container", "landing"], { env: withLake() });
    const second = await cli.run(["land", file, "--container", "landing"], { env: withLake() });
    const verified = await cli.run(["verify", "--container", "landing"], { env: withLake() });

    expect(first.code).toBe(ExitCode.ok);
    expect(first.stdout).toMatch(/^uploaded bankdataset\.csv to landing\/bank\/transactions\/bankdataset\.csv \(.* in 1 request, upload .*\); Content-MD5 \S+ verified, sha256 [0-9a-f]{64}\n$/);
    expect(second.code).toBe(ExitCode.ok);
    expect(second.stdout).toMatch(/^skipped unchanged bankdataset\.csv: landing\/bank\/transactions\/bankdataset\.csv already has sha256 [0-9a-f]{64} \(.*\); nothing uploaded\n$/);
    expect(second.stderr).toBe("");
    expect(verified.code).toBe(ExitCode.ok);
    expect(verified.stdout).toContain("bank/transactions/bankdataset.csv");
    expect(verified.stdout.trim().split("\n").at(-1)).toBe("ok: 1 blob(s) match their recorded hashes");
  });

  it("exits 1 when verify finds a tampered blob", async () => {
    const file = temp.file("bankdataset.csv", bankCsv(100));
    await cli.run(["land", file, "--container", "landing-tamper"], { env: withLake() });
    const blob = service.getContainerClient("landing-tamper").getBlockBlobClient("bank/transactions/bankdataset.csv");
    const properties = await blob.getProperties();
    const tampered = Buffer.from(bankCsv(100, 5));
    const blockId = Buffer.from("tamper-0").toString("base64");
    await blob.stageBlock(blockId, tampered, tampered.length);
    await blob.commitBlockList([blockId], { blobHTTPHeaders: { blobContentMD5: properties.contentMD5 }, metadata: properties.metadata });

    const result = await cli.run(["verify", "--container", "landing-tamper"], { env: withLake() });

    expect(result.code).toBe(ExitCode.mismatch);
    expect(result.stdout).toMatch(/bank\/transactions\/bankdataset\.csv .*MD5\+SHA-256 MISMATCH/);
    expect(result.stdout.trim().split("\n").at(-1)).toBe("FAILED: 1 of 1 blob(s) do not match their recorded hashes");
  });

  it("prints plain progress lines on a non-terminal stderr for a multi-block upload", async () => {
    const file = temp.file("large.csv", randomContent(6 * MiB));

    const result = await cli.run(["land", file, "--container", "landing", "--prefix", "big/", "--block-size", "1", "--concurrency", "4"], { env: withLake() });

    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toMatch(/^uploaded large\.csv to landing\/big\/large\.csv \(6\.0 MiB in 6 blocks/);
    const progressLines = result.stderr.trim().split("\n");
    expect(progressLines.length).toBeGreaterThanOrEqual(3);
    expect(progressLines.every((line) => /^upload large\.csv: [\d.]+ (B|KiB|MiB) of 6\.0 MiB \(\d+%\) [\d.]+ \S+\/s$/.test(line))).toBe(true);
    expect(progressLines.at(-1)).toMatch(/6\.0 MiB of 6\.0 MiB \(100%\)/);
    const blocks = await service.getContainerClient("landing").getBlockBlobClient("big/large.csv").getBlockList("committed");
    expect(blocks.committedBlocks).toHaveLength(6);
  });

  it("prints no progress with --no-progress", async () => {
    const file = temp.file("quiet.csv", randomContent(3 * MiB));

    const result = await cli.run(["--no-progress", "land", file, "--prefix", "quiet/", "--block-size", "1"], { env: withLake() });

    expect(result.code).toBe(ExitCode.ok);
    expect(result.stderr).toBe("");
  });

  it("stops cleanly on Ctrl-C: exit 130, nothing committed, and a rerun uploads", async () => {
    const file = temp.file("interrupted.csv", randomContent(48 * MiB));
    const args = ["land", file, "--prefix", "interrupted/", "--block-size", "1", "--concurrency", "1"];
    let signalled = false;

    const interrupted = await cli.run(args, {
      env: withLake(),
      onStderr: (text, child) => {
        if (!signalled && text.includes("upload interrupted.csv:")) {
          signalled = true;
          child.kill("SIGINT");
        }
      },
    });

    expect(interrupted.code).toBe(ExitCode.interrupted);
    expect(interrupted.stderr.trim().split("\n").at(-1)).toMatch(
      /^lake: Upload of interrupted\.csv interrupted after [\d.]+ MiB of 48\.0 MiB; nothing was committed, so landing\/interrupted\/interrupted\.csv is unchanged; run the same command again to restart the upload$/,
    );
    expect(await service.getContainerClient("landing").getBlobClient("interrupted/interrupted.csv").exists()).toBe(false);
    const rerun = await cli.run(args, { env: withLake() });
    expect(rerun.code).toBe(ExitCode.ok);
    expect(rerun.stdout).toMatch(/^uploaded interrupted\.csv/);
  });

  it("pulls a partition tree to a local directory", async () => {
    const body = randomContent(1000);
    await service.getContainerClient("features").getBlockBlobClient("export/year=2022/quarter=3/part-00000.parquet").upload(body, body.length);
    const target = join(temp.path, "ml");

    const result = await cli.run(["pull", "--container", "features", "--prefix", "export/year=2022/quarter=3/", "--to", target], { env: withLake() });

    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toMatch(/^pulled 1 file\(s\) \(1000 B\) from features\/export\/year=2022\/quarter=3\/ to .*ml, skipped 0 unchanged/);
    expect(existsSync(join(target, "export/year=2022/quarter=3/part-00000.parquet"))).toBe(true);
  });

  it("explains a missing container in one line with exit 4 and no stack trace", async () => {
    const file = temp.file("bankdataset.csv", bankCsv(10));

    const result = await cli.run(["land", file, "--container", "landng"], { env: withLake() });

    expect(result.code).toBe(ExitCode.notFound);
    expect(singleLine(result.stderr)).toEqual([
      'lake: Container "landng" does not exist in storage account "devstoreaccount1"; check --container (the lake has landing, curated, features and quarantine) or deploy LakeStorage first',
    ]);
    expect(result.stdout).toBe("");
  });

  it("explains a file that does not exist with exit 2", async () => {
    const missing = join(temp.path, "bankdataset.csv");

    const result = await cli.run(["land", missing], { env: withLake() });

    expect(result.code).toBe(ExitCode.usage);
    expect(singleLine(result.stderr)).toEqual([`lake: File not found: ${missing}; check the path (land takes the bank transactions CSV or XLSX export)`]);
  });

  it("explains missing credentials with exit 3", async () => {
    const result = await cli.run(["verify"]);

    expect(result.code).toBe(ExitCode.access);
    expect(singleLine(result.stderr)).toEqual([
      "lake: No credentials: pass --account-url https://<account>.blob.core.windows.net to sign in with Azure AD (az login, workload or managed identity), or set AZURE_STORAGE_CONNECTION_STRING for Azurite",
    ]);
  });

  it("explains that DefaultAzureCredential found no sign-in, without touching the network", async () => {
    // Restrict DefaultAzureCredential to the environment credential, which has nothing to use here.
    const result = await cli.run(["verify", "--account-url", "https://lakeprod.blob.core.windows.net"], { env: { AZURE_TOKEN_CREDENTIALS: "EnvironmentCredential" } });

    expect(result.code).toBe(ExitCode.access);
    expect(singleLine(result.stderr)).toEqual([
      'lake: No Azure credentials: DefaultAzureCredential found none that works; run "az login", or run where workload identity or a managed identity is set up (for Azurite, set AZURE_STORAGE_CONNECTION_STRING instead)',
    ]);
  });

  it("explains a 403 for a rejected key with exit 3 and never prints the key, even with --verbose", async () => {
    const plain = await cli.run(["verify"], { env: { AZURE_STORAGE_CONNECTION_STRING: azurite.wrongKeyConnectionString } });
    const verbose = await cli.run(["--verbose", "verify"], { env: { AZURE_STORAGE_CONNECTION_STRING: azurite.wrongKeyConnectionString } });

    expect(plain.code).toBe(ExitCode.access);
    expect(singleLine(plain.stderr)).toEqual([
      expect.stringMatching(/^lake: Access to container "landing" denied: the key or SAS in AZURE_STORAGE_CONNECTION_STRING was rejected or lacks permission; .* \(HTTP 403 AuthorizationFailure\)$/),
    ]);
    expect(verbose.code).toBe(ExitCode.access);
    expect(verbose.stderr).toMatch(/caused by: RestError: [\s\S]*\n\s+at /);
    const wrongKey = /AccountKey=([^;]+)/.exec(azurite.wrongKeyConnectionString)?.[1] ?? "";
    for (const output of [plain.stderr, plain.stdout, verbose.stderr, verbose.stdout]) {
      expect(output).not.toContain(wrongKey);
      expect(output).not.toContain(azurite.accountKey);
    }
  });

  it("explains a 403 when the credential may read but not write", async () => {
    const readOnlySas = generateBlobSASQueryParameters(
      { containerName: "landing", permissions: ContainerSASPermissions.parse("rl"), expiresOn: new Date(Date.now() + 3600_000) },
      new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey),
    ).toString();
    const file = temp.file("denied.csv", bankCsv(10));

    const result = await cli.run(["land", file], { env: { AZURE_STORAGE_CONNECTION_STRING: `BlobEndpoint=${azurite.blobEndpoint};SharedAccessSignature=${readOnlySas}` } });

    expect(result.code).toBe(ExitCode.access);
    expect(singleLine(result.stderr)).toEqual([expect.stringMatching(/^lake: Access to container "landing" denied: .*\(HTTP 403 AuthorizationPermissionMismatch\)$/)]);
    expect(result.stderr).not.toContain(readOnlySas.match(/sig=([^&]+)/)?.[1] ?? "<no sig>");
  });

  it("exits 2 with commander's message on a usage error", async () => {
    const result = await cli.run(["land"], { env: withLake() });

    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("error: missing required argument 'file'");
  });
});

describe("lake ready process", () => {
  const run = (lake: FixtureLake, ...args: string[]) =>
    cli.run(["ready", ...args, "--features-container", lake.features, "--curated-container", lake.curated, "--quarantine-container", lake.quarantine], {
      env: withLake(),
    });

  it("exits 0 with the checks on stdout when the quarter is ready, and 1 when the lake does not bear it out", async () => {
    const lake = await publishedLake(service);

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
    const lake = await publishedLake(service);

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
