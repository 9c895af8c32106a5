#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (node modules, the Python
# venv with PySpark, PostgreSQL via the spark scripts, Azurite via jest, checkov and trivy via the
# policy script), runs every part even when an earlier one fails, and exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export REPORTS_DIR="${REPORTS_DIR:-$PWD/reports}"
export JEST_JUNIT_OUTPUT_DIR="$REPORTS_DIR"
mkdir -p "$REPORTS_DIR"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

declare -a names=() results=()
step() {
  local name="$1"; shift
  echo; echo "=== ${name} ==="
  local started=$SECONDS
  "$@" 2>&1 | tee "$REPORTS_DIR/${name}.log"
  local rc=${PIPESTATUS[0]}
  names+=("$name"); results+=("$rc:$((SECONDS - started))s")
}

step build npm run -s build
step lint npm run -s lint
step jest env JEST_SLOW=1 npx jest --ci
step spark bash spark/bin/test
step policy bash scripts/policy.sh

echo; echo "=== summary ==="
passed=0; failed=0
for i in "${!names[@]}"; do
  rc="${results[$i]%%:*}"; took="${results[$i]#*:}"
  if [ "$rc" = 0 ]; then passed=$((passed + 1)); status=ok; else failed=$((failed + 1)); status="FAILED (exit $rc)"; fi
  printf '%-8s %-18s %s\n' "${names[$i]}" "$status" "$took"
done
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
