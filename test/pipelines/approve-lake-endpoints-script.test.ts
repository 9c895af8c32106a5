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

// The endpoint_name of the NCC's two rules (databricks_mws_ncc_private_endpoint_rule), as the
// stack's lake_ncc_endpoint_names output hands them to the script.
const NCC_DFS = "databricks-088781b3-77fa-4132-b429-1af0d91bc593-pe-3cb31234";
const NCC_BLOB = "databricks-088781b3-77fa-4132-b429-1af0d91bc593-pe-7d1e5678";
const NAMES = { APPROVE_ENDPOINT_NAMES: `${NCC_DFS},${NCC_BLOB}` };

describe("approve-lake-endpoints.sh", () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => rmSync(box.root, { recursive: true, force: true }));

  describe("with the NCC's endpoint names (APPROVE_ENDPOINT_NAMES, as the deploy pipeline runs it)", () => {
    it("approves exactly the named endpoints' pending connections, and nothing else", () => {
      box.listings([
        row("stbankdev01.dfs-1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`, "Databricks serverless private endpoint"),
        row("stbankdev01.blob-2", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_BLOB.toUpperCase()}`),
        // Another workspace's NCC, or anyone naming an endpoint databricks-...: not ours to approve.
        row("other-ncc", "Pending", `${DATABRICKS_ENDPOINT}/databricks-5f3a0000-1111-4222-8333-444455556666-pe-dfs`, "Databricks serverless private endpoint"),
        row("lookalike", "Pending", "/subscriptions/77777777-7777-7777-7777-777777777777/resourceGroups/rg-x/providers/Microsoft.Network/privateEndpoints/pe-databricks-lake", "for databricks"),
        // The estate's own endpoint, created approved by the stack.
        row("pe-lake-dfs", "Approved", "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-bank-dev-01/providers/Microsoft.Network/privateEndpoints/pe-stbankdev01-dfs"),
      ]);
      const result = box.run([ACCOUNT], NAMES);
      expect(result.status).toBe(0);
      expect(box.calls()).toEqual([LIST_CALL, approveCall("stbankdev01.dfs-1"), approveCall("stbankdev01.blob-2")]);
      expect(result.stdout).toContain("approved 2 pending Databricks private endpoint connection(s); 0 already approved");
      expect(result.stdout).not.toContain("warning");
    });

    it("does not approve a non-NCC endpoint with databricks in its name, and waits for the named one", () => {
      box.listings([
        row("c1", "Approved", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`),
        row("impostor", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`, "Databricks serverless private endpoint"),
      ]);
      const result = box.run([ACCOUNT], { ...NAMES, APPROVE_TIMEOUT_SECONDS: "0" });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`found 1 of 2 Databricks private endpoint connections on ${ACCOUNT} after 0s (none Pending or Approved for: ${NCC_BLOB})`);
      expect(box.calls()).toEqual([LIST_CALL]);
    });

    it("does not count a Rejected or Disconnected connection of a named endpoint, and says so in one line", () => {
      box.listings(
        [row("old-blob", "Rejected", `${DATABRICKS_ENDPOINT}/${NCC_BLOB}`), row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`)],
        [row("old-blob", "Rejected", `${DATABRICKS_ENDPOINT}/${NCC_BLOB}`), row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`), row("c2", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_BLOB}`)],
      );
      const result = box.run([ACCOUNT], NAMES);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("waiting for the NCC's private endpoints: 1 of 2");
      expect(box.calls()).toEqual([LIST_CALL, LIST_CALL, approveCall("c1"), approveCall("c2")]);
      expect(result.stdout.split("\n").filter((line) => line.startsWith("ignored"))).toEqual(["ignored 1 rejected or disconnected connection(s): old-blob (Rejected)"]);
    });

    it("waits until the NCC has created both named endpoints", () => {
      box.listings([], [row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`)], [row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`), row("c2", "Approved", `${DATABRICKS_ENDPOINT}/${NCC_BLOB}`)]);
      const result = box.run([ACCOUNT], { APPROVE_ENDPOINT_NAMES: ` ${NCC_DFS} , ${NCC_BLOB},` });
      expect(result.status).toBe(0);
      expect(box.calls()).toEqual([LIST_CALL, LIST_CALL, LIST_CALL, approveCall("c1")]);
      expect(result.stdout).toContain("waiting for the NCC's private endpoints: 0 of 2");
      expect(result.stdout).toContain("approved 1 pending Databricks private endpoint connection(s); 1 already approved");
    });

    it("ignores APPROVE_EXPECTED: it waits for every named endpoint", () => {
      box.listings([row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`)]);
      const result = box.run([ACCOUNT], { ...NAMES, APPROVE_EXPECTED: "1", APPROVE_TIMEOUT_SECONDS: "0" });
      expect(result.status).toBe(1);
      expect(box.calls()).toEqual([LIST_CALL]);
    });

    it.each([
      ["an unexpanded pipeline variable", "$(TF_OUTPUT_lake_ncc_endpoint_names)", "does the stack have the output lake_ncc_endpoint_names"],
      ["an empty value", "", "is set but names no endpoint"],
      ["only separators (rules whose endpoint_name is still empty)", ",", "is set but names no endpoint"],
    ])("refuses %s instead of falling back to matching 'databricks'", (_, value, message) => {
      box.listings([row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`)]);
      const result = box.run([ACCOUNT], { APPROVE_ENDPOINT_NAMES: value });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(message);
      expect(box.calls()).toEqual([]);
    });
  });

  describe("the fallback without APPROVE_ENDPOINT_NAMES: Databricks by name or description", () => {
    it("approves the pending Databricks connections, dfs and blob, and nothing else, with a warning", () => {
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
      expect(result.stdout).toContain("##vso[task.logissue type=warning]approve-lake-endpoints: APPROVE_ENDPOINT_NAMES is not set");
    });

    it("recognises a Databricks request by its description too", () => {
      box.listings([
        row("c1", "Pending", `${DATABRICKS_ENDPOINT}/pe-1`, "Request from Azure Databricks NCC"),
        row("c2", "Approved", `${DATABRICKS_ENDPOINT}/databricks-pe-2`),
      ]);
      expect(box.run([ACCOUNT]).status).toBe(0);
      expect(box.calls()).toEqual([LIST_CALL, approveCall("c1")]);
    });

    it("reads a connection whose private endpoint id is empty without shifting its columns", () => {
      box.listings([row("c1", "Pending", "", "Request from Azure Databricks NCC"), row("c2", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-2`)]);
      expect(box.run([ACCOUNT]).status).toBe(0);
      expect(box.calls()).toEqual([LIST_CALL, approveCall("c1"), approveCall("c2")]);
    });

    it("does nothing, successfully, when the connections are already approved (a re-deploy)", () => {
      box.listings([row("c1", "Approved", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`), row("c2", "Approved", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`)]);
      const result = box.run([ACCOUNT]);
      expect(result.status).toBe(0);
      expect(box.calls()).toEqual([LIST_CALL]);
      expect(result.stdout).toContain("approved 0 pending");
    });

    it("does not count a Rejected or Disconnected old connection: it waits for the new ones", () => {
      const old = [row("old-dfs", "Rejected", `${DATABRICKS_ENDPOINT}/databricks-old-pe-dfs`), row("old-blob", "Disconnected", `${DATABRICKS_ENDPOINT}/databricks-old-pe-blob`)];
      box.listings([...old, row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`)], [...old, row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`), row("c2", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`)]);
      const result = box.run([ACCOUNT]);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("waiting for the NCC's private endpoints: 1 of 2");
      expect(box.calls()).toEqual([LIST_CALL, LIST_CALL, approveCall("c1"), approveCall("c2")]);
      expect(result.stdout).toContain("ignored 2 rejected or disconnected connection(s): old-dfs (Rejected) old-blob (Disconnected)");
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

    it("gives up after the timeout, naming what it found and the rejected connection it ignored", () => {
      box.listings([row("c1", "Pending", `${DATABRICKS_ENDPOINT}/databricks-pe-dfs`), row("c0", "Rejected", `${DATABRICKS_ENDPOINT}/databricks-pe-blob`)]);
      const result = box.run([ACCOUNT], { APPROVE_TIMEOUT_SECONDS: "0" });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain("found 1 of 2 Databricks private endpoint connections");
      expect(result.stdout).toContain("ignored 1 rejected or disconnected connection(s): c0 (Rejected)");
      expect(box.calls().filter((call) => call.includes(" approve "))).toEqual([]);
    });
  });

  it("refuses an unexpanded pipeline variable instead of a storage account id", () => {
    const result = box.run(["$(TF_OUTPUT_lake_account_id)"], NAMES);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("is not a storage account id; does the stack have the output lake_account_id?");
    expect(box.calls()).toEqual([]);
  });

  it("fails when an approval is refused", () => {
    box.listings([row("c1", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_DFS}`), row("c2", "Pending", `${DATABRICKS_ENDPOINT}/${NCC_BLOB}`)]);
    const result = box.run([ACCOUNT], { ...NAMES, AZ_APPROVE_FAILS: "1" });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`could not approve ${connection("c1")}`);
  });
});
