#!/usr/bin/env bash
# Fuzzes threadleak's readers of untrusted input with libFuzzer (clang 22's
# -fsanitize=fuzzer, with ASan and UBSan): the compilation database, the
# model file, the baseline, --merge reports, --line-filter, --diff and the
# findings-cache entries. Not part of CI: run it by hand after changing a
# reader.
#
#   scripts/dev/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS: how long to fuzz each target (default 600). TARGET: some of
#   database model baseline merge line-filter diff cache-entry (default: all)
#
# Builds in build-fuzz/ (or $THREADLEAK_FUZZ_DIR), seeds each target's corpus
# from the tests' inputs (test/**: the JSON, YAML and diff sections of the
# lit tests), keeps the corpora in build-fuzz/corpus/<target>/ between runs,
# and stops at the first crash, leak, timeout or out-of-memory with
# libFuzzer's report and the input (crash-*, timeout-*, oom-* in
# build-fuzz/). Add such inputs to test/cli/Inputs/fuzz/<target>/ once
# fixed: test/cli/fuzz-regressions.test replays them in every test run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(database model baseline merge line-filter diff cache-entry)
out=${THREADLEAK_FUZZ_DIR:-build-fuzz}
llvm=/usr/lib/llvm-22
cxx=$llvm/bin/clang++

if ! ls "$llvm"/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
   ! ls "$llvm"/lib/clang/*/lib/x86_64-pc-linux-gnu/libclang_rt.fuzzer.a >/dev/null 2>&1; then
  echo "fuzz: installing libclang-rt-22-dev (libFuzzer)" >&2
  apt-get install -y libclang-rt-22-dev >/dev/null
fi

function_of() { # target name -> function in FuzzTargets.cpp
  case "$1" in
    line-filter) echo lineFilter ;;
    cache-entry) echo cacheEntry ;;
    *) echo "$1" ;;
  esac
}

mkdir -p "$out/obj"
flags=(-std=c++17 -g -O1 -fno-rtti -fno-exceptions
       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr
       -fno-sanitize-recover=all
       -D_GNU_SOURCE -D__STDC_CONSTANT_MACROS -D__STDC_FORMAT_MACROS -D__STDC_LIMIT_MACROS
       '-DTHREADLEAK_VERSION="fuzz"' '-DTHREADLEAK_RESOURCE_DIR=""' '-DTHREADLEAK_DOCS_BASE_URL=""'
       -I"$root/checks" -I"$root/tool/cli" -I"$root/scripts/dev/fuzz" -isystem "$llvm/include")
sources=(tool/cli/Database.cpp tool/cli/Filters.cpp tool/cli/Findings.cpp
         tool/cli/Reports.cpp tool/cli/Workers.cpp checks/model/ModelConfig.cpp
         scripts/dev/fuzz/FuzzTargets.cpp)
objects=()
for s in "${sources[@]}"; do
  o="$out/obj/$(basename "$s" .cpp).o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ]; then
    echo "fuzz: compiling $s" >&2
    "$cxx" "${flags[@]}" -c "$s" -o "$o"
  fi
  objects+=("$o")
done

# Seeds: every split-file section of the tests named *.json, *.yaml, *.diff
# (and the JSON inputs next to them), by the reader they feed.
seed() { # target dir
  local t=$1 dir=$2
  mkdir -p "$dir"
  python3 - "$t" "$dir" "$root/test" <<'PY'
import hashlib, os, re, sys
target, out, tests = sys.argv[1], sys.argv[2], sys.argv[3]
want = {"database": (".json",), "baseline": (".json",), "merge": (".json",),
        "line-filter": (".json",), "cache-entry": (".json",),
        "model": (".yaml", ".clang-tidy"), "diff": (".diff",)}[target]
n = 0
for d, _, files in os.walk(tests):
    for f in files:
        path = os.path.join(d, f)
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        parts = re.split(r"^#--- (\S+)\n", text, flags=re.M)
        sections = list(zip(parts[1::2], parts[2::2]))
        if f.endswith(want):
            sections.append((f, text))
        for name, body in sections:
            name = name.removesuffix(".in")
            if not name.endswith(want):
                continue
            h = hashlib.sha1(body.encode()).hexdigest()
            open(os.path.join(out, h), "w").write(body)
            n += 1
print("fuzz: %s: %d seeds" % (target, n), file=sys.stderr)
PY
}

# Debian ships libclang-cpp.so.<version> without the unversioned link.
clang_cpp=$(ls "$llvm"/lib/libclang-cpp.so* | head -n 1)

status=0
for t in "${targets[@]}"; do
  fn=$(function_of "$t")
  grep -q "^void $fn(" scripts/dev/fuzz/FuzzTargets.cpp || { echo "fuzz: unknown target '$t'" >&2; exit 2; }
  bin="$out/fuzz-$t"
  "$cxx" "${flags[@]}" -fsanitize=fuzzer -DTHREADLEAK_FUZZ_TARGET="$fn" \
    scripts/dev/fuzz/FuzzMain.cpp "${objects[@]}" \
    -L"$llvm/lib" -Wl,-rpath,"$llvm/lib" "$clang_cpp" -lLLVM -o "$bin"
  corpus="$out/corpus/$t"
  seed "$t" "$corpus"
  regressions="test/cli/Inputs/fuzz/$t"
  [ -d "$regressions" ] && cp "$regressions"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $t for ${seconds}s" >&2
  # -rss_limit_mb: a reader must not need gigabytes for a small input.
  (cd "$out" && "./fuzz-$t" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
      "corpus/$t") || { status=1; echo "fuzz: $t FOUND A PROBLEM (see above)" >&2; }
done
exit $status
