#!/usr/bin/env bash
# Approves the private endpoint connections that the Databricks network connectivity configuration
# (NCC) requested on the lake storage account, so that Unity Catalog and serverless compute reach
# the private lake. Runs in the deploy pipeline after `terraform apply`, from AzureCLI@2 with the
# environment's workload identity federation service connection (which needs
# Microsoft.Storage/storageAccounts/privateEndpointConnectionsApproval/action on the account:
# Contributor or Storage Account Contributor).
#
#   APPROVE_ENDPOINT_NAMES=<name>,<name> approve-lake-endpoints.sh <storage-account-id>
#
# Which connections: those whose private endpoint is named in APPROVE_ENDPOINT_NAMES (comma-
# separated), the `endpoint_name`s of the NCC's private endpoint rules
# (databricks_mws_ncc_private_endpoint_rule), which the pipeline takes from the stack's output
# lake_ncc_endpoint_names. A name is compared with the last segment of the connection's private
# endpoint id, case-insensitively; no other connection is ever touched. When the variable is set,
# it must name at least one endpoint (an unexpanded $(TF_OUTPUT_...) macro fails by name).
# Fallback, only when APPROVE_ENDPOINT_NAMES is not set at all (runs by hand, older pipelines):
# connections whose private endpoint id or request description contains "databricks", and
# APPROVE_EXPECTED of them (default 2: dfs and blob); it warns, as it cannot tell the NCC's
# endpoints from another Databricks workspace's.
#
# Only Pending and Approved connections count: Rejected and Disconnected ones (an endpoint of an
# earlier NCC rule, say) never count toward the expected number and are reported in one line.
# The NCC creates its endpoints asynchronously, so the script waits until each expected one has a
# Pending or Approved connection, then approves each Pending one. Approved ones are left alone;
# approving nothing is a success.
#   APPROVE_ENDPOINT_NAMES    the NCC's private endpoint names (see above)
#   APPROVE_EXPECTED          fallback only: connections to wait for (default 2)
#   APPROVE_TIMEOUT_SECONDS   how long to wait for them (default 600)
#   APPROVE_POLL_SECONDS      pause between listings (default 20)
set -euo pipefail

usage="usage: [APPROVE_ENDPOINT_NAMES=<name>,...] approve-lake-endpoints.sh <storage-account-id>"
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

# The NCC's endpoint names, lower-cased (Azure resource names compare case-insensitively).
names=()
if [[ -n "${APPROVE_ENDPOINT_NAMES+set}" ]]; then
  IFS=',' read -r -a raw_names <<<"$APPROVE_ENDPOINT_NAMES"
  for name in "${raw_names[@]}"; do
    name="${name//[[:space:]]/}"
    [[ -n "$name" ]] || continue
    # A private endpoint name: 2-80 letters, digits, '_', '.', '-'; starts with a letter or digit.
    [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{1,79}$ ]] ||
      fail "APPROVE_ENDPOINT_NAMES: '$name' is not a private endpoint name; does the stack have the output lake_ncc_endpoint_names, and does the apply step export it?"
    name="${name,,}"
    [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
  done
  ((${#names[@]} > 0)) ||
    fail "APPROVE_ENDPOINT_NAMES is set but names no endpoint ('$APPROVE_ENDPOINT_NAMES'); is the NCC's private endpoint rules' endpoint_name known?"
  expected="${#names[@]}"
else
  [[ "$expected" =~ ^[1-9][0-9]*$ ]] || fail "APPROVE_EXPECTED='$expected' is not a positive number"
  echo "##vso[task.logissue type=warning]approve-lake-endpoints: APPROVE_ENDPOINT_NAMES is not set; approving connections that mention 'databricks' (export the stack's lake_ncc_endpoint_names output to match the NCC's rules by name)"
fi
command -v az >/dev/null || fail "the Azure CLI (az) is not on PATH; run me from AzureCLI@2"

# One line per connection: id, status, private endpoint id, description (tab-separated).
list_connections() {
  az network private-endpoint-connection list --id "$account_id" \
    --query "[].[id, properties.privateLinkServiceConnectionState.status, properties.privateEndpoint.id, properties.privateLinkServiceConnectionState.description]" \
    --output tsv
}

# Whether a connection is one to consider: named in APPROVE_ENDPOINT_NAMES, or (fallback)
# Databricks' by its endpoint's name (databricks-...) or request message. Prints the key it counts
# under: the endpoint's name, or the connection's id in the fallback.
selected() {
  local id="$1" endpoint_id="$2" description="$3" endpoint_name
  endpoint_name="${endpoint_id##*/}"
  endpoint_name="${endpoint_name,,}"
  if ((${#names[@]} > 0)); then
    [[ -n "$endpoint_name" && " ${names[*]} " == *" $endpoint_name "* ]] && echo "$endpoint_name"
  else
    [[ "${endpoint_id,,}" == *databricks* || "${description,,}" == *databricks* ]] && echo "$id"
  fi
}

deadline=$((SECONDS + timeout_seconds))
while :; do
  connections="$(list_connections)" || fail "could not list the private endpoint connections of $account_id"
  pending=()
  found_keys=()
  ignored=()
  approved=0
  # Tabs become \037 so that an empty field does not collapse into its neighbour.
  while IFS=$'\037' read -r id status endpoint_id description; do
    [[ -n "$id" ]] || continue
    key="$(selected "$id" "$endpoint_id" "$description")" || continue
    case "$status" in
      Pending) pending+=("$id") ;;
      Approved) approved=$((approved + 1)) ;;
      *)
        ignored+=("${id##*/} ($status)")
        continue
        ;;
    esac
    [[ " ${found_keys[*]} " == *" $key "* ]] || found_keys+=("$key")
  done < <(tr '\t' '\037' <<<"$connections")
  found="${#found_keys[@]}"
  if ((found >= expected)); then break; fi
  if ((SECONDS >= deadline)); then
    if ((${#ignored[@]} > 0)); then echo "ignored ${#ignored[@]} rejected or disconnected connection(s): ${ignored[*]}"; fi
    missing=""
    for name in "${names[@]}"; do
      [[ " ${found_keys[*]} " == *" $name "* ]] || missing+=" $name"
    done
    fail "found $found of $expected Databricks private endpoint connections on $account_id after ${timeout_seconds}s${missing:+ (none Pending or Approved for:$missing)}; check the NCC's private endpoint rules in the Databricks account console"
  fi
  echo "waiting for the NCC's private endpoints: $found of $expected on $account_id"
  sleep "$poll_seconds"
done
if ((${#ignored[@]} > 0)); then echo "ignored ${#ignored[@]} rejected or disconnected connection(s): ${ignored[*]}"; fi

for id in "${pending[@]}"; do
  echo "approving ${id##*/}"
  az network private-endpoint-connection approve --id "$id" \
    --description "Approved by the deploy pipeline: Databricks NCC endpoint to the lake" --output none ||
    fail "could not approve $id"
done
echo "approved ${#pending[@]} pending Databricks private endpoint connection(s); $approved already approved"
