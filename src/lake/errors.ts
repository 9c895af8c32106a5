/**
 * Errors of the lake CLI: every failure becomes a LakeError with a one-line, actionable message
 * and an exit code, so scripts and pipelines can tell the cases apart.
 */
import { RestError } from "@azure/storage-blob";

/** Exit codes of the `lake` command (documented in docs/lake-cli.md, "Errors and exit codes"). */
export const ExitCode = {
  ok: 0,
  /** verify found a mismatch, a transferred file failed its integrity check, or `ready` found a manifest that the lake does not bear out. */
  mismatch: 1,
  /** Bad arguments or a local file that does not exist. */
  usage: 2,
  /** No credentials, or the lake refused them (401/403). */
  access: 3,
  /** A container, blob or run record the command needs does not exist. */
  notFound: 4,
  /** The storage service could not be reached or a transfer failed. */
  transfer: 5,
  /** `ready`: the quarter has no manifest yet (the job has not published it): wait and ask again. */
  notReady: 6,
  /** `ready`: the quarter's manifest is not valid JSON, does not match its JSON Schema, or names another quarter. */
  invalidManifest: 7,
  /** Interrupted by Ctrl-C / SIGTERM (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class LakeError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LakeError";
  }
}

/** Roles the CLI needs, named in 403 messages. */
export const WRITE_ROLE = "Storage Blob Data Contributor";
export const READ_ROLE = "Storage Blob Data Reader";

/** What the command was doing when the error happened, to make the message specific. */
export interface ErrorContext {
  /** "connection-string" or "azure-ad": which hint fits a 403. */
  authMode?: "connection-string" | "azure-ad";
  accountName?: string;
  container?: string;
  /** Whether the command writes (land) or only reads (verify, pull): which role to name. */
  writes?: boolean;
}

/**
 * Removes anything secret-looking (account keys, SAS signatures, bearer tokens) from text that is
 * about to be printed. Error messages of the SDK can echo request URLs or connection strings.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/(AccountKey=)[^;\s]+/gi, "$1<redacted>")
    .replace(/(SharedAccessSignature=)[^;\s]+/gi, "$1<redacted>")
    .replace(/([?&]sig=)[^&\s]+/gi, "$1<redacted>")
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, "$1<redacted>")
    .replace(/(SharedKey\s+[^:\s]+:)[A-Za-z0-9+/=]+/g, "$1<redacted>");
}

function storageErrorCode(error: RestError): string | undefined {
  const details = error.details as { errorCode?: string } | undefined;
  return details?.errorCode ?? error.response?.headers.get("x-ms-error-code") ?? (error.code as string | undefined);
}

/** True for the service's 404 of a blob that does not exist (not of a missing container). */
export function isBlobNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404 && storageErrorCode(error) !== "ContainerNotFound";
}

const NETWORK_ERROR_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH"]);

function isRestError(error: unknown): error is RestError {
  return error instanceof RestError || (error instanceof Error && error.name === "RestError");
}

function forbiddenMessage(code: string | undefined, context: ErrorContext): string {
  const where = context.container ? `container "${context.container}"` : "the lake";
  const role = context.writes ? WRITE_ROLE : `${READ_ROLE} (or ${WRITE_ROLE})`;
  const suffix = ` (HTTP 403${code ? ` ${code}` : ""})`;
  if (code === "KeyBasedAuthenticationNotPermitted") {
    return `The lake disables shared keys: drop AZURE_STORAGE_CONNECTION_STRING and pass --account-url https://<account>.blob.core.windows.net to sign in with Azure AD${suffix}`;
  }
  if (context.authMode === "connection-string") {
    return `Access to ${where} denied: the key or SAS in AZURE_STORAGE_CONNECTION_STRING was rejected or lacks permission; check it (for Azurite use the emulator's development connection string)${suffix}`;
  }
  if (code === "AuthorizationPermissionMismatch") {
    return `Access to ${where} denied: your identity has no data role on it; ask for "${role}" on the storage account or container (role assignments take a few minutes to apply)${suffix}`;
  }
  return `Access to ${where} denied: the lake only accepts private endpoints and trusted networks, so run from the estate's VNet or a peered network; if you already do, ask for "${role}" on the storage account${suffix}`;
}

/**
 * Turns any error thrown while talking to the lake into a LakeError with a one-line message.
 * LakeErrors pass through unchanged.
 */
export function toLakeError(error: unknown, context: ErrorContext = {}): LakeError {
  if (error instanceof LakeError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new LakeError("Interrupted before finishing; nothing in the lake was changed", ExitCode.interrupted, { cause: error });
  }
  if (error instanceof Error && (error.name === "CredentialUnavailableError" || error.name === "AuthenticationError" || error.name === "AggregateAuthenticationError")) {
    return new LakeError(
      'No Azure credentials: DefaultAzureCredential found none that works; run "az login", or run where workload identity or a managed identity is set up (for Azurite, set AZURE_STORAGE_CONNECTION_STRING instead)',
      ExitCode.access,
      { cause: error },
    );
  }
  if (isRestError(error)) {
    const code = storageErrorCode(error);
    const where = context.container ? `container "${context.container}"` : "the lake";
    if (error.statusCode === 403) return new LakeError(forbiddenMessage(code, context), ExitCode.access, { cause: error });
    if (error.statusCode === 401) {
      return new LakeError(`The lake rejected the credentials (HTTP 401${code ? ` ${code}` : ""}); sign in again ("az login") or check AZURE_STORAGE_CONNECTION_STRING`, ExitCode.access, { cause: error });
    }
    if (code === "ContainerNotFound") {
      const account = context.accountName ? ` in storage account "${context.accountName}"` : "";
      return new LakeError(
        `Container "${context.container ?? "?"}" does not exist${account}; check --container (the lake has landing, curated, features and quarantine) or deploy LakeStorage first`,
        ExitCode.notFound,
        { cause: error },
      );
    }
    if (error.statusCode === 404) {
      return new LakeError(`Not found in ${where}${code ? ` (${code})` : ""}`, ExitCode.notFound, { cause: error });
    }
    if (error.code && NETWORK_ERROR_CODES.has(error.code)) {
      return new LakeError(
        `Cannot reach the storage endpoint (${error.code}); the lake has no public endpoint, so run from a network that resolves and reaches its private endpoint (for Azurite, check it is running)`,
        ExitCode.transfer,
        { cause: error },
      );
    }
    const status = error.statusCode ? `HTTP ${error.statusCode}` : "request failed";
    return new LakeError(`Storage request failed (${status}${code ? ` ${code}` : ""}): ${redactSecrets(firstLine(error.message))}`, ExitCode.transfer, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LakeError(redactSecrets(firstLine(message)), ExitCode.transfer, { cause: error });
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").trim();
}

/** The text to print for an error: one line, or the full chain with stacks when verbose. */
export function formatError(error: LakeError, verbose: boolean): string {
  if (!verbose) return `lake: ${error.message}`;
  const parts: string[] = [`lake: ${error.message}`];
  let cause: unknown = error.cause;
  while (cause !== undefined && cause !== null) {
    parts.push(`caused by: ${redactSecrets(cause instanceof Error ? cause.stack ?? cause.message : String(cause))}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (parts.length === 1 && error.stack) parts.push(redactSecrets(error.stack));
  return parts.join("\n");
}
