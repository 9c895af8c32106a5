import { RestError } from "@azure/storage-blob";
import { ExitCode, formatError, LakeError, redactSecrets, toLakeError } from "../../src/lake/errors";

function storageError(statusCode: number, errorCode: string): RestError {
  const error = new RestError(`${errorCode}: the service said no\nRequestId:123\nTime:2026-11-28T00:00:00Z`, { statusCode, code: errorCode });
  error.details = { errorCode };
  return error;
}

describe("error messages", () => {
  it("names the data role when the signed-in identity lacks one (403 AuthorizationPermissionMismatch)", () => {
    const error = toLakeError(storageError(403, "AuthorizationPermissionMismatch"), { authMode: "azure-ad", container: "landing", writes: true });

    expect(error.exitCode).toBe(ExitCode.access);
    expect(error.message).toBe(
      'Access to container "landing" denied: your identity has no data role on it; ask for "Storage Blob Data Contributor" on the storage account or container (role assignments take a few minutes to apply) (HTTP 403 AuthorizationPermissionMismatch)',
    );
  });

  it("names the reader role for commands that only read", () => {
    const error = toLakeError(storageError(403, "AuthorizationPermissionMismatch"), { authMode: "azure-ad", container: "features", writes: false });

    expect(error.message).toContain('ask for "Storage Blob Data Reader (or Storage Blob Data Contributor)"');
  });

  it("explains the private-endpoint-only firewall on 403 AuthorizationFailure", () => {
    const error = toLakeError(storageError(403, "AuthorizationFailure"), { authMode: "azure-ad", container: "landing", writes: true });

    expect(error.exitCode).toBe(ExitCode.access);
    expect(error.message).toBe(
      'Access to container "landing" denied: the lake only accepts private endpoints and trusted networks, so run from the estate\'s VNet or a peered network; if you already do, ask for "Storage Blob Data Contributor" on the storage account (HTTP 403 AuthorizationFailure)',
    );
  });

  it("tells connection-string users that the lake disables shared keys", () => {
    const error = toLakeError(storageError(403, "KeyBasedAuthenticationNotPermitted"), { authMode: "connection-string" });

    expect(error.message).toMatch(/^The lake disables shared keys: drop AZURE_STORAGE_CONNECTION_STRING and pass --account-url/);
  });

  it("blames the key or SAS for a 403 in connection-string mode", () => {
    const error = toLakeError(storageError(403, "AuthenticationFailed"), { authMode: "connection-string", container: "landing" });

    expect(error.message).toMatch(/^Access to container "landing" denied: the key or SAS in AZURE_STORAGE_CONNECTION_STRING was rejected or lacks permission/);
  });

  it("explains an unreachable endpoint", () => {
    const error = toLakeError(new RestError("getaddrinfo ENOTFOUND lakeprod.blob.core.windows.net", { code: "ENOTFOUND" }));

    expect(error.exitCode).toBe(ExitCode.transfer);
    expect(error.message).toMatch(/^Cannot reach the storage endpoint \(ENOTFOUND\); the lake has no public endpoint/);
  });

  it("reports an interrupted read with the interrupt exit code", () => {
    const abort = Object.assign(new Error("The operation was aborted."), { name: "AbortError" });

    expect(toLakeError(abort)).toMatchObject({ exitCode: ExitCode.interrupted, message: "Interrupted before finishing; nothing in the lake was changed" });
  });

  it("keeps other storage errors to their first line", () => {
    const error = toLakeError(storageError(409, "LeaseIdMissing"));

    expect(error.message).toBe("Storage request failed (HTTP 409 LeaseIdMissing): LeaseIdMissing: the service said no");
  });

  it("removes account keys, SAS signatures and tokens from printed text", () => {
    const text = "AccountKey=c2VjcmV0;BlobEndpoint=x https://a.blob.core.windows.net/c?sv=1&sig=abc%2Fdef Authorization: Bearer eyJ0eXAi.abc.def";

    expect(redactSecrets(text)).toBe("AccountKey=<redacted>;BlobEndpoint=x https://a.blob.core.windows.net/c?sv=1&sig=<redacted> Authorization: Bearer <redacted>");
  });

  it("prints one line without a stack trace unless verbose", () => {
    const cause = new Error("socket hang up");
    const error = new LakeError("Upload failed", ExitCode.transfer, { cause });

    expect(formatError(error, false)).toBe("lake: Upload failed");
    const verbose = formatError(error, true);
    expect(verbose.split("\n")[0]).toBe("lake: Upload failed");
    expect(verbose).toContain("caused by: Error: socket hang up\n    at ");
  });
});
