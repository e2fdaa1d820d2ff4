#!/usr/bin/env bash
# Sets everything up, builds threadleak, and runs every test: the lit suites
# (checkers through both front-ends, CLI, plugin, parity, real headers) and
# the GoogleTest unit tests. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 2
./scripts/build.sh >/dev/null || { echo "test: build failed" >&2; ./scripts/build.sh; exit 2; }
BUILD_DIR=${THREADLEAK_BUILD_DIR:-build}
LIT=/usr/lib/llvm-22/bin/lit

passed=0; failed=0; skipped=0
result_json=$(mktemp)
trap 'rm -f "$result_json"' EXIT

"$LIT" -sv --output "$result_json" "$BUILD_DIR/test"
lit_status=$?
if [ -s "$result_json" ]; then
  read -r p f s < <(python3 - "$result_json" <<'PY'
import json, sys
tests = json.load(open(sys.argv[1]))["tests"]
ok = {"PASS", "XFAIL"}
skip = {"UNSUPPORTED", "SKIPPED"}
print(sum(t["code"] in ok for t in tests),
      sum(t["code"] not in ok | skip for t in tests),
      sum(t["code"] in skip for t in tests))
PY
)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
elif [ $lit_status -ne 0 ]; then
  failed=$((failed + 1))
fi

unit_out=$("$BUILD_DIR/bin/threadleak-unittests" --gtest_brief=1 2>&1)
unit_status=$?
echo "$unit_out" | tail -n 5
up=$(echo "$unit_out" | sed -n 's/.*PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
uf=$(echo "$unit_out" | sed -n 's/.*FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
passed=$((passed + ${up:-0})); failed=$((failed + ${uf:-0}))
if [ $unit_status -ne 0 ] && [ -z "$uf" ]; then failed=$((failed + 1)); fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $lit_status -eq 0 ] && [ $unit_status -eq 0 ]
