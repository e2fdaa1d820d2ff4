#!/usr/bin/env bash
# Sets everything up, builds threadleak, and runs every test: the lit suites
# (checkers through both front-ends, CLI, plugin, parity, real headers,
# integrations) and the GoogleTest unit tests, against LLVM/Clang
# $THREADLEAK_LLVM (default 22; `THREADLEAK_LLVM=19 ./scripts/test.sh` builds
# in build-llvm19/ and tests against 19). The last line is always the summary
# "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

passed=0; failed=0; skipped=0
summary() {
  echo
  echo "$passed passed, $failed failed, $skipped skipped (LLVM/Clang $THREADLEAK_LLVM, $BUILD_DIR)"
}

if ! ./scripts/setup.sh; then
  echo "test: setup failed" >&2; failed=1; summary; exit 2
fi

# The build, as a compact progress: on a terminal one line rewritten in
# place, otherwise a line every tenth of the way. The whole log is shown
# only when the build fails.
build_log=$(mktemp)
result_json=$(mktemp)
trap 'rm -f "$build_log" "$result_json"' EXIT
start=$SECONDS
tty=0; [ -t 2 ] && tty=1
./scripts/build.sh 2>&1 | tee "$build_log" | {
  last_tenth=-1
  while IFS= read -r line; do
    [[ $line =~ ^\[([0-9]+)/([0-9]+)\]\ (.*)$ ]] || continue
    k=${BASH_REMATCH[1]}; n=${BASH_REMATCH[2]}; what=${BASH_REMATCH[3]##* }
    what=${what##*/}
    if [ $tty = 1 ]; then
      printf '\rbuild: [%s/%s] %ds %-50.50s' "$k" "$n" $((SECONDS - start)) "$what" >&2
    elif [ $((k * 10 / n)) -gt $last_tenth ] || [ "$k" = "$n" ]; then
      last_tenth=$((k * 10 / n))
      printf 'build: [%s/%s] %ds %s\n' "$k" "$n" $((SECONDS - start)) "$what" >&2
    fi
  done
  [ $tty = 1 ] && printf '\n' >&2
  true
}
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  grep -v '^\[[0-9]*/[0-9]*\] ' "$build_log" | tail -n 80 >&2
  echo "test: build failed" >&2
  failed=1; summary; exit 2
fi
echo "build: done in $((SECONDS - start))s" >&2

# lit as CMake found it (llvm-22-tools has bin/lit; LLVM 19 only
# build/utils/lit/lit.py).
LIT=$(sed -n 's/^THREADLEAK_LIT:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
"${LIT:-lit}" -sv --output "$result_json" "$BUILD_DIR/test"
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

summary
[ "$failed" -eq 0 ] && [ $lit_status -eq 0 ] && [ $unit_status -eq 0 ]
