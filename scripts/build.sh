#!/usr/bin/env bash
# Configures and builds threadleak (CLI, clang-tidy plugin, unit tests)
# against LLVM/Clang $THREADLEAK_LLVM (default 22) in build/ (or
# build-llvm<major>/, or $THREADLEAK_BUILD_DIR; see scripts/common.sh).
#
# Shows ninja's progress: "[k/N] Building CXX object ..." (one line that
# keeps being rewritten on a terminal, one line per step otherwise).
# All of it goes to stderr. $NINJA_FLAGS is passed to ninja (e.g. -j1).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  echo "build: configuring $BUILD_DIR against LLVM/Clang $THREADLEAK_LLVM" >&2
  log=$(mktemp)
  if ! cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
         -DTHREADLEAK_CLANG_MAJOR="$THREADLEAK_LLVM" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "build: configuring $BUILD_DIR failed" >&2
    exit 2
  fi
  rm -f "$log"
else
  configured=$(sed -n 's/^THREADLEAK_CLANG_MAJOR:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
  if [ -n "$configured" ] && [ "$configured" != "$THREADLEAK_LLVM" ]; then
    echo "build: $BUILD_DIR is configured for LLVM/Clang $configured, not $THREADLEAK_LLVM;" \
         "set THREADLEAK_BUILD_DIR to another directory or remove it" >&2
    exit 2
  fi
fi
echo "build: ninja -C $BUILD_DIR ${NINJA_FLAGS:-}" >&2
# shellcheck disable=SC2086
ninja -C "$BUILD_DIR" ${NINJA_FLAGS:-} >&2
