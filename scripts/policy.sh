#!/usr/bin/env bash
# The policy gate (`npm run test:policy`): installs the pinned scanners when missing or out of date,
# synthesizes every stack, runs checkov and trivy over cdktf.out, prints checks passed / failed /
# skipped per stack and writes $REPORTS_DIR/policy.{xml,json}. Exits non-zero on any failed check.
#
#   checkov  PyPI, pinned with its dependencies in scripts/checkov-requirements.txt, in a venv kept
#            once per machine (scripts/cached-venv.sh) and linked as .venv-policy
#   trivy    `go install` of a pinned release, once per machine, into a cache outside the clone
#            ($AQB_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/azure-quarterly-batch/tools), so a
#            fresh clone reuses it; needs Go >= 1.26; the first build takes 8-15 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

TRIVY_VERSION="v0.74.0"
CHECKOV_REQUIREMENTS="scripts/checkov-requirements.txt"
export REPORTS_DIR="${REPORTS_DIR:-$root/reports}"
mkdir -p "$REPORTS_DIR"

# --- checkov -----------------------------------------------------------------------------------
# shellcheck source=cached-venv.sh
. "$root/scripts/cached-venv.sh"
install_checkov() {
  local started=$SECONDS
  echo "Installing checkov from $CHECKOV_REQUIREMENTS ..."
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$CHECKOV_REQUIREMENTS"
  echo "checkov installed in $((SECONDS - started))s"
}
venv="$root/.venv-policy"
cached_venv "$venv" checkov "$(cat "$CHECKOV_REQUIREMENTS" <(python3 --version) | sha256sum | cut -d' ' -f1)" python3 install_checkov

# --- trivy -------------------------------------------------------------------------------------
tools="${AQB_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azure-quarterly-batch/tools}/trivy-$TRIVY_VERSION"
trivy="$tools/trivy"
installed_trivy() {
  # The module version recorded in the binary; `trivy --version` depends on link flags.
  [ -x "$trivy" ] && go version -m "$trivy" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/aquasecurity/trivy" { print $3 }'
}
if [ "$(installed_trivy || true)" != "$TRIVY_VERSION" ]; then
  command -v go >/dev/null || { echo "error: Go 1.26+ is needed to install trivy $TRIVY_VERSION" >&2; exit 1; }
  echo "Building trivy $TRIVY_VERSION into $tools (once per machine; 8-15 minutes the first time) ..."
  started=$SECONDS
  mkdir -p "$tools"
  # Built into a temporary GOBIN and moved into place, so an interrupted build leaves no binary.
  building="$(mktemp -d "$tools/.build-XXXXXX")"
  # trivy 0.74 imports encoding/json/v2, which Go 1.26 ships behind the jsonv2 experiment.
  GOBIN="$building" GOEXPERIMENT=jsonv2 go install \
    -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" \
    "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
  mv -f "$building/trivy" "$trivy"
  rmdir "$building"
  echo "trivy built in $((SECONDS - started))s"
fi

# --- synthesize and scan -----------------------------------------------------------------------
npm run -s synth
status=0
node lib/tools/policy-report.js --checkov "$venv/bin/checkov" --trivy "$trivy" --outdir cdktf.out --reports-dir "$REPORTS_DIR" || status=$?

# The jest step's leak test ran before the later steps wrote their logs; scan every log again now.
# Only the default reporter, so jest's JUnit report of the main run is not overwritten.
echo; echo "Scanning test logs and synthesized files for secrets ..."
npx jest --ci test/security/secret-leak.test.ts --reporters=default >"$REPORTS_DIR/policy-leak-scan.txt" 2>&1 || {
  status=1
  cat "$REPORTS_DIR/policy-leak-scan.txt"
}
tail -n 4 "$REPORTS_DIR/policy-leak-scan.txt" | head -n 1
exit "$status"
