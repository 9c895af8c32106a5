/**
 * Chooses how the CLI signs in to the lake.
 *
 * - `--account-url https://<account>.blob.core.windows.net`: Azure AD through DefaultAzureCredential
 *   (workload identity in pipelines, Azure CLI or managed identity elsewhere). This is the only
 *   mode that works against the real lake, which disables shared keys.
 * - otherwise `AZURE_STORAGE_CONNECTION_STRING`: for the Azurite emulator and local use.
 *
 * An explicit --account-url wins over the environment variable, so a stray connection string in a
 * shell cannot silently redirect a pipeline. The connection string is never echoed.
 */
import type { TokenCredential } from "@azure/identity";
import { BlobServiceClient, StoragePipelineOptions } from "@azure/storage-blob";
import { ExitCode, LakeError } from "./errors";

export const CONNECTION_STRING_VARIABLE = "AZURE_STORAGE_CONNECTION_STRING";

export type AuthMode = "connection-string" | "azure-ad";

export interface LakeConnection {
  readonly service: BlobServiceClient;
  readonly authMode: AuthMode;
  readonly accountName: string;
  /** A printable description of where and how the CLI connects; never contains a secret. */
  readonly description: string;
}

export interface ConnectOptions {
  /** The --account-url flag. */
  readonly accountUrl?: string;
  /** The environment to read the connection string from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The Azure AD credential to use with --account-url. @default new DefaultAzureCredential() */
  readonly credential?: TokenCredential;
}

/** Shorter back-off than the SDK default (4 s, up to 120 s) so an unreachable lake fails in seconds, not minutes. */
const PIPELINE_OPTIONS: StoragePipelineOptions = {
  retryOptions: { maxTries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 8000 },
  userAgentOptions: { userAgentPrefix: "azure-quarterly-batch-lake-cli" },
};

/** Checks --account-url and returns its normalised form (origin only, no path, query or SAS). */
export function parseAccountUrl(accountUrl: string): URL {
  let url: URL;
  try {
    url = new URL(accountUrl);
  } catch {
    throw new LakeError(`--account-url "${accountUrl}" is not a URL; use https://<account>.blob.core.windows.net`, ExitCode.usage);
  }
  if (url.protocol !== "https:") {
    throw new LakeError(`--account-url must use https (Azure AD tokens are only sent over TLS); use https://<account>.blob.core.windows.net`, ExitCode.usage);
  }
  if (url.search !== "" || url.username !== "" || url.password !== "") {
    throw new LakeError("--account-url must not carry a query string or credentials; the CLI signs in with Azure AD", ExitCode.usage);
  }
  if (/\.dfs\.core\./i.test(url.hostname)) {
    throw new LakeError(`--account-url points at the dfs endpoint; use the blob endpoint https://${url.hostname.replace(/\.dfs\./i, ".blob.")}`, ExitCode.usage);
  }
  return url;
}

/** Builds the BlobServiceClient for the chosen authentication mode. */
export async function connectToLake(options: ConnectOptions = {}): Promise<LakeConnection> {
  const env = options.env ?? process.env;
  if (options.accountUrl !== undefined && options.accountUrl !== "") {
    const url = parseAccountUrl(options.accountUrl);
    // Loaded only when needed: @azure/identity adds about 0.2 s to every start of the CLI.
    const credential = options.credential ?? new (await import("@azure/identity")).DefaultAzureCredential();
    const service = new BlobServiceClient(url.origin, credential, PIPELINE_OPTIONS);
    return { service, authMode: "azure-ad", accountName: service.accountName, description: `${url.origin} (Azure AD, DefaultAzureCredential)` };
  }
  const connectionString = env[CONNECTION_STRING_VARIABLE];
  if (connectionString !== undefined && connectionString.trim() !== "") {
    let service: BlobServiceClient;
    try {
      service = BlobServiceClient.fromConnectionString(connectionString, PIPELINE_OPTIONS);
    } catch (error) {
      // The SDK's message may quote the string; say only which variable is wrong (--verbose shows the cause, redacted).
      throw new LakeError(`${CONNECTION_STRING_VARIABLE} is not a valid storage connection string; check its AccountName, AccountKey/SharedAccessSignature and BlobEndpoint parts`, ExitCode.usage, { cause: error });
    }
    return { service, authMode: "connection-string", accountName: service.accountName, description: `${service.url} (${CONNECTION_STRING_VARIABLE})` };
  }
  throw new LakeError(
    `No credentials: pass --account-url https://<account>.blob.core.windows.net to sign in with Azure AD (az login, workload or managed identity), or set ${CONNECTION_STRING_VARIABLE} for Azurite`,
    ExitCode.access,
  );
}
