#!/usr/bin/env bash
# Plans or applies one synthesized CDKTF stack with plain Terraform, signed in as the Azure DevOps
# service connection of the AzureCLI@2 task that runs this script (workload identity federation).
#
#   terraform-stack.sh plan  <stack-dir>   terraform init; plan -out=tfplan; plan.txt and plan.json
#                                          (TF_PLAN_LOCK=false: -lock=false; TF_PLAN_REFRESH=false:
#                                          -refresh=false, for pull-request plans)
#   terraform-stack.sh apply <stack-dir>   terraform init from the saved lock file; apply tfplan;
#                                          then (even if apply failed) publish the outputs named
#                                          in TF_EXPORT_OUTPUTS (space-separated, non-sensitive
#                                          ones only) as job variables TF_OUTPUT_<name>
#   terraform-stack.sh drift <stack-dir>   terraform init; plan -detailed-exitcode -lock=false;
#                                          the exit code in plan.exitcode, plan.txt and plan.json;
#                                          no saved plan left behind (the drift check, drift.yml)
#
# One identity for everything: the azurerm provider and the azurerm backend exchange the job's
# OIDC token for an Entra token (ARM_USE_OIDC + the ADO service connection id); the databricks
# provider reuses the Azure CLI session that AzureCLI@2 opened with the same federated identity
# (DATABRICKS_AUTH_TYPE=azure-cli). It reads and accepts no stored secret.
set -euo pipefail

usage="usage: terraform-stack.sh plan|apply|drift <stack-dir>"
command="${1:?$usage}"
stack_dir="${2:?$usage}"

fail() {
  echo "##vso[task.logissue type=error]terraform-stack: $*"
  exit 1
}

# --- identity ---------------------------------------------------------------------------------
# AzureCLI@2 with addSpnToEnvironment exposes the connection's app id and tenant. A connection
# that also exposes a key is secret-based: refuse it rather than quietly use a secret.
[[ -n "${servicePrincipalId:-}" && -n "${tenantId:-}" ]] ||
  fail "run me from AzureCLI@2 with addSpnToEnvironment: true"
[[ -z "${servicePrincipalKey:-}" ]] ||
  fail "the service connection authenticates with a stored key; switch it to workload identity federation"

export ARM_CLIENT_ID="$servicePrincipalId"
export ARM_TENANT_ID="$tenantId"
export ARM_USE_OIDC=true
# AzureCLI@2 publishes its connection's id as AZURESUBSCRIPTION_SERVICE_CONNECTION_ID; a pipeline
# variable ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID overrides it.
connection_id="${ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID:-${AZURESUBSCRIPTION_SERVICE_CONNECTION_ID:-}}"
[[ -n "$connection_id" ]] ||
  fail "no service connection id: set ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID to the connection's id"
export ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID="$connection_id"
# The name the AzAPI/AzureAD providers and older Terraform releases read.
export ARM_OIDC_AZURE_SERVICE_CONNECTION_ID="$connection_id"
[[ -n "${SYSTEM_ACCESSTOKEN:-}" && -n "${SYSTEM_OIDCREQUESTURI:-}" ]] ||
  fail "map SYSTEM_ACCESSTOKEN and SYSTEM_OIDCREQUESTURI into the step's env"
[[ "${ARM_SUBSCRIPTION_ID:-}" =~ ^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$ ]] ||
  fail "ARM_SUBSCRIPTION_ID is not a subscription id; set it in the environment's variable group"
export DATABRICKS_AUTH_TYPE="${DATABRICKS_AUTH_TYPE:-azure-cli}"
export TF_IN_AUTOMATION=true TF_INPUT=false

[[ -f "$stack_dir/cdk.tf.json" ]] || fail "$stack_dir has no cdk.tf.json; is it a synthesized stack?"
cd "$stack_dir"

case "$command" in
  plan)
    lock_argument=()
    # Pull-request plans run on unmerged code with a read-only identity: they must not take the
    # state lease, and must not block a deploy that holds it.
    if [[ "${TF_PLAN_LOCK:-true}" == "false" ]]; then lock_argument=(-lock=false); fi
    # Pull-request plans do not refresh: their identity may read the state and nothing else (no
    # Databricks object, no vault secret), so a pull request's code reaches no resource's API.
    refresh_argument=()
    if [[ "${TF_PLAN_REFRESH:-true}" == "false" ]]; then refresh_argument=(-refresh=false); fi
    terraform init -input=false -no-color
    terraform plan -input=false -no-color -out=tfplan "${lock_argument[@]}" "${refresh_argument[@]}"
    terraform show -no-color tfplan >plan.txt
    terraform show -json tfplan >plan.json
    # The artifact carries the plan, cdk.tf.json, assets and .terraform.lock.hcl, not the
    # downloaded providers: apply re-installs exactly the locked versions.
    printf '.terraform/\n' >.artifactignore
    ;;
  apply)
    [[ -f tfplan ]] || fail "$stack_dir has no saved plan (tfplan); apply only runs a reviewed plan"
    [[ -f .terraform.lock.hcl ]] || fail "$stack_dir has no .terraform.lock.hcl from the plan job"
    terraform init -input=false -no-color -lockfile=readonly
    status=0
    terraform apply -input=false -no-color tfplan || status=$?
    # Also after a failed apply: a first apply that stops at Unity Catalog because the NCC's
    # endpoints to the lake are still pending needs the lake's id for their approval.
    for name in ${TF_EXPORT_OUTPUTS:-}; do
      if value="$(terraform output -no-color -raw "$name" 2>/dev/null)"; then
        echo "##vso[task.setvariable variable=TF_OUTPUT_$name]$value"
      elif ((status == 0)); then
        fail "the stack has no output $name, which a later step needs"
      fi
    done
    exit "$status"
    ;;
  drift)
    # The weekly drift check plans as the "-drift" identity, which holds Storage Blob Data Reader on
    # the state container: it cannot take the azurerm backend's lock (a blob lease is a write), so
    # -lock=false is the only choice, and a plan never writes state, so it cannot corrupt it. Its one risk, reading a state that a running deploy is rewriting, gives a false
    # report at worst, and the next run (or a re-run) corrects it.
    [[ "${TF_PLAN_LOCK:-false}" == "false" ]] ||
      fail "a drift plan never takes the state lock; pass lockState: \"false\""
    rm -f plan.exitcode plan.txt plan.json tfplan
    terraform init -input=false -no-color
    # -detailed-exitcode: 0 no changes, 1 error, 2 changes present.
    status=0
    terraform plan -input=false -no-color -detailed-exitcode -lock=false -out=tfplan || status=$?
    echo "$status" >plan.exitcode
    if ((status == 0 || status == 2)); then
      terraform show -no-color tfplan >plan.txt
      terraform show -json tfplan >plan.json
    fi
    # The saved plan holds every value of state and configuration in clear, and this run never applies.
    rm -f tfplan
    printf '.terraform/\n' >.artifactignore
    # Drift (2) is for the summary step to judge against the accepted drift; an error fails here.
    ((status == 0 || status == 2)) || fail "terraform plan failed (exit $status); the drift check could not run"
    ;;
  *)
    fail "unknown command '$command'; $usage"
    ;;
esac
