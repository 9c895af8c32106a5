/**
 * Starts and stops the Azurite blob emulator for the lake CLI tests.
 *
 * This file is the ONE place that holds the Azurite development account key. It is the public,
 * documented emulator key that every Azurite install accepts (https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key);
 * it protects nothing and is never valid against Azure. Leak scanners may flag it: this is why.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createServer, Socket } from "node:net";
import { join, resolve } from "node:path";

const AZURITE_DEV_ACCOUNT_NAME = "devstoreaccount1";
/** The public Azurite development account key (see the file comment); not a secret. */
const AZURITE_PUBLIC_DEV_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite {
  readonly port: number;
  readonly blobEndpoint: string;
  readonly accountName: string;
  /** Connection string with the public development key, as AZURE_STORAGE_CONNECTION_STRING expects. */
  readonly connectionString: string;
  /** A connection string whose key Azurite rejects (for 403 tests). */
  readonly wrongKeyConnectionString: string;
  /** The public development key, for building SAS tokens in tests. */
  readonly accountKey: string;
  stop(): Promise<void>;
}

async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once("connect", () => { socket.destroy(); resolveAnswer(true); });
    socket.once("timeout", () => { socket.destroy(); resolveAnswer(false); });
    socket.once("error", () => { socket.destroy(); resolveAnswer(false); });
    socket.connect(port, "127.0.0.1");
  });
}

function connectionStringFor(blobEndpoint: string, key: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_DEV_ACCOUNT_NAME};AccountKey=${key};BlobEndpoint=${blobEndpoint};`;
}

/**
 * Where Azurite's TLS certificate and key are, for HTTPS and Entra ID bearer tokens (`--oauth
 * basic`: Azurite checks a token's audience, issuer and lifetime, not its signature).
 */
export interface AzuriteTls {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Starts Azurite (blob service only, in memory) on a free port and waits until it answers; with `tls`, over HTTPS taking OAuth tokens. */
export async function startAzurite(timeoutMs = 20000, tls?: AzuriteTls): Promise<RunningAzurite> {
  const repoRoot = resolve(__dirname, "..", "..");
  const executable = join(repoRoot, "node_modules", ".bin", "azurite-blob");
  const port = await findFreePort();
  const child: ChildProcess = spawn(
    executable,
    [
      "--blobHost", "127.0.0.1",
      "--blobPort", String(port),
      "--inMemoryPersistence",
      "--skipApiVersionCheck",
      "--loose",
      "--silent",
      // Tests must not touch the network.
      "--disableTelemetry",
      ...(tls ? ["--oauth", "basic", "--cert", tls.certFile, "--key", tls.keyFile] : []),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  let exited = false;
  child.once("exit", () => { exited = true; });

  const deadline = Date.now() + timeoutMs;
  while (!(await portAnswers(port))) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Azurite did not start on port ${port}: ${stderr.trim() || "no output"}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const blobEndpoint = `${tls ? "https" : "http"}://127.0.0.1:${port}/${AZURITE_DEV_ACCOUNT_NAME}`;
  const wrongKey = Buffer.from("not-the-azurite-key-".repeat(3)).toString("base64");
  return {
    port,
    blobEndpoint,
    accountName: AZURITE_DEV_ACCOUNT_NAME,
    accountKey: AZURITE_PUBLIC_DEV_ACCOUNT_KEY,
    connectionString: connectionStringFor(blobEndpoint, AZURITE_PUBLIC_DEV_ACCOUNT_KEY),
    wrongKeyConnectionString: connectionStringFor(blobEndpoint, wrongKey),
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await gone;
        clearTimeout(timer);
      }
    },
  };
}
