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

# A step that runs alongside the next ones; its output is shown when it has finished (wait_for).
declare -A background=()
step_alongside() {
  local name="$1"; shift
  echo; echo "=== ${name} (running alongside the next steps; its output follows when it ends) ==="
  ( started=$SECONDS; "$@" >"$REPORTS_DIR/${name}.log" 2>&1; echo "$?:$((SECONDS - started))s" >"$REPORTS_DIR/${name}.result" ) &
  background[$name]=$!
}
wait_for() {
  local name="$1"
  wait "${background[$name]}"
  echo; echo "=== ${name} (ran alongside) ==="
  cat "$REPORTS_DIR/${name}.log"
  names+=("$name"); results+=("$(cat "$REPORTS_DIR/${name}.result" 2>/dev/null || echo "1:?")")
  rm -f "$REPORTS_DIR/${name}.result"
}

step build npm run -s build
step lint npm run -s lint
# jest and the Spark suite share no files, ports or servers, and neither keeps 2 cores busy: the
# Spark suite's small jobs wait on the driver, jest's on terraform and npm. One jest worker, so
# that the two together ask for about the machine's cores.
step_alongside jest env JEST_SLOW=1 npx jest --ci --maxWorkers=1
step spark bash spark/bin/test
wait_for jest
# Last: it scans every step's log for secrets.
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
