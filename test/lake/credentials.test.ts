import { CredentialUnavailableError, type TokenCredential } from "@azure/identity";
import { connectToLake } from "../../src/lake/credentials";
import { ExitCode, toLakeError } from "../../src/lake/errors";

/** Stands in for DefaultAzureCredential on a machine with no Azure sign-in; never touches the network. */
function unavailableCredential(calls: string[][]): TokenCredential {
  return {
    async getToken(scopes) {
      calls.push(([] as string[]).concat(scopes));
      throw new CredentialUnavailableError("DefaultAzureCredential: no credential in the chain is available");
    },
  };
}

// A syntactically valid connection string; the key is a placeholder, not a real or emulator key.
const placeholderKey = Buffer.from("placeholder-key-for-tests").toString("base64");
const connectionString = `DefaultEndpointsProtocol=http;AccountName=localacct;AccountKey=${placeholderKey};BlobEndpoint=http://127.0.0.1:1/localacct;`;

describe("credential choice", () => {
  it("uses AZURE_STORAGE_CONNECTION_STRING when no --account-url is given", async () => {
    const connection = await connectToLake({ env: { AZURE_STORAGE_CONNECTION_STRING: connectionString } });

    expect(connection.authMode).toBe("connection-string");
    expect(connection.accountName).toBe("localacct");
    expect(connection.description).toBe("http://127.0.0.1:1/localacct (AZURE_STORAGE_CONNECTION_STRING)");
  });

  it("signs in with Azure AD when --account-url is given, even if a connection string is set", async () => {
    const connection = await connectToLake({
      accountUrl: "https://lakeprod.blob.core.windows.net/",
      env: { AZURE_STORAGE_CONNECTION_STRING: connectionString },
      credential: unavailableCredential([]),
    });

    expect(connection.authMode).toBe("azure-ad");
    expect(connection.accountName).toBe("lakeprod");
    expect(connection.description).toBe("https://lakeprod.blob.core.windows.net (Azure AD, DefaultAzureCredential)");
  });

  it("asks the Azure AD credential for a storage token and explains when none is available", async () => {
    const calls: string[][] = [];
    const connection = await connectToLake({ accountUrl: "https://lakeprod.blob.core.windows.net", env: {}, credential: unavailableCredential(calls) });

    const failure = await connection.service.getContainerClient("landing").getProperties().catch((error: unknown) => error);

    expect(calls[0]).toEqual(["https://storage.azure.com/.default"]);
    const lakeError = toLakeError(failure, { authMode: "azure-ad", container: "landing" });
    expect(lakeError.exitCode).toBe(ExitCode.access);
    expect(lakeError.message).toBe(
      'No Azure credentials: DefaultAzureCredential found none that works; run "az login", or run where workload identity or a managed identity is set up (for Azurite, set AZURE_STORAGE_CONNECTION_STRING instead)',
    );
  });

  it("fails with a one-line message when there are no credentials at all", async () => {
    await expect(connectToLake({ env: {} })).rejects.toThrow(
      "No credentials: pass --account-url https://<account>.blob.core.windows.net to sign in with Azure AD (az login, workload or managed identity), or set AZURE_STORAGE_CONNECTION_STRING for Azurite",
    );
  });

  it("treats an empty connection string as not set", async () => {
    await expect(connectToLake({ env: { AZURE_STORAGE_CONNECTION_STRING: "  " } })).rejects.toThrow(/^No credentials/);
  });

  it("rejects an account URL that is not https", async () => {
    await expect(connectToLake({ accountUrl: "http://lakeprod.blob.core.windows.net", env: {} })).rejects.toThrow(/^--account-url must use https/);
  });

  it("points from the dfs endpoint to the blob endpoint", async () => {
    await expect(connectToLake({ accountUrl: "https://lakeprod.dfs.core.windows.net", env: {} })).rejects.toThrow(
      "--account-url points at the dfs endpoint; use the blob endpoint https://lakeprod.blob.core.windows.net",
    );
  });

  it("rejects an account URL that carries a SAS token", async () => {
    await expect(connectToLake({ accountUrl: "https://lakeprod.blob.core.windows.net/?sv=2024&sig=abc", env: {} })).rejects.toThrow(/must not carry a query string/);
  });

  it("reports a malformed connection string without echoing it", async () => {
    const malformed = `AccountKey=${placeholderKey};nonsense`;

    const message = await connectToLake({ env: { AZURE_STORAGE_CONNECTION_STRING: malformed } }).then(
      () => "",
      (error: Error) => error.message,
    );

    expect(message).toMatch(/^AZURE_STORAGE_CONNECTION_STRING is not a valid storage connection string/);
    expect(message).not.toContain(placeholderKey);
  });
});
