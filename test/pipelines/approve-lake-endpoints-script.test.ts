import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PIPELINES_DIR } from "./azure-pipelines";

const script = path.join(PIPELINES_DIR, "scripts", "approve-lake-endpoints.sh");
const ACCOUNT = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-bank-dev-01/providers/Microsoft.Storage/storageAccounts/stbankdev01";
const connection = (name: string) => `${ACCOUNT}/privateEndpointConnections/${name}`;
const DATABRICKS_ENDPOINT = "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/prod-azure-westeurope-nephos/providers/Microsoft.Network/privateEndpoints";

/**
 * A stand-in `az` on PATH: records each call, and answers `private-endpoint-connection list` with
 * the next listing from $AZ_LISTINGS (one file per call, the last one repeated), as the tab-separated
 * rows the script's --query and --output tsv ask for.
 */
const FAKE_AZ = `#!/usr/bin/env bash
set -euo pipefail
echo "az $*" >>"$AZ_CALLS"
case "$*" in
  "network private-endpoint-connection list "*)
    count=$(cat "$AZ_LISTINGS/count" 2>/dev/null || echo 0)
    count=$((count + 1)); echo "$count" >"$AZ_LISTINGS/count"
    file="$AZ_LISTINGS/$count.tsv"; [[ -f "$file" ]] || file="$(ls "$AZ_LISTINGS"/*.tsv | sort -V | tail -n 1)"
    cat "$file" ;;
  "network private-endpoint-connection approve "*) [[ -z "\${AZ_APPROVE_FAILS:-}" ]] || { echo "ERROR: AuthorizationFailed" >&2; exit 1; } ;;
  *) echo "unexpected az call: $*" >&2; exit 2 ;;
esac
`;

interface Sandbox {
  root: string;
  listings(...listings: string[][]): void;
  calls(): string[];
  run(args: string[], env?: Record<string, string>): { status: number | null; stdout: string; stderr: string };
}

function sandbox(): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), "approve-endpoints-"));
  const bin = path.join(root, "bin");
  const listingsDir = path.join(root, "listings");
  mkdirSync(bin);
  mkdirSync(listingsDir);
  writeFileSync(path.join(bin, "az"), FAKE_AZ);
  chmodSync(path.join(bin, "az"), 0o755);
  const callsFile = path.join(root, "calls.log");
  writeFileSync(callsFile, "");
  return {
    root,
    listings(...listings) {
      listings.forEach((rows, index) => writeFileSync(path.join(listingsDir, `${index + 1}.tsv`), rows.map((row) => `${row}\n`).join("")));
    },
    calls: () => readFileSync(callsFile, "utf8").split("\n").filter((line) => line !== ""),
    run(args, env = {}) {
      const result = spawnSync("bash", [script, ...args], {
        env: { PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: root, AZ_CALLS: callsFile, AZ_LISTINGS: listingsDir, APPROVE_POLL_SECONDS: "0", APPROVE_TIMEOUT_SECONDS: "5", ...env },
        encoding: "utf8",
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

const row = (name: string, status: string, endpoint: string, description = "") => [connection(name), status, endpoint, description].join("\t");
const LIST_CALL = `az network private-endpoint-connection list --id ${ACCOUNT} --query [].[id, properties.privateLinkServiceConnectionState.status, properties.privateEndpoint.id, properties.privateLinkServiceConnectionState.description] --output tsv`;
const approveCall = (name: string) =>
  `az network private-endpoint-connection approve --id ${connection(name)} --description Approved by the deploy pipeline: Databricks NCC endpoint to the lake --output none`;

describe("approve-lake-endpoints.sh", () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => rmSync(box.root, { recursive: true, force: true }));

  it("approves the pending Databricks connections, dfs and blob, and nothing else", () => {
    box.listings([
      row("stbankdev01.dfs-1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-5f3a-pe-dfs`, "Databricks serverless private endpoint"),
      row("stbankdev01.blob-2", "Pending", `${DATABRICKS_ENDPOINT}/databricks-5f3a-pe-blob`),
      // The estate's own endpoints, created approved by the stack.
      row("pe-lake-dfs", "Approved", "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-bank-dev-01/providers/Microsoft.Network/privateEndpoints/pe-stbankdev01-dfs"),
      // Someone else's request is never approved here.
      row("stranger", "Pending", "/subscriptions/77777777-7777-7777-7777-777777777777/resourceGroups/rg-x/providers/Microsoft.Network/privateEndpoints/pe-unknown", "please"),
    ]);
    const result = box.run([ACCOUNT]);
    expect(result.status).toBe(0);
    expect(box.calls()).toEqual([LIST_CALL, approveCall("stbankdev01.dfs-1"), approveCall("stbankdev01.blob-2")]);
    expect(result.stdout).toContain("approved 2 pending Databricks private endpoint connection(s)");
  });

  it("recognises a Databricks request by its description too", () => {
    box.listings([
      row("c1", "Pending", `${DATABRICKS_ENDPOINT}/pe-1`, "Request from Azure Databricks NCC"),
      row("c2", "Approved", `${DATABRICKS_ENDPOINT}/databricks-pe-2`),
    ]);
    expect(box.run([ACCOUNT]).status).toBe(0);
    expect(box.calls()).toEqual([LIST_CALL, approveCall("c1")]);
  });

  it("does nothing, successfully, when the connections are already approved (a re-deploy)", () => {
    box.listings([row("c1", "Approved", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`), row("c2", "Approved", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`)]);
    const result = box.run([ACCOUNT]);
    expect(result.status).toBe(0);
    expect(box.calls()).toEqual([LIST_CALL]);
    expect(result.stdout).toContain("approved 0 pending");
  });

  it("waits until the NCC has created both endpoints", () => {
    box.listings(
      [],
      [row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`)],
      [row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`), row("c2", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`)],
    );
    const result = box.run([ACCOUNT]);
    expect(result.status).toBe(0);
    expect(box.calls()).toEqual([LIST_CALL, LIST_CALL, LIST_CALL, approveCall("c1"), approveCall("c2")]);
    expect(result.stdout).toContain("waiting for the NCC's private endpoints: 1 of 2");
  });

  it("gives up after the timeout, naming what it found", () => {
    box.listings([row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`)]);
    const result = box.run([ACCOUNT], { APPROVE_TIMEOUT_SECONDS: "0" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("found 1 of 2 Databricks private endpoint connections");
    expect(box.calls().filter((call) => call.includes(" approve "))).toEqual([]);
  });

  it("refuses an unexpanded pipeline variable instead of a storage account id", () => {
    const result = box.run(["$(TF_OUTPUT_lake_account_id)"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("is not a storage account id; does the stack have the output lake_account_id?");
    expect(box.calls()).toEqual([]);
  });

  it("fails when an approval is refused", () => {
    box.listings([row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`), row("c2", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`)]);
    const result = box.run([ACCOUNT], { AZ_APPROVE_FAILS: "1" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`could not approve ${connection("c1")}`);
  });
});
