#!/usr/bin/env bash
# Approves the private endpoint connections that the Databricks network connectivity configuration
# (NCC) requested on the lake storage account, so that Unity Catalog and serverless compute reach
# the private lake. Runs in the deploy pipeline after `terraform apply`, from AzureCLI@2 with the
# environment's workload identity federation service connection (which needs
# Microsoft.Storage/storageAccounts/privateEndpointConnectionsApproval/action on the account:
# Contributor or Storage Account Contributor).
#
#   approve-lake-endpoints.sh <storage-account-id>
#
# The NCC creates its endpoints asynchronously, so the script waits until the expected number of
# Databricks connections exists on the account (APPROVE_EXPECTED, default 2: dfs and blob), then
# approves each one that is Pending. Connections that are already Approved are left alone, and
# connections from anyone but Databricks are never touched. Approving nothing is a success.
#   APPROVE_EXPECTED          connections to wait for (default 2)
#   APPROVE_TIMEOUT_SECONDS   how long to wait for them (default 600)
#   APPROVE_POLL_SECONDS      pause between listings (default 20)
set -euo pipefail

usage="usage: approve-lake-endpoints.sh <storage-account-id>"
account_id="${1:?$usage}"
expected="${APPROVE_EXPECTED:-2}"
timeout_seconds="${APPROVE_TIMEOUT_SECONDS:-600}"
poll_seconds="${APPROVE_POLL_SECONDS:-20}"

fail() {
  echo "##vso[task.logissue type=error]approve-lake-endpoints: $*"
  exit 1
}

# An unexpanded $(TF_OUTPUT_...) macro or an empty output lands here as text: refuse it by name.
[[ "$account_id" =~ ^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}$ ]] ||
  fail "'$account_id' is not a storage account id; does the stack have the output lake_account_id?"
command -v az >/dev/null || fail "the Azure CLI (az) is not on PATH; run me from AzureCLI@2"

# One line per connection: id, status, private endpoint id, description (tab-separated).
list_connections() {
  az network private-endpoint-connection list --id "$account_id" \
    --query "[].[id, properties.privateLinkServiceConnectionState.status, properties.privateEndpoint.id, properties.privateLinkServiceConnectionState.description]" \
    --output tsv
}

# Databricks names the NCC's endpoints databricks-... and says so in the request message.
from_databricks() {
  local endpoint_id="$1" description="$2"
  [[ "${endpoint_id,,}" == *databricks* || "${description,,}" == *databricks* ]]
}

deadline=$((SECONDS + timeout_seconds))
while :; do
  connections="$(list_connections)" || fail "could not list the private endpoint connections of $account_id"
  pending=()
  found=0
  while IFS=$'\t' read -r id status endpoint_id description; do
    [[ -n "$id" ]] || continue
    from_databricks "$endpoint_id" "$description" || continue
    found=$((found + 1))
    if [[ "$status" == "Pending" ]]; then pending+=("$id"); fi
  done <<<"$connections"
  if ((found >= expected)); then break; fi
  if ((SECONDS >= deadline)); then
    fail "found $found of $expected Databricks private endpoint connections on $account_id after ${timeout_seconds}s; check the NCC's private endpoint rules in the Databricks account console"
  fi
  echo "waiting for the NCC's private endpoints: $found of $expected on $account_id"
  sleep "$poll_seconds"
done

for id in "${pending[@]}"; do
  echo "approving ${id##*/}"
  az network private-endpoint-connection approve --id "$id" \
    --description "Approved by the deploy pipeline: Databricks NCC endpoint to the lake" --output none ||
    fail "could not approve $id"
done
echo "approved ${#pending[@]} pending Databricks private endpoint connection(s); $((found - ${#pending[@]})) already approved or not pending"
